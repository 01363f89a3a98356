/// A value bound into a statement, before a store turns it into its driver's type.
enum StoreValue: Sendable, Equatable {
    case text(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case bytes([UInt8])
    case null

    /// The value as PostgreSQL's text input reads it (nil for NULL): Swift's shortest form of
    /// a double ("0.00012", "1e-07", "inf", "nan") is what `float8` reads.
    var text: String? {
        switch self {
        case .text(let text): text
        case .integer(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        case .bytes(let bytes): "\\x" + bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        case .null: nil
        }
    }
}

/// What kind of value a column holds; each database names it its own way.
enum ColumnKind: Sendable {
    case text
    /// A 32-bit integer (status codes, steps, feedback).
    case integer
    /// A 64-bit integer (sizes, durations, tokens, times in milliseconds).
    case bigInteger
    case boolean
    case double
    /// JSON (metadata, gateway settings): searchable in PostgreSQL, text in SQLite.
    case json
    case bytes
}

/// The SQL that differs between the stores' databases.
struct SQLDialect: Sendable {
    /// Case-insensitive `LIKE`.
    var like: String
    /// The false literal, for `COALESCE`.
    var falseLiteral: String
    /// A row source of a log's metadata entries, with text columns `key` and `value`.
    var metadataEntries: String
    /// A JSON column read as text.
    var jsonText: @Sendable (_ column: String) -> String
    /// What a bound JSON text is cast with to be stored in a JSON column (`""` or `::jsonb`).
    var jsonCast: String
    /// The column type for each kind.
    var typeName: @Sendable (ColumnKind) -> String

    static let sqlite = SQLDialect(
        like: "LIKE", falseLiteral: "0",
        metadataEntries: "(SELECT key, CAST(atom AS TEXT) AS value FROM json_each(logs.metadata))",
        jsonText: { $0 }, jsonCast: "",
        typeName: { kind in
            switch kind {
            case .text, .json: "TEXT"
            case .integer, .bigInteger, .boolean: "INTEGER"
            case .double: "REAL"
            case .bytes: "BLOB"
            }
        })

    static let postgres = SQLDialect(
        like: "ILIKE", falseLiteral: "false",
        metadataEntries: "jsonb_each_text(logs.metadata) AS entry(key, value)", jsonText: { "\($0)::text" },
        jsonCast: "::jsonb",
        typeName: { kind in
            switch kind {
            case .text: "TEXT"
            case .integer: "INTEGER"
            case .bigInteger: "BIGINT"
            case .boolean: "BOOLEAN"
            case .double: "DOUBLE PRECISION"
            case .json: "JSONB"
            case .bytes: "BYTEA"
            }
        })
}

extension SQLDialect {
    /// The metadata as text, for the free-text search.
    var metadataText: String { jsonText("metadata") }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
