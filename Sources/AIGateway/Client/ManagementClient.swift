import AsyncHTTPClient
import NIOHTTP1
import Foundation

/// The management REST API (SPEC section 6) beyond what the binding's gateway handle offers:
/// gateways and log lists. What `aigw logs` and `aigw gateways` use.
///
/// ```swift
/// let admin = ManagementClient(baseURL: URL(string: "http://127.0.0.1:8787")!, accountID: "local")
/// let page = try await admin.listLogs(gateway: "my-gateway", filters: [.init(key: "provider", operator: "eq", values: ["openai"])])
/// ```
public struct ManagementClient: Sendable {
    /// The aigw server.
    public let baseURL: URL
    /// The account it serves.
    public let accountID: String
    let adminToken: String?
    let transport: Transport

    /// A client of the management API at `baseURL`, sending `adminToken` as a bearer token when given.
    public init(
        baseURL: URL, accountID: String, adminToken: String? = nil, httpClient: HTTPClient = .shared,
        timeout: Duration = .seconds(60)
    ) {
        self.baseURL = baseURL
        self.accountID = accountID
        self.adminToken = adminToken
        self.transport = Transport(client: httpClient, timeout: timeout)
    }

    /// One filter of a log list or deletion: `key` compared by `operator` (`eq`, `neq`,
    /// `contains`, `lt`, `gt`) with `values`.
    public struct LogFilter: Sendable, Hashable, Encodable {
        /// The field, e.g. `provider` or `metadata.key`.
        public var key: String
        /// `eq`, `neq`, `contains`, `lt` or `gt`.
        public var `operator`: String
        /// The values compared with (any of them, for `eq`).
        public var value: [String]

        /// A filter on `key`.
        public init(key: String, operator: String, values: [String]) {
            self.key = key
            self.operator = `operator`
            self.value = values
        }
    }

    /// A page of results and the paging the server reported.
    public struct Page<Item: Sendable>: Sendable {
        /// The items of this page.
        public var items: [Item]
        /// This page's number, from 1.
        public var page: Int
        /// The most items a page holds.
        public var perPage: Int
        /// How many items match, across all pages.
        public var totalCount: Int
    }

    // MARK: - Gateways

    /// Gateways, sorted by id, `search` matching part of the id.
    public func listGateways(page: Int = 1, perPage: Int = 50, search: String? = nil) async throws -> Page<GatewaySettings> {
        var query = [("page", String(page)), ("per_page", String(perPage))]
        if let search { query.append(("search", search)) }
        return try await list(GatewaySettings.self, path: "/gateways", query: query)
    }

    /// Creates a gateway with `settings` (snake_case keys as in SPEC section 6).
    public func createGateway(id: String, settings: [String: JSONValue] = [:]) async throws -> GatewaySettings {
        var body = settings
        body["id"] = .string(id)
        return try await call(.POST, "/gateways", body: JSONValue.object(body).jsonData(), as: GatewaySettings.self)
    }

    /// Changes the given settings of a gateway; the others stay.
    public func updateGateway(id: String, settings: [String: JSONValue]) async throws -> GatewaySettings {
        try await call(.PUT, "/gateways/" + id.pathSegment, body: JSONValue.object(settings).jsonData(), as: GatewaySettings.self)
    }

    /// One gateway.
    public func gateway(id: String) async throws -> GatewaySettings {
        try await call(.GET, "/gateways/" + id.pathSegment, as: GatewaySettings.self)
    }

    /// Where each spend rule's budget of a gateway stands now, per partition (aigw's own API).
    public func spend(gatewayID: String) async throws -> [SpendStanding] {
        try await call(.GET, "/gateways/" + gatewayID.pathSegment + "/spend", as: [SpendStanding].self)
    }

    // MARK: - Dynamic routes

    /// A gateway's dynamic routes (the first 1,000).
    public func routes(gateway: String) async throws -> [RouteInfo] {
        try await call(.GET, "/gateways/\(gateway.pathSegment)/routes?per_page=1000", as: RoutesPage.self).routes
    }

    /// A route's versions, newest first.
    public func routeVersions(gateway: String, route: String) async throws -> [RouteVersionInfo] {
        try await call(.GET, "/gateways/\(gateway.pathSegment)/routes/\(route.pathSegment)/versions?per_page=1000", as: VersionsPage.self)
            .versions
    }

    /// A route's deployments, newest first (the first one is live).
    public func routeDeployments(gateway: String, route: String) async throws -> [RouteDeploymentInfo] {
        try await call(
            .GET, "/gateways/\(gateway.pathSegment)/routes/\(route.pathSegment)/deployments?per_page=1000", as: DeploymentsPage.self
        ).deployments
    }

    /// Makes a version of a route live; returns the route as it now is.
    public func deployRoute(gateway: String, route: String, version: String) async throws -> RouteInfo {
        try await call(
            .POST, "/gateways/\(gateway.pathSegment)/routes/\(route.pathSegment)/deployments",
            body: JSONValue.object(["version_id": .string(version)]).jsonData(), as: RouteInfo.self)
    }

    private struct RoutesPage: Decodable { var routes: [RouteInfo] }
    private struct VersionsPage: Decodable { var versions: [RouteVersionInfo] }
    private struct DeploymentsPage: Decodable { var deployments: [RouteDeploymentInfo] }

    /// Deletes a gateway and its logs; returns what it was.
    public func deleteGateway(id: String) async throws -> GatewaySettings {
        try await call(.DELETE, "/gateways/" + id.pathSegment, as: GatewaySettings.self)
    }

    // MARK: - Logs

    /// A page of a gateway's logs, newest first unless told otherwise.
    public func listLogs(
        gateway: String, page: Int = 1, perPage: Int = 20, filters: [LogFilter] = [], search: String? = nil,
        orderBy: String? = nil, descending: Bool = true
    ) async throws -> Page<AIGatewayLog> {
        var query = [("page", String(page)), ("per_page", String(perPage))]
        query += try Self.filterParameter(filters)
        if let search { query.append(("search", search)) }
        if let orderBy { query.append(("order_by", orderBy)) }
        query.append(("order_by_direction", descending ? "desc" : "asc"))
        return try await list(AIGatewayLog.self, path: "/gateways/\(gateway.pathSegment)/logs", query: query)
    }

    /// One log.
    public func log(gateway: String, id: String) async throws -> AIGatewayLog {
        try await call(.GET, "/gateways/\(gateway.pathSegment)/logs/\(id.pathSegment)", as: AIGatewayLog.self)
    }

    /// Changes a log's feedback, score and/or metadata; returns the log as it now is.
    public func patchLog(gateway: String, id: String, _ patch: LogPatch) async throws -> AIGatewayLog {
        try await call(
            .PATCH, "/gateways/\(gateway.pathSegment)/logs/\(id.pathSegment)", body: patch.jsonBody(), as: AIGatewayLog.self)
    }

    /// Deletes the logs matching `filters` (all when none), at most `limit`; returns how many.
    public func deleteLogs(gateway: String, filters: [LogFilter] = [], limit: Int? = nil) async throws -> Int {
        var query = try Self.filterParameter(filters)
        if let limit { query.append(("limit", String(limit))) }
        let result = try await call(
            .DELETE, "/gateways/\(gateway.pathSegment)/logs" + Self.queryString(query), as: [String: Int].self)
        return result["deleted"] ?? 0
    }

    // MARK: - Analytics

    /// Requests, errors, cached answers, tokens, cost and durations over a time range, for one
    /// gateway (or every gateway, for nil): in total, per `groupBy` (`provider`, `model`,
    /// `status`, `cached`) and per bucket of `interval` (`minute`, `hour`, `day`). Nil bounds
    /// and interval take the server's defaults (the last 24 hours, in hours).
    public func analytics(
        gateway: String?, start: Date? = nil, end: Date? = nil, interval: String? = nil, groupBy: String? = nil,
        filters: [LogFilter] = []
    ) async throws -> GatewayAnalytics {
        var query = try Self.filterParameter(filters)
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let start { query.append(("start", start.formatted(format))) }
        if let end { query.append(("end", end.formatted(format))) }
        if let interval { query.append(("interval", interval)) }
        if let groupBy { query.append(("group_by", groupBy)) }
        let path = (gateway.map { "/gateways/\($0.pathSegment)" } ?? "") + "/analytics"
        return try await call(.GET, path + Self.queryString(query), as: GatewayAnalytics.self)
    }

    /// A gateway's base URL (provider nil) or the URL of one provider through it.
    public func url(gateway: String, provider: ProviderSlug? = nil) async throws -> String {
        let path = "/gateways/\(gateway.pathSegment)/url" + (provider.map { "/" + $0.rawValue.pathSegment } ?? "")
        return try await call(.GET, path, as: String.self)
    }

    // MARK: - Run tokens

    /// A run token of an authenticated gateway. `token` is there only in the answer that
    /// creates it: the gateway keeps a digest, never the token.
    public struct RunTokenInfo: Sendable, Codable, Hashable {
        public var id: String
        public var name: String
        public var gatewayID: String
        public var createdAt: Date
        /// The token itself: shown once, on creation.
        public var token: String?

        enum CodingKeys: String, CodingKey {
            case id, name, token
            case gatewayID = "gateway_id"
            case createdAt = "created_at"
        }
    }

    /// A gateway's run tokens (never their secrets).
    public func listTokens(gateway: String) async throws -> [RunTokenInfo] {
        try await call(.GET, "/gateways/\(gateway.pathSegment)/tokens", as: [RunTokenInfo].self)
    }

    /// Creates a run token; the answer is the only time its secret is shown.
    public func createToken(gateway: String, name: String) async throws -> RunTokenInfo {
        try await call(
            .POST, "/gateways/\(gateway.pathSegment)/tokens", body: JSONValue.object(["name": .string(name)]).jsonData(),
            as: RunTokenInfo.self)
    }

    /// Revokes a run token: requests carrying it are refused from now on.
    public func revokeToken(gateway: String, id: String) async throws {
        _ = try await call(.DELETE, "/gateways/\(gateway.pathSegment)/tokens/\(id.pathSegment)", as: [String: String].self)
    }

    // MARK: - Stored provider keys

    /// A stored provider key as the API lists it: never its secret.
    public struct ProviderKeyInfo: Sendable, Codable, Hashable {
        public var id: String
        public var alias: String
        public var providerSlug: String
        public var gatewayID: String
        public var defaultConfig: Bool
        public var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case id, alias
            case providerSlug = "provider_slug"
            case gatewayID = "gateway_id"
            case defaultConfig = "default_config"
            case createdAt = "created_at"
        }
    }

    /// A gateway's stored provider keys (never their secrets).
    public func listProviderKeys(gateway: String) async throws -> [ProviderKeyInfo] {
        try await call(.GET, "/gateways/\(gateway.pathSegment)/provider_configs", as: [ProviderKeyInfo].self)
    }

    /// Stores a provider key, sealed with the server's master key; the secret is never shown again.
    public func createProviderKey(gateway: String, provider: String, secret: String, alias: String = "default") async throws
        -> ProviderKeyInfo
    {
        let body = JSONValue.object(["provider_slug": .string(provider), "secret": .string(secret), "alias": .string(alias)])
        return try await call(.POST, "/gateways/\(gateway.pathSegment)/provider_configs", body: body.jsonData(), as: ProviderKeyInfo.self)
    }

    /// Deletes a stored provider key.
    public func deleteProviderKey(gateway: String, id: String) async throws {
        _ = try await call(.DELETE, "/gateways/\(gateway.pathSegment)/provider_configs/\(id.pathSegment)", as: JSONValue.self)
    }

    // MARK: - Internals

    private var root: String {
        "\(baseURL.absoluteString.trimmingSlash)/client/v4/accounts/\(accountID.pathSegment)/ai-gateway"
    }

    private var headers: [(String, String)] {
        adminToken.map { [("authorization", "Bearer \($0)")] } ?? []
    }

    private func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: Data? = nil, as type: T.Type)
        async throws -> T
    {
        let (_, bytes) = try await transport.sendExpectingSuccess(
            method: method, url: root + path, headers: headers, body: body, notFound: AIGatewayHandle.notFound)
        return try Transport.result(T.self, from: bytes)
    }

    private func list<T: Decodable & Sendable>(_ type: T.Type, path: String, query: [(String, String)]) async throws
        -> Page<T>
    {
        let (_, bytes) = try await transport.sendExpectingSuccess(
            method: .GET, url: root + path + Self.queryString(query), headers: headers,
            notFound: AIGatewayHandle.notFound)
        let items = try Transport.result([T].self, from: bytes)
        let info = (try? JSONValue(json: Data(bytes)))?["result_info"]
        func number(_ key: String) -> Int? { info?[key]?.numberValue.map { Int($0) } }
        return Page(
            items: items, page: number("page") ?? 1, perPage: number("per_page") ?? items.count,
            totalCount: number("total_count") ?? items.count)
    }

    /// Filters as one `filters` parameter holding a JSON array (one of the forms the API reads).
    private static func filterParameter(_ filters: [LogFilter]) throws -> [(String, String)] {
        guard !filters.isEmpty else { return [] }
        return [("filters", String(decoding: try JSONEncoder().encode(filters), as: UTF8.self))]
    }

    static func queryString(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return "?"
            + pairs.map { name, value in
                "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
            }.joined(separator: "&")
    }
}
