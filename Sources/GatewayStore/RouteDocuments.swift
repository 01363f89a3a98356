import AIGateway
import Foundation
import GatewayCore

extension GatewayDocumentStore {
    /// The kind of document a dynamic route (with its versions and deployments) is kept as.
    public static var routeKind: String { "route" }

    /// A gateway's dynamic routes.
    public func dynamicRoutes(gatewayID: String) async throws -> [DynamicRoute] {
        try await documents(kind: Self.routeKind, gatewayID: gatewayID).map(Self.route)
    }

    /// Every gateway's dynamic routes, by gateway.
    public func dynamicRoutes() async throws -> [String: [DynamicRoute]] {
        Dictionary(grouping: try await documents(kind: Self.routeKind).map(Self.route), by: \.gatewayID)
    }

    /// Deletes a route; false when the gateway has none with that id.
    public func deleteDynamicRoute(id: String, gatewayID: String) async throws -> Bool {
        try await deleteDocument(kind: Self.routeKind, id: id, gatewayID: gatewayID)
    }

    /// Stores a route, replacing the one with its id.
    public func saveDynamicRoute(_ route: DynamicRoute) async throws {
        let body = String(decoding: try WireFormat.encoder().encode(route), as: UTF8.self)
        try await saveDocument(
            GatewayDocument(kind: Self.routeKind, id: route.id, gatewayID: route.gatewayID, body: body, createdAt: route.createdAt))
    }

    private static func route(_ document: GatewayDocument) throws -> DynamicRoute {
        try WireFormat.decoder().decode(DynamicRoute.self, from: Data(document.body.utf8))
    }
}

extension DynamicRouteRegistry {
    /// Serves every gateway's routes as `store` holds them (at start, and when another process may have changed them).
    public func load(from store: any GatewayDocumentStore, gatewayIDs: [String]) async throws {
        let all = try await store.dynamicRoutes()
        for gatewayID in Set(gatewayIDs).union(all.keys) {
            replace(gatewayID: gatewayID, with: all[gatewayID] ?? [])
        }
    }
}
