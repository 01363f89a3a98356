import AIGateway
import Foundation
import GatewayCore
import Hummingbird

/// A gateway's dynamic routes: the list, and each route as its graph (the live version, its
/// elements emphasised by how many logged requests of the last day passed through them), its
/// versions (any of which can be deployed from here, through the API's own code: a rollback
/// is the deployment of an older one), its deployments, and the paths logs took.
struct DashboardRoutePages: Sendable {
    let dashboard: Dashboard
    let pages: DashboardPages

    static func path(_ gatewayID: String) -> String { "/dashboard/gateways/\(HTML.segment(gatewayID))/routes" }

    func list(gatewayID: String, session: DashboardSession) async throws -> Response {
        let routes = try await dashboard.routeChanges.stored(gatewayID: gatewayID).sorted { $0.name < $1.name }
        var values = pages.layout(title: "Routes of \(gatewayID)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["hasRoutes"] = !routes.isEmpty
        values["routes"] = routes.map { route -> [String: Any] in
            [
                "name": route.name, "path": Self.path(gatewayID) + "/" + HTML.segment(route.id),
                "live": route.deployment?.versionID ?? "–", "versions": route.versions.count,
                "elements": route.liveVersion?.elements.count ?? 0, "modified": DashboardPages.time(route.modifiedAt),
            ]
        }
        return dashboard.html(.ok, dashboard.templates.render("routes", values))
    }

    func route(gatewayID: String, routeID: String, session: DashboardSession) async throws -> Response {
        let route = try await dashboard.routeChanges.route(gatewayID: gatewayID, routeID: routeID)
        await dashboard.writer.flush()
        let taken = try await dashboard.store.routePaths(gatewayID: gatewayID, route: route.name, since: Date().addingTimeInterval(-86_400))
        let live = route.deployment?.versionID
        var passes: [String: Int] = [:]
        for (version, path, count) in taken where version == live {
            for element in Set(path.split(separator: ">").map(String.init)) { passes[element, default: 0] += count }
        }
        let csrf = session.csrfToken(adminToken: dashboard.signingSecret)
        var values = pages.layout(title: "Route \(route.name)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["name"] = route.name
        values["model"] = "dynamic/" + route.name
        values["routesPath"] = Self.path(gatewayID)
        values["graph"] = RouteGraphSVG(elements: route.liveVersion?.elements ?? [], passes: passes).render()
        values["live"] = live ?? "–"
        values["versions"] = route.versions.reversed().map { version -> [String: Any] in
            [
                "id": version.versionID, "created": DashboardPages.time(version.createdAt), "live": version.versionID == live,
                "elements": version.elements.count, "csrf": csrf,
                "deployPath": Self.path(gatewayID) + "/" + HTML.segment(route.id) + "/deploy",
            ]
        }
        values["deployments"] = route.deployments.reversed().map { deployment -> [String: Any] in
            ["id": deployment.deploymentID, "version": deployment.versionID, "created": DashboardPages.time(deployment.createdAt)]
        }
        values["hasPaths"] = !taken.isEmpty
        values["paths"] = taken.map { version, path, count -> [String: Any] in
            ["version": version, "path": path.replacingOccurrences(of: ">", with: " → "), "count": DashboardPages.count(count), "live": version == live]
        }
        return dashboard.html(.ok, dashboard.templates.render("route", values))
    }

    func deploy(_ request: Request, gatewayID: String, routeID: String) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        _ = try await dashboard.routeChanges.deploy(.init(gateway: gatewayID, route: routeID), versionID: form["version"] ?? "")
        return Dashboard.redirect(to: Self.path(gatewayID) + "/" + HTML.segment(routeID))
    }
}
