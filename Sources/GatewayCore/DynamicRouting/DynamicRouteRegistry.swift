import AIGateway
import Foundation
import Synchronization

/// A route's live version, compiled: what a request selecting it walks. A request takes it
/// once, when it starts, so a deployment made meanwhile changes only later requests.
public struct LiveRoute: Sendable {
    public let id: String
    public let name: String
    public let versionID: String
    public let graph: RouteGraph
}

/// The live version of every dynamic route of every gateway, by gateway and name: replaced
/// when the API changes a route (and, on PostgreSQL, when another process did).
public final class DynamicRouteRegistry: Sendable {
    private let routes = Mutex<[String: [String: LiveRoute]]>([:])

    public init() {}

    /// Serves `stored` as the routes of `gatewayID` (their live versions; a version that does
    /// not compile, which the API never stores, is left out and named in the result).
    @discardableResult
    public func replace(gatewayID: String, with stored: [DynamicRoute]) -> [String] {
        var live: [String: LiveRoute] = [:]
        var unusable: [String] = []
        for route in stored {
            guard let version = route.liveVersion else { continue }
            do {
                live[route.name] = LiveRoute(
                    id: route.id, name: route.name, versionID: version.versionID, graph: try RouteGraph.compile(version.elements))
            } catch {
                unusable.append(route.name)
            }
        }
        routes.withLock { $0[gatewayID] = live.isEmpty ? nil : live }
        return unusable
    }

    /// The live route `name` of a gateway.
    public func route(gatewayID: String, name: String) -> LiveRoute? {
        routes.withLock { $0[gatewayID]?[name] }
    }

    /// Forgets a gateway's routes (when it is deleted).
    public func forget(gatewayID: String) {
        routes.withLock { $0[gatewayID] = nil }
    }
}

/// `model: "dynamic/{name}"`: how a request selects a route.
public enum DynamicRouteSelection {
    /// The prefix of a model naming a route.
    public static let prefix = "dynamic/"

    /// The route a `/compat` body names, or nil when its model names a provider.
    public static func routeName(inModel model: String?) -> String? {
        guard let model, model.hasPrefix(prefix), model.count > prefix.count else { return nil }
        return String(model.dropFirst(prefix.count))
    }
}

extension GatewayError {
    /// 2001, HTTP 404: `model: "dynamic/{name}"` names no route of the gateway.
    public static func unknownRoute(_ name: String, gatewayID: String) -> GatewayError {
        GatewayError(code: 2001, httpStatus: 404, message: "gateway '\(gatewayID)' has no dynamic route '\(name)' (model: \"dynamic/\(name)\")")
    }

    /// 2052, HTTP 429: a route's `rate` element refused the request and has no fallback.
    public static func routeLimited(route: String, element: String, key: String, retryAfterSeconds: Int) -> GatewayError {
        GatewayError(
            code: 2052, httpStatus: 429,
            message: "Rate limited by dynamic route '\(route)': element '\(element)' allows no more for \(key) in its window; retry after \(retryAfterSeconds) s",
            headers: [("Retry-After", String(retryAfterSeconds))])
    }

    /// 2053, HTTP 502: a route reached its end without any model answering.
    public static func routeWithoutAnswer(route: String) -> GatewayError {
        GatewayError(code: 2053, httpStatus: 502, message: "dynamic route '\(route)' ended without a model answer")
    }
}
