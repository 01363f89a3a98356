import AIGateway
import GatewayCore

/// A `WHERE` clause over the `logs` table, with its bound values, built from log
/// conditions. Placeholders are written `?`; a store whose driver numbers them rewrites them.
struct LogFilterSQL {
    private(set) var clauses: [String] = []
    private(set) var binds: [StoreValue] = []
    let dialect: SQLDialect

    /// The logs of one gateway (of every gateway, for nil) matching every condition (and the
    /// search text, when given).
    init(gatewayID: String?, conditions: [LogCondition], search: String? = nil, dialect: SQLDialect) {
        self.dialect = dialect
        if let gatewayID {
            clauses.append("gateway_id = ?")
            binds.append(.text(gatewayID))
        }
        for condition in conditions { add(condition) }
        if let search, !search.isEmpty {
            let columns = ["id", "provider", "model", "path", "event_id", dialect.metadataText]
            clauses.append("(" + columns.map { "\($0) \(dialect.like) ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
            binds += Array(repeating: .text(Self.likePattern(search)), count: columns.count)
        }
    }

    /// `clause1 AND clause2 ...` (`1 = 1` when there is none).
    var sql: String { clauses.isEmpty ? "1 = 1" : clauses.joined(separator: " AND ") }

    /// Adds a clause with its bound values.
    mutating func add(_ clause: String, _ values: [StoreValue]) {
        clauses.append(clause)
        binds += values
    }

    /// The SQL expression a field is read from.
    static func column(_ field: LogField) -> String {
        switch field {
        case .tokens: "(COALESCE(tokens_in, 0) + COALESCE(tokens_out, 0))"
        case .metadataKey, .metadataValue: "metadata"
        default: field.rawValue
        }
    }

    private mutating func add(_ condition: LogCondition) {
        switch condition.field {
        case .metadataKey: addMetadata(condition, part: "key")
        case .metadataValue: addMetadata(condition, part: "value")
        default: addColumn(condition, column: Self.column(condition.field))
        }
    }

    private mutating func addColumn(_ condition: LogCondition, column: String) {
        let present = condition.values.filter { $0 != .null }
        let includesNull = present.count < condition.values.count
        switch condition.comparison {
        case .equals, .notEquals:
            var parts: [String] = []
            if !present.isEmpty {
                parts.append("\(column) IN (\(Self.placeholders(present.count)))")
                binds += present.map(Self.bind)
            }
            if includesNull { parts.append("\(column) IS NULL") }
            let matches = "(" + parts.joined(separator: " OR ") + ")"
            // NOT (x IN (...)) is NULL for a NULL x; a log without the field does not equal the values.
            clauses.append(condition.comparison == .equals ? matches : "NOT COALESCE(\(matches), \(dialect.falseLiteral))")
        case .contains:
            clauses.append(
                "(" + present.map { _ in "CAST(\(column) AS TEXT) \(dialect.like) ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
            binds += present.map { .text(Self.likePattern(Self.text($0))) }
        case .lessThan, .greaterThan, .atLeast, .atMost:
            let symbol =
                switch condition.comparison {
                case .lessThan: "<"
                case .greaterThan: ">"
                case .atLeast: ">="
                default: "<="
                }
            clauses.append("\(column) \(symbol) ?")
            binds.append(Self.bind(present[0]))
        }
    }

    /// Conditions on metadata keys or values, over the dialect's metadata entries.
    private mutating func addMetadata(_ condition: LogCondition, part: String) {
        let texts = condition.values.map(Self.text)
        let test: String
        switch condition.comparison {
        case .contains:
            test = "(" + texts.map { _ in "\(part) \(dialect.like) ? ESCAPE '\\'" }.joined(separator: " OR ") + ")"
            binds += texts.map { .text(Self.likePattern($0)) }
        default:
            test = "\(part) IN (\(Self.placeholders(texts.count)))"
            binds += texts.map { .text($0) }
        }
        let exists = "EXISTS (SELECT 1 FROM \(dialect.metadataEntries) WHERE \(test))"
        clauses.append(condition.comparison == .notEquals ? "NOT \(exists)" : exists)
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }

    private static func bind(_ value: LogFilterValue) -> StoreValue {
        switch value {
        case .text(let text): .text(text)
        case .number(let number): .double(number)
        case .bool(let flag): .bool(flag)
        case .date(let milliseconds): .integer(Int(milliseconds))
        case .null: .null
        }
    }

    private static func text(_ value: LogFilterValue) -> String {
        switch value {
        case .text(let text): text
        case .number(let number): number.rounded() == number ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "1" : "0"
        case .date(let milliseconds): String(milliseconds)
        case .null: ""
        }
    }

    /// `%text%` with LIKE's wildcards in `text` escaped.
    static func likePattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }
}

extension LogFilterSQL {
    /// The statements of a logs page: the page itself (`SELECT {columns} ... LIMIT ? OFFSET ?`)
    /// and the count of every match, with their values.
    static func page(
        gatewayID: String, query: LogQuery, columns: String, dialect: SQLDialect
    ) -> (sql: String, values: [StoreValue], countSQL: String, countValues: [StoreValue]) {
        let filter = LogFilterSQL(gatewayID: gatewayID, conditions: query.conditions, search: query.search, dialect: dialect)
        let direction = query.descending ? "DESC" : "ASC"
        let sql =
            "SELECT \(columns) FROM logs WHERE \(filter.sql) ORDER BY \(column(query.orderBy)) \(direction), "
            + "id \(direction) LIMIT ? OFFSET ?"
        return (
            sql, filter.binds + [.integer(query.perPage), .integer((query.page - 1) * query.perPage)],
            "SELECT COUNT(*) AS n FROM logs WHERE \(filter.sql)", filter.binds
        )
    }

    /// The statement deleting what `deletion` selects (oldest first, at most `limit`, when
    /// limited), returning the deleted ids.
    static func delete(gatewayID: String, deletion: LogDeletion, dialect: SQLDialect) -> (sql: String, values: [StoreValue]) {
        let filter = LogFilterSQL(gatewayID: gatewayID, conditions: deletion.conditions, dialect: dialect)
        // What is deleted comes back with what its rollups need to subtract.
        let returning = "RETURNING id, \(LogRollups.deletedColumns)"
        guard let limit = deletion.limit else { return ("DELETE FROM logs WHERE \(filter.sql) \(returning)", filter.binds) }
        let direction = deletion.descending ? "DESC" : "ASC"
        return (
            "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE \(filter.sql) ORDER BY "
                + "\(column(deletion.orderBy)) \(direction), id \(direction) LIMIT ?) \(returning)",
            filter.binds + [.integer(limit)]
        )
    }
}

/// The `SET` list of a log patch: only the fields the patch changes, `?` placeholders, so
/// concurrent patches of different fields each change only their own columns.
struct LogPatchSQL {
    private(set) var assignments: [String] = []
    private(set) var values: [StoreValue] = []

    /// The assignments for `patch`; `jsonCast` is appended to the metadata placeholder (`::jsonb`).
    init(_ patch: LogPatch, jsonCast: String = "") {
        switch patch.feedback {
        case .unchanged: break
        case .cleared: assign("feedback", .null)
        case .set(let value): assign("feedback", .integer(value))
        }
        switch patch.score {
        case .unchanged: break
        case .cleared: assign("score", .null)
        case .set(let value): assign("score", .integer(value))
        }
        switch patch.metadata {
        case .unchanged: break
        case .cleared: assign("metadata", .null, cast: jsonCast)
        case .set(let value): assign("metadata", .text(MetadataJSON.encode(value)), cast: jsonCast)
        }
    }

    /// Whether the patch changes nothing.
    var isEmpty: Bool { assignments.isEmpty }

    /// `feedback = ?, score = ?`.
    var sql: String { assignments.joined(separator: ", ") }

    private mutating func assign(_ column: String, _ value: StoreValue, cast: String = "") {
        assignments.append("\(column) = ?\(cast)")
        values.append(value)
    }
}
