import AIGateway
import Foundation
import GatewayCore

/// One column of the `logs` table: its name, kind and constraint, and the value a log gives it.
struct LogColumn: Sendable {
    let name: String
    let kind: ColumnKind
    /// `PRIMARY KEY`, `NOT NULL`, or nothing.
    let constraint: String
    let value: @Sendable (StoredLog) -> StoreValue

    init(_ name: String, _ kind: ColumnKind, _ constraint: String = "", _ value: @escaping @Sendable (StoredLog) -> StoreValue) {
        self.name = name
        self.kind = kind
        self.constraint = constraint
        self.value = value
    }
}

/// The `logs` table, for both stores: its columns in insert order, its definition, the
/// indexes the logs API's filters use, and how a row becomes a log again. A new log field
/// is one line here (and a migration in each store that adds the column).
enum LogColumns {
    static let all: [LogColumn] = [
        LogColumn("id", .text, "PRIMARY KEY") { .text($0.log.id) },
        LogColumn("gateway_id", .text, "NOT NULL") { .text($0.log.gatewayID) },
        LogColumn("provider", .text, "NOT NULL") { .text($0.log.provider) },
        LogColumn("model", .text, "NOT NULL") { .text($0.log.model) },
        LogColumn("model_type", .text) { .optional($0.log.modelType) },
        LogColumn("path", .text, "NOT NULL") { .text($0.log.path) },
        LogColumn("duration", .bigInteger, "NOT NULL") { .integer($0.log.duration) },
        LogColumn("request_type", .text) { .optional($0.log.requestType) },
        LogColumn("request_content_type", .text) { .optional($0.log.requestContentType) },
        LogColumn("status_code", .integer, "NOT NULL") { .integer($0.log.statusCode) },
        LogColumn("response_content_type", .text) { .optional($0.log.responseContentType) },
        LogColumn("success", .boolean, "NOT NULL") { .bool($0.log.success) },
        LogColumn("cached", .boolean, "NOT NULL") { .bool($0.log.cached) },
        LogColumn("tokens_in", .bigInteger) { .optional($0.log.tokensIn) },
        LogColumn("tokens_out", .bigInteger) { .optional($0.log.tokensOut) },
        LogColumn("cached_tokens_in", .bigInteger) { .optional($0.usage.cachedInput) },
        LogColumn("cache_write_tokens_in", .bigInteger) { .optional($0.usage.cacheCreationInput) },
        LogColumn("metadata", .json) { .optional($0.log.metadata.map(MetadataJSON.encode)) },
        LogColumn("step", .integer) { .optional($0.log.step) },
        LogColumn("cost", .double) { $0.log.cost.map(StoreValue.double) ?? .null },
        LogColumn("custom_cost", .boolean) { $0.log.customCost.map(StoreValue.bool) ?? .null },
        LogColumn("request_size", .bigInteger, "NOT NULL") { .integer($0.log.requestSize) },
        LogColumn("request_head", .text) { .optional($0.log.requestHead) },
        LogColumn("request_head_complete", .boolean, "NOT NULL") { .bool($0.log.requestHeadComplete) },
        LogColumn("response_size", .bigInteger, "NOT NULL") { .integer($0.log.responseSize) },
        LogColumn("response_head", .text) { .optional($0.log.responseHead) },
        LogColumn("response_head_complete", .boolean, "NOT NULL") { .bool($0.log.responseHeadComplete) },
        LogColumn("created_at", .bigInteger, "NOT NULL") { .integer(Int($0.log.createdAt.timeIntervalSince1970 * 1000)) },
        LogColumn("event_id", .text) { .optional($0.log.eventID) },
        LogColumn("feedback", .integer) { .optional($0.log.feedback) },
        LogColumn("score", .integer) { .optional($0.log.score) },
        LogColumn("error", .text) { .optional($0.log.error) },
        LogColumn("route_name", .text) { .optional($0.log.route?.name) },
        LogColumn("route_version", .text) { .optional($0.log.route?.versionID) },
        LogColumn("route_path", .text) { .optional($0.log.route.map { $0.path.joined(separator: ">") }) },
        LogColumn("dlp_action", .text) { .optional($0.log.dlp?.action) },
        LogColumn("dlp_findings", .text) { .optional($0.log.dlp.flatMap(LogColumns.json)) },
        LogColumn("guardrail_action", .text) { .optional($0.log.guardrails?.action) },
        LogColumn("guardrail_categories", .text) { .optional($0.log.guardrails.map { $0.check + ":" + $0.categories.joined(separator: ",") }) },
    ]

    static func json(_ value: some Encodable) -> String? {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A route's logged paths since a time (`?`: gateway, route name, milliseconds).
    static let selectRoutePaths = """
        SELECT route_version, route_path, COUNT(*) AS n FROM logs
        WHERE gateway_id = ? AND route_name = ? AND created_at >= ?
        GROUP BY route_version, route_path ORDER BY n DESC LIMIT 100
        """

    /// The migration that adds the dynamic route columns to a table made before them.
    static func addRouteColumns(_ dialect: SQLDialect) -> [String] { addColumns(routeColumns, dialect) }

    /// The migration that adds the DLP and guardrail columns.
    static func addProtectionColumns(_ dialect: SQLDialect) -> [String] { addColumns(protectionColumns, dialect) }

    private static func addColumns(_ names: Set<String>, _ dialect: SQLDialect) -> [String] {
        all.filter { names.contains($0.name) }.map { "ALTER TABLE logs ADD COLUMN \($0.name) \(dialect.typeName($0.kind))" }
    }

    static let names = all.map(\.name)

    /// Columns added by a later migration (``addRouteColumns(_:)``), so not in the first one's table.
    static let addedLater: Set<String> = routeColumns.union(protectionColumns)
    static let routeColumns: Set<String> = ["route_name", "route_version", "route_path"]
    static let protectionColumns: Set<String> = ["dlp_action", "dlp_findings", "guardrail_action", "guardrail_categories"]

    /// `CREATE TABLE logs (...)` in `dialect`, as the first migration makes it.
    static func createTable(_ dialect: SQLDialect) -> String {
        let columns = all.filter { !addedLater.contains($0.name) }.map { column in
            ["    " + column.name, dialect.typeName(column.kind), column.constraint].filter { !$0.isEmpty }.joined(separator: " ")
        }
        return "CREATE TABLE logs (\n" + columns.joined(separator: ",\n") + "\n)"
    }

    /// The index analytics over every gateway first used (one gateway's use
    /// `logs_gateway_created`); the rollups replaced it, and it went, since every index costs
    /// the log writer an insert per log.
    static let analyticsIndex = "CREATE INDEX logs_created ON logs (created_at)"
    static let dropAnalyticsIndex = "DROP INDEX IF EXISTS logs_created"

    /// The indexes of the logs API's common filters and orderings.
    static let indexes = [
        "CREATE INDEX logs_gateway_created ON logs (gateway_id, created_at DESC)",
        "CREATE INDEX logs_gateway_provider ON logs (gateway_id, provider, created_at DESC)",
        "CREATE INDEX logs_gateway_model ON logs (gateway_id, model, created_at DESC)",
        "CREATE INDEX logs_gateway_success ON logs (gateway_id, success, created_at DESC)",
        "CREATE INDEX logs_gateway_event ON logs (gateway_id, event_id) WHERE event_id IS NOT NULL",
    ]

    /// `CREATE TABLE log_bodies (...)`: the capped bodies a log's heads do not hold.
    static func createBodiesTable(_ dialect: SQLDialect) -> String {
        """
        CREATE TABLE log_bodies (
            log_id TEXT PRIMARY KEY REFERENCES logs (id) ON DELETE CASCADE,
            request \(dialect.typeName(.bytes)),
            response \(dialect.typeName(.bytes))
        )
        """
    }

    /// The columns a log is read from: every one, metadata as JSON text.
    static func selectList(_ dialect: SQLDialect) -> String {
        names.map { $0 == "metadata" ? "\(dialect.jsonText("metadata")) AS metadata" : $0 }.joined(separator: ", ")
    }
}

extension StoreValue {
    static func optional(_ text: String?) -> StoreValue { text.map(StoreValue.text) ?? .null }
    static func optional(_ number: Int?) -> StoreValue { number.map(StoreValue.integer) ?? .null }
}
