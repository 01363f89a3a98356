import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// Dynamic routes (`/gateways/{id}/routes`, Cloudflare's `ai_gateway.dynamic_routing`), in the
/// shapes of its Python client: routes made, listed, read, renamed and deleted; every change of
/// elements a new version; a deployment makes a version live, at once for new requests (and
/// within a second in every process sharing PostgreSQL); a rollback is a deployment of an
/// older version. Routes are kept as gateway documents; the live versions are compiled into
/// ``DynamicRouteRegistry`` on every change.
struct RouteEndpoints: Sendable {
    let directory: GatewayDirectory
    let store: any GatewayDocumentStore
    let providers: ProviderTable
    let routes: DynamicRouteRegistry
    let accountID: String
    /// Changes take turns: read, change, store, publish.
    let edits = WriteTurns()

    // MARK: Routes

    /// `GET /gateways/{id}/routes?page=&per_page=`: not in the envelope, as Cloudflare answers it:
    /// `{"success": true, "data": {"routes": [...], "page", "per_page", "order_by", "order_by_direction"}}`.
    func list(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try directory.existingGatewayID(context)
        let paging = try ListPaging(request.uri.query)
        if let (name, _) = paging.others.first { throw ManagementError.badInput(name, "unknown query parameter (use page, per_page)") }
        let all = try await stored(gatewayID: gateway).sorted { $0.createdAt > $1.createdAt }.map { RouteView($0, accountID: accountID) }
        return V4Response.json(DataAnswer(data: DataPage("routes", all, paging: paging)), status: .ok)
    }

    /// `POST /gateways/{id}/routes` with `{"name", "elements"}`: version 1, deployed.
    func create(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try directory.existingGatewayID(context)
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        if let extra = members.keys.sorted().first(where: { $0 != "name" && $0 != "elements" }) {
            throw ManagementError.badInput(extra, "unknown field of a route (name, elements)")
        }
        let name = try Self.name(members["name"])
        let elements = try checkedElements(members["elements"])
        return try await edits.run {
            let existing = try await stored(gatewayID: gateway)
            if existing.contains(where: { $0.name == name }) {
                throw ManagementError.badInput("name", "gateway '\(gateway)' has a route named '\(name)' already")
            }
            let now = Date()
            let version = RouteVersion(versionID: Self.newID(now), elements: elements, createdAt: now)
            let route = DynamicRoute(
                id: Self.newID(now), gatewayID: gateway, name: name, versions: [version],
                deployments: [RouteDeployment(deploymentID: Self.newID(now), versionID: version.versionID, createdAt: now)],
                createdAt: now)
            try await save(route)
            return V4Response.ok(RouteView(route, accountID: accountID))
        }
    }

    /// `GET /gateways/{id}/routes/{route_id}`.
    func get(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(RouteView(try await existing(context), accountID: accountID))
    }

    /// `PATCH /gateways/{id}/routes/{route_id}` with `{"name"}`: answered as
    /// `{"route": {...}, "success": true}`, as Cloudflare's client reads it.
    func rename(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        if let extra = members.keys.sorted().first(where: { $0 != "name" }) {
            throw ManagementError.badInput(extra, "only the name of a route changes here; elements make a new version (POST .../versions)")
        }
        let name = try Self.name(members["name"])
        let context = RouteContext(context)
        return try await edits.run {
            var route = try await existing(context)
            if try await stored(gatewayID: route.gatewayID).contains(where: { $0.name == name && $0.id != route.id }) {
                throw ManagementError.badInput("name", "gateway '\(route.gatewayID)' has a route named '\(name)' already")
            }
            route.name = name
            route.modifiedAt = Date()
            try await save(route)
            return V4Response.json(RenameAnswer(route: RouteView(route, accountID: accountID)), status: .ok)
        }
    }

    /// `DELETE /gateways/{id}/routes/{route_id}`: answers what it was.
    func delete(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let context = RouteContext(context)
        return try await edits.run {
            let route = try await existing(context)
            _ = try await store.deleteDynamicRoute(id: route.id, gatewayID: route.gatewayID)
            try await publish(gatewayID: route.gatewayID)
            return V4Response.ok(RouteView(route, accountID: accountID))
        }
    }

    // MARK: Versions and deployments

    /// `POST .../routes/{route_id}/versions` with `{"elements"}`: a new version, not deployed.
    func createVersion(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        if let extra = members.keys.sorted().first(where: { $0 != "elements" }) {
            throw ManagementError.badInput(extra, "unknown field of a version (elements)")
        }
        let elements = try checkedElements(members["elements"])
        let context = RouteContext(context)
        return try await edits.run {
            var route = try await existing(context)
            guard route.versions.count < 1000 else { throw ManagementError.badInput("elements", "a route keeps at most 1,000 versions") }
            let now = Date()
            let version = RouteVersion(versionID: Self.newID(now), elements: elements, createdAt: now)
            route.versions.append(version)
            route.modifiedAt = now
            try await save(route)
            return V4Response.ok(RouteView(route, accountID: accountID, showing: version))
        }
    }

    /// `GET .../routes/{route_id}/versions`: `{"success", "data": {"versions": [...], ...}}`, newest first.
    func listVersions(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let route = try await existing(RouteContext(context))
        let paging = try ListPaging(request.uri.query)
        let all = route.versions.reversed().map { VersionView($0, live: $0.versionID == route.deployment?.versionID) }
        return V4Response.json(DataAnswer(data: DataPage("versions", all, paging: paging)), status: .ok)
    }

    /// `GET .../routes/{route_id}/versions/{version_id}`.
    func getVersion(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let route = try await existing(RouteContext(context))
        let id = context.parameters.required("version")
        guard let version = route.versions.first(where: { $0.versionID == id }) else {
            throw ManagementError.notFound("route '\(route.name)' has no version '\(id)'")
        }
        return V4Response.ok(VersionDetail(route: route, version: version))
    }

    /// `POST .../routes/{route_id}/deployments` with `{"version_id"}`: that version goes live.
    func deploy(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        guard let versionID = members["version_id"]?.stringValue, members.count == 1 else {
            throw ManagementError.badInput("version_id", "is required (and the only field): the version to make live")
        }
        return V4Response.ok(RouteView(try await deploy(RouteContext(context), versionID: versionID), accountID: accountID))
    }

    /// Makes a version live (the API's and the dashboard's deployments); returns the route as it now is.
    func deploy(_ ids: RouteContext, versionID: String) async throws -> DynamicRoute {
        try await edits.run {
            var route = try await existing(ids)
            guard route.versions.contains(where: { $0.versionID == versionID }) else {
                throw ManagementError.badInput("version_id", "route '\(route.name)' has no version '\(versionID)'")
            }
            let now = Date()
            route.deployments.append(RouteDeployment(deploymentID: Self.newID(now), versionID: versionID, createdAt: now))
            if route.deployments.count > 1000 { route.deployments.removeFirst(route.deployments.count - 1000) }
            route.modifiedAt = now
            try await save(route)
            return route
        }
    }

    /// A route of a gateway, or a 404 naming it.
    func route(gatewayID: String, routeID: String) async throws -> DynamicRoute {
        try await existing(RouteContext(gateway: gatewayID, route: routeID))
    }

    /// `GET .../routes/{route_id}/deployments`: `{"success", "data": {"deployments": [...], ...}}`, newest first.
    func listDeployments(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let route = try await existing(RouteContext(context))
        let paging = try ListPaging(request.uri.query)
        let all = route.deployments.reversed().map(DeploymentView.init)
        return V4Response.json(DataAnswer(data: DataPage("deployments", all, paging: paging)), status: .ok)
    }

    // MARK: Storage

    /// A gateway's routes as stored.
    func stored(gatewayID: String) async throws -> [DynamicRoute] {
        try await store.dynamicRoutes(gatewayID: gatewayID)
    }

    private func save(_ route: DynamicRoute) async throws {
        try await store.saveDynamicRoute(route)
        try await publish(gatewayID: route.gatewayID)
    }

    /// Serves the gateway's routes as stored now.
    func publish(gatewayID: String) async throws {
        routes.replace(gatewayID: gatewayID, with: try await stored(gatewayID: gatewayID))
    }

    /// The gateway and route ids a route URL names, read before a turn is taken.
    struct RouteContext: Sendable {
        var gateway: String
        var route: String
        init(_ context: GatewayRequestContext) {
            gateway = context.parameters.required("gateway")
            route = context.parameters.required("route")
        }
        init(gateway: String, route: String) {
            self.gateway = gateway
            self.route = route
        }
    }

    private func existing(_ context: GatewayRequestContext) async throws -> DynamicRoute {
        try await existing(RouteContext(context))
    }

    private func existing(_ ids: RouteContext) async throws -> DynamicRoute {
        guard directory.settings(ids.gateway) != nil else { throw ManagementError.notFound("gateway '\(ids.gateway)' not found") }
        guard let route = try await stored(gatewayID: ids.gateway).first(where: { $0.id == ids.route }) else {
            throw ManagementError.notFound("route '\(ids.route)' not found in gateway '\(ids.gateway)'")
        }
        return route
    }

    // MARK: Input

    static func name(_ value: JSONValue?) throws -> String {
        guard let name = value?.stringValue, (1...64).contains(name.utf8.count),
            name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") })
        else {
            throw ManagementError.badInput("name", "must be 1 to 64 printable ASCII characters without spaces or '/' (it is used as model \"dynamic/{name}\")")
        }
        return name
    }

    /// The elements of a body, checked as a graph, each model's provider known.
    func checkedElements(_ value: JSONValue?) throws -> [RouteElement] {
        guard let value, value.arrayValue != nil else { throw ManagementError.badInput("elements", "is required: an array of elements") }
        let elements: [RouteElement]
        do {
            elements = try WireFormat.decoder().decode([RouteElement].self, from: value.jsonData())
        } catch {
            throw ManagementError.badInput("elements", "each element needs an id, a type, and outputs of {\"elementId\": ...} (\(Self.describe(error)))")
        }
        let graph = try RouteGraph.compile(elements)
        for (position, node) in graph.nodes.enumerated() {
            guard case .model(let call) = node else { continue }
            do {
                _ = try providers.provider(call.provider)
            } catch let error as GatewayError {
                throw ManagementError.badInput("elements[\(position)] ('\(graph.ids[position])').properties.provider", error.message)
            }
        }
        return elements
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.keyNotFound(let key, let context) = error {
            return "missing '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        return "\(error)"
    }

    static func newID(_ date: Date) -> String { ULID(date: date).description.lowercased() }
}

// MARK: Wire shapes

/// A route as the API shows it: its live version's elements, the live deployment and version.
struct RouteView: Encodable, Sendable {
    var id: String
    var accountTag: String
    var gatewayID: String
    var name: String
    var elements: [RouteElement]
    var deployment: DeploymentView?
    var version: VersionView?
    var createdAt: Date
    var modifiedAt: Date

    /// The route showing its live version, or `showing` (a version just made).
    init(_ route: DynamicRoute, accountID: String, showing: RouteVersion? = nil) {
        let version = showing ?? route.liveVersion
        id = route.id
        accountTag = accountID
        gatewayID = route.gatewayID
        name = route.name
        elements = version?.elements ?? []
        deployment = route.deployment.map(DeploymentView.init)
        self.version = version.map { VersionView($0, live: $0.versionID == route.deployment?.versionID) }
        createdAt = route.createdAt
        modifiedAt = route.modifiedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, elements, deployment, version
        case accountTag = "account_tag"
        case gatewayID = "gateway_id"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }
}

/// A version as Cloudflare lists it: `active` as the text "true" or "false", `data` its elements as JSON text.
struct VersionView: Encodable, Sendable {
    var versionID: String
    var active: String
    var createdAt: String
    var data: String
    var isValid = true

    init(_ version: RouteVersion, live: Bool) {
        versionID = version.versionID
        active = live ? "true" : "false"
        createdAt = WireFormat.timestamp(version.createdAt)
        data = String(decoding: (try? WireFormat.encoder().encode(version.elements)) ?? Data("[]".utf8), as: UTF8.self)
    }

    enum CodingKeys: String, CodingKey {
        case active, data
        case versionID = "version_id"
        case createdAt = "created_at"
        case isValid = "is_valid"
    }
}

/// One version with its route, as `GET .../versions/{version_id}` answers it.
struct VersionDetail: Encodable, Sendable {
    var route: DynamicRoute
    var version: RouteVersion

    enum CodingKeys: String, CodingKey {
        case id, name, elements, active, data
        case gatewayID = "gateway_id"
        case versionID = "version_id"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
        case isValid = "is_valid"
    }

    func encode(to encoder: any Encoder) throws {
        let view = VersionView(version, live: version.versionID == route.deployment?.versionID)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(route.id, forKey: .id)
        try container.encode(route.name, forKey: .name)
        try container.encode(route.gatewayID, forKey: .gatewayID)
        try container.encode(version.elements, forKey: .elements)
        try container.encode(view.active, forKey: .active)
        try container.encode(view.data, forKey: .data)
        try container.encode(view.versionID, forKey: .versionID)
        try container.encode(view.createdAt, forKey: .createdAt)
        try container.encode(route.modifiedAt, forKey: .modifiedAt)
        try container.encode(true, forKey: .isValid)
    }
}

struct DeploymentView: Encodable, Sendable {
    var deploymentID: String
    var versionID: String
    var createdAt: String

    init(_ deployment: RouteDeployment) {
        deploymentID = deployment.deploymentID
        versionID = deployment.versionID
        createdAt = WireFormat.timestamp(deployment.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id"
        case versionID = "version_id"
        case createdAt = "created_at"
    }
}

/// `{"success": true, "data": ...}`: the lists Cloudflare answers outside the envelope (the
/// same under `result` too, so clients that read the envelope read them as well).
struct DataAnswer<Data: Encodable & Sendable>: Encodable, Sendable {
    var data: Data

    enum CodingKeys: String, CodingKey { case success, errors, messages, data, result }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .success)
        try container.encode([String](), forKey: .errors)
        try container.encode([String](), forKey: .messages)
        try container.encode(data, forKey: .data)
        try container.encode(data, forKey: .result)
    }
}

struct RenameAnswer: Encodable, Sendable {
    var route: RouteView
    var success = true
}

/// One page of a list Cloudflare answers outside the envelope, its items under `key`
/// (`routes`, `versions`, `deployments`).
struct DataPage<Item: Encodable & Sendable>: Encodable, Sendable {
    var key: String
    var items: [Item]
    var paging: ListPaging

    /// The page `paging` asks for of `all`.
    init(_ key: String, _ all: [Item], paging: ListPaging) {
        self.key = key
        self.items = paging.slice(all)
        self.paging = paging
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(stringValue: key))
        try container.encode(paging.page, forKey: Key(stringValue: "page"))
        try container.encode(paging.perPage, forKey: Key(stringValue: "per_page"))
        try container.encode("created_at", forKey: Key(stringValue: "order_by"))
        try container.encode("desc", forKey: Key(stringValue: "order_by_direction"))
    }
}
