import AIGateway
import Foundation

/// Reads the logs API's query parameters into a ``LogQuery`` or ``LogDeletion``, in every form
/// Cloudflare's clients send them (SPEC section 6):
///
/// - `filters` flattened into repeated dotted parameters, as the Python client sends them:
///   `filters.key=provider&filters.operator=eq&filters.value=openai&filters.value=groq`;
/// - the indexed form `filters[0][key]=provider&filters[0][operator]=eq&filters[0][value][0]=openai`;
/// - a JSON array in one parameter: `filters=[{"key":"provider","operator":"eq","value":["openai"]}]`;
/// - the older flat parameters: `provider`, `model`, `success`, `cached`, `feedback`,
///   `start_date`, `end_date`, `min_cost`, `max_duration`, ...
///
/// Anything it cannot use is a ``ManagementError`` (400) naming the parameter.
public enum LogQueryParser {
    /// The list endpoint's parameters.
    public static func query(_ parameters: QueryParameters) throws -> LogQuery {
        var query = LogQuery()
        var conditions = try filters(parameters)
        var handled: Set<String> = []
        for (name, value) in parameters.pairs where !isFilterParameter(name) {
            handled.insert(name)
            switch name {
            case "page":
                query.page = try integer(value, parameter: name, in: 1...1_000_000)
            case "per_page":
                query.perPage = try integer(value, parameter: name, in: 1...LogQuery.maximumPerPage)
            case "search":
                if let problem = textProblem(value) { throw ManagementError.badInput(name, problem) }
                query.search = value.isEmpty ? nil : value
            case "order_by":
                query.orderBy = try orderField(value)
            case "order_by_direction", "direction":
                query.descending = try direction(value, parameter: name)
            case "meta_info":
                break  // Cloudflare's extra summary; aigw always answers the same shape.
            default:
                guard let condition = try flatCondition(name: name, value: value) else {
                    throw ManagementError.badInput(
                        name, "unknown query parameter (see the logs API in README for the accepted ones)")
                }
                conditions.append(condition)
            }
        }
        query.conditions = conditions
        return query
    }

    /// The delete endpoint's parameters: `filters`, `limit`, `order_by`, `order_by_direction`.
    public static func deletion(_ parameters: QueryParameters) throws -> LogDeletion {
        var deletion = LogDeletion()
        deletion.conditions = try filters(parameters)
        for (name, value) in parameters.pairs where !isFilterParameter(name) {
            switch name {
            case "limit": deletion.limit = try integer(value, parameter: name, in: 1...Int(Int32.max))
            case "order_by": deletion.orderBy = try orderField(value)
            case "order_by_direction", "direction": deletion.descending = try direction(value, parameter: name)
            default:
                throw ManagementError.badInput(
                    name, "unknown query parameter for deleting logs (use filters, limit, order_by, order_by_direction)")
            }
        }
        return deletion
    }

    // MARK: - Filters

    static func isFilterParameter(_ name: String) -> Bool {
        name == "filters" || name.hasPrefix("filters.") || name.hasPrefix("filters[")
    }

    /// A filter as sent, before its values are read as its field's kind.
    struct RawFilter {
        var key: String?
        var comparison: String?
        var values: [String?] = []
    }

    static func filters(_ parameters: QueryParameters) throws -> [LogCondition] {
        let raw = try jsonFilters(parameters) + dottedFilters(parameters) + indexedFilters(parameters)
        return try raw.enumerated().map { index, filter in try condition(filter, index: index, of: raw.count) }
    }

    /// `filters=[{...}]`: a JSON array (or one object) in a single parameter.
    private static func jsonFilters(_ parameters: QueryParameters) throws -> [RawFilter] {
        try parameters.values("filters").flatMap { text -> [RawFilter] in
            let json: JSONValue
            do {
                json = try JSONValue(json: text.utf8)
            } catch {
                throw ManagementError.badInput(
                    "filters", "is not JSON (\(error)); give an array like [{\"key\":\"provider\",\"operator\":\"eq\",\"value\":[\"openai\"]}]")
            }
            let items = json.arrayValue ?? [json]
            return try items.enumerated().map { index, item in
                guard let object = item.objectValue else {
                    throw ManagementError.badInput("filters[\(index)]", "must be an object with key, operator and value")
                }
                var filter = RawFilter(key: object["key"]?.stringValue, comparison: object["operator"]?.stringValue)
                let place = "filters[\(index)].value"
                switch object["value"] {
                case .array(let values)?: filter.values = try values.map { try scalarText($0, parameter: place) }
                case let value?: filter.values = [try scalarText(value, parameter: place)]
                case nil: break
                }
                return filter
            }
        }
    }

    /// JSON scalars as the text a query string would have carried; null stays null; an
    /// array or object (a value of no field's kind) is refused.
    private static func scalarText(_ value: JSONValue, parameter: String) throws -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number):
            number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .array, .object:
            throw ManagementError.badInput(parameter, "must be a string, number, boolean or null, not \(value.kindDescription)")
        }
    }

    /// The longest text a filter or search matches, in bytes (a log's indexed text is cut at 512).
    static let maximumTextBytes = 1024

    /// Why a text to match cannot be matched literally, or nil. A NUL is refused: no stored
    /// text holds one (the stores write it as U+FFFD), and a driver that ends strings at NUL
    /// would otherwise match everything.
    static func textProblem(_ text: String) -> String? {
        if text.utf8.contains(0) { return "holds a NUL character, which no log text contains" }
        if text.utf8.count > maximumTextBytes { return "is longer than \(maximumTextBytes) bytes" }
        return nil
    }

    /// `filters.key=...&filters.operator=...&filters.value=...` (repeated).
    private static func dottedFilters(_ parameters: QueryParameters) throws -> [RawFilter] {
        let keys = parameters.values("filters.key")
        let operators = parameters.values("filters.operator")
        let values = parameters.values("filters.value")
        for (name, _) in parameters.pairs where name.hasPrefix("filters.") {
            guard ["filters.key", "filters.operator", "filters.value"].contains(name) else {
                throw ManagementError.badInput(name, "unknown filter part (use filters.key, filters.operator, filters.value)")
            }
        }
        guard !keys.isEmpty || !operators.isEmpty || !values.isEmpty else { return [] }
        guard keys.count == operators.count else {
            throw ManagementError.badInput(
                "filters", "\(keys.count) filters.key but \(operators.count) filters.operator; give one operator per key")
        }
        if keys.count == 1 {
            return [RawFilter(key: keys[0], comparison: operators[0], values: values)]
        }
        guard values.count == keys.count else {
            throw ManagementError.badInput(
                "filters",
                "with \(keys.count) filters the \(values.count) filters.value cannot be paired by position; "
                    + "give one value per filter, or use the indexed form filters[0][value][0]=...")
        }
        return zip(zip(keys, operators), values).map { RawFilter(key: $0.0, comparison: $0.1, values: [$1]) }
    }

    /// `filters[0][key]=...&filters[0][operator]=...&filters[0][value][0]=...` (or `[value][]`, or `[value]`).
    private static func indexedFilters(_ parameters: QueryParameters) throws -> [RawFilter] {
        var byIndex: [Int: RawFilter] = [:]
        for (name, value) in parameters.pairs where name.hasPrefix("filters[") {
            let parts = bracketParts(name.dropFirst("filters".count))
            guard parts.count >= 2, let index = Int(parts[0]), (0..<100).contains(index) else {
                throw ManagementError.badInput(name, "is not of the form filters[N][key|operator|value]")
            }
            var filter = byIndex[index] ?? RawFilter()
            switch (parts[1], parts.count) {
            case ("key", 2): filter.key = value
            case ("operator", 2): filter.comparison = value
            case ("value", 2), ("value", 3): filter.values.append(value)
            default: throw ManagementError.badInput(name, "is not of the form filters[N][key|operator|value]")
            }
            byIndex[index] = filter
        }
        return byIndex.keys.sorted().map { byIndex[$0]! }
    }

    /// `[0][value][1]` → `["0", "value", "1"]`; nil parts when the brackets do not close.
    private static func bracketParts(_ text: Substring) -> [String] {
        var parts: [String] = []
        var rest = text
        while rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { return [] }
            parts.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return rest.isEmpty ? parts : []
    }

    /// One filter given as key, operator and values (a dataset's), checked as the logs list
    /// checks its filters; errors name `place` (`filters[2]`).
    public static func condition(key: String, operator: String, values: [String?], place: String) throws -> LogCondition {
        try condition(RawFilter(key: key, comparison: `operator`, values: values), place: place)
    }

    private static func condition(_ filter: RawFilter, index: Int, of count: Int) throws -> LogCondition {
        try condition(filter, place: count == 1 ? "filters" : "filters[\(index)]")
    }

    private static func condition(_ filter: RawFilter, place: String) throws -> LogCondition {
        guard let keyText = filter.key, !keyText.isEmpty else {
            throw ManagementError.badInput(place, "has no key")
        }
        guard let field = LogField(rawValue: keyText) else {
            let known = LogField.allCases.map(\.rawValue).joined(separator: ", ")
            throw ManagementError.badInput("\(place).key", "unknown filter key '\(keyText)' (known: \(known))")
        }
        guard let operatorText = filter.comparison, let comparison = LogComparison(rawValue: operatorText),
            [.equals, .notEquals, .contains, .lessThan, .greaterThan].contains(comparison)
        else {
            throw ManagementError.badInput(
                "\(place).operator", "unknown operator '\(filter.comparison ?? "")' (use eq, neq, contains, lt, gt)")
        }
        try check(field: field, comparison: comparison, parameter: place)
        guard !filter.values.isEmpty else {
            throw ManagementError.badInput("\(place).value", "no value given for '\(keyText)'")
        }
        let values = try filter.values.map { text in
            try value(text, field: field, comparison: comparison, parameter: "\(place).value")
        }
        if [.lessThan, .greaterThan].contains(comparison), values.count != 1 || values[0] == .null {
            throw ManagementError.badInput("\(place).value", "'\(comparison.rawValue)' takes exactly one value")
        }
        if comparison == .contains, values.contains(.null) {
            throw ManagementError.badInput("\(place).value", "'contains' needs text to look for, not null")
        }
        return LogCondition(field, comparison, values)
    }

    /// Whether the operator applies to the field's kind of value.
    private static func check(field: LogField, comparison: LogComparison, parameter: String) throws {
        switch comparison {
        case .contains:
            guard field.kind == .text else {
                throw ManagementError.badInput("\(parameter).operator", "'contains' applies to text fields, not '\(field.rawValue)'")
            }
        case .lessThan, .greaterThan, .atLeast, .atMost:
            guard field.kind == .number || field.kind == .date else {
                throw ManagementError.badInput(
                    "\(parameter).operator", "'\(comparison.rawValue)' applies to numbers and dates, not '\(field.rawValue)'")
            }
        case .equals, .notEquals:
            break
        }
    }

    /// Reads one filter value as `field`'s kind.
    static func value(_ text: String?, field: LogField, comparison: LogComparison, parameter: String) throws
        -> LogFilterValue
    {
        // A JSON null, or the word null for a field that cannot hold that text: "is absent".
        guard let text else { return .null }
        if text == "null", field.kind != .text { return .null }
        switch field.kind {
        case .text:
            if let problem = textProblem(text) { throw ManagementError.badInput(parameter, problem) }
            return .text(text)
        case .bool:
            switch text.lowercased() {
            case "true", "1": return .bool(true)
            case "false", "0": return .bool(false)
            default: throw ManagementError.badInput(parameter, "'\(text)' is not true or false (for \(field.rawValue))")
            }
        case .number:
            guard let number = Double(text), number.isFinite else {
                throw ManagementError.badInput(parameter, "'\(text)' is not a number (for \(field.rawValue))")
            }
            return .number(number)
        case .date:
            guard let milliseconds = Timestamp.milliseconds(iso8601: text) else {
                throw ManagementError.badInput(
                    parameter, "'\(text)' is not an ISO 8601 date such as 2025-01-31T12:00:00Z (for \(field.rawValue))")
            }
            return .date(milliseconds)
        }
    }

    // MARK: - Flat parameters and ordering

    /// The older flat parameters, each one condition; nil for a name that is not one.
    static func flatCondition(name: String, value: String) throws -> LogCondition? {
        func text(_ field: LogField) throws -> LogCondition {
            if let problem = textProblem(value) { throw ManagementError.badInput(name, problem) }
            return LogCondition(field, .equals, [.text(value)])
        }
        func read(_ field: LogField, _ comparison: LogComparison) throws -> LogCondition {
            LogCondition(field, comparison, [try self.value(value, field: field, comparison: comparison, parameter: name)])
        }
        switch name {
        case "provider": return try text(.provider)
        case "model": return try text(.model)
        case "model_type": return try text(.modelType)
        case "request_content_type": return try text(.requestContentType)
        case "response_content_type": return try text(.responseContentType)
        case "event_id": return try text(.eventID)
        case "dlp_action": return try text(.dlpAction)
        case "guardrail_action": return try text(.guardrailAction)
        case "route_name": return try text(.routeName)
        case "success": return try read(.success, .equals)
        case "cached": return try read(.cached, .equals)
        case "feedback":
            // Cloudflare's flat parameter is 0 (thumbs down) or 1 (thumbs up); -1 is accepted too.
            switch value {
            case "1": return LogCondition(.feedback, .equals, [.number(1)])
            case "0", "-1": return LogCondition(.feedback, .equals, [.number(-1)])
            default: throw ManagementError.badInput(name, "'\(value)' is not 1 (thumbs up) or 0 (thumbs down)")
            }
        case "start_date": return try read(.createdAt, .atLeast)
        case "end_date": return try read(.createdAt, .atMost)
        default:
            for (prefix, comparison) in [("min_", LogComparison.atLeast), ("max_", .atMost)] where name.hasPrefix(prefix) {
                let fieldName = String(name.dropFirst(prefix.count))
                let field: LogField? =
                    switch fieldName {
                    case "cost": .cost
                    case "duration": .duration
                    case "tokens_in": .tokensIn
                    case "tokens_out": .tokensOut
                    case "total_tokens": .tokens
                    default: nil
                    }
                if let field { return try read(field, comparison) }
            }
            return nil
        }
    }

    private static func orderField(_ value: String) throws -> LogField {
        guard let field = LogField(rawValue: value), LogField.orderable.contains(field) else {
            throw ManagementError.badInput(
                "order_by", "cannot order by '\(value)' (use \(LogField.orderable.map(\.rawValue).joined(separator: ", ")))")
        }
        return field
    }

    private static func direction(_ value: String, parameter: String) throws -> Bool {
        switch value.lowercased() {
        case "desc": return true
        case "asc": return false
        default: throw ManagementError.badInput(parameter, "'\(value)' is not asc or desc")
        }
    }

    private static func integer(_ value: String, parameter: String, in range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(value) else {
            throw ManagementError.badInput(parameter, "'\(value)' is not a whole number")
        }
        guard range.contains(number) else {
            throw ManagementError.badInput(parameter, "\(number) is out of range (\(range.lowerBound) to \(range.upperBound))")
        }
        return number
    }
}

/// Reading ISO 8601 timestamps as sent by Cloudflare's clients (`2025-01-31T12:00:00Z`,
/// `2025-01-31T12:00:00.123456+00:00`, or a bare date).
public enum Timestamp {
    /// Milliseconds since 1970 for an ISO 8601 date or date-time, or nil.
    public static func milliseconds(iso8601 text: String) -> Int64? {
        var value = text.trimmingCharacters(in: .whitespaces)
        if value.count == 10 { value += "T00:00:00Z" }
        // Without a zone the time is taken as UTC.
        if !(value.hasSuffix("Z") || value.hasSuffix("z") || value.dropFirst(19).contains("+")
            || value.dropFirst(19).contains("-"))
        {
            value += "Z"
        }
        for style in [
            Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle(),
        ] {
            if let date = try? style.parse(value) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        // Fractions longer than milliseconds (Python's microseconds): keep three digits.
        if let dot = value.firstIndex(of: ".") {
            let digits = value[value.index(after: dot)...].prefix { $0.isNumber }
            if digits.count > 3 {
                let trimmed = String(value[...dot]) + digits.prefix(3) + value[digits.endIndex...]
                if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(trimmed) {
                    return Int64((date.timeIntervalSince1970 * 1000).rounded())
                }
            }
        }
        return nil
    }
}
