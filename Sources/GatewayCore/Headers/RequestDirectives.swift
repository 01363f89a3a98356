import AIGateway
import Foundation
import HTTPTypes

/// What a request asks of the gateway through its `cf-aig-*` headers (SPEC section 4),
/// parsed and checked once. A value that cannot be used is a 400 naming the header.
public struct RequestDirectives: Sendable, Equatable {
    /// `cf-aig-collect-log`: false means do not log this request.
    public var collectLog: Bool?
    /// `cf-aig-collect-log-payload`: false means log without request and response bodies.
    public var collectLogPayload: Bool?
    /// `cf-aig-metadata`: at most 5 primitive entries, stored on the log.
    public var metadata: LogMetadata?
    /// `cf-aig-event-id`: stored on the log and echoed back.
    public var eventID: String?
    /// `cf-aig-request-timeout`: milliseconds to the first response byte.
    public var requestTimeoutMs: Int?
    /// `cf-aig-cache-ttl` (or `cf-cache-ttl`): seconds, 1 to 2,592,000.
    public var cacheTTL: Int?
    /// `cf-aig-skip-cache` (or `cf-skip-cache`).
    public var skipCache: Bool?
    /// `cf-aig-cache-key`.
    public var cacheKey: String?
    /// `cf-aig-max-attempts`: 1 to 5.
    public var maxAttempts: Int?
    /// `cf-aig-retry-delay`: milliseconds, at most 5000.
    public var retryDelayMs: Int?
    /// `cf-aig-backoff`: `constant`, `linear` or `exponential`.
    public var backoff: String?
    /// `cf-aig-byok-alias`.
    public var byokAlias: String?
    /// `cf-aig-custom-cost`: the caller's price, which replaces the price table's.
    public var customCost: CustomCost?

    /// `cf-aig-otel-trace-id`: the caller's trace (16 bytes), which the request's spans join.
    public var otelTraceID: [UInt8]?
    /// `cf-aig-otel-parent-span-id`: the caller's span (8 bytes), the request span's parent.
    public var otelParentSpanID: [UInt8]?

    /// No directives.
    public init() {}

    /// Parses every gateway header in `headers`.
    public init(headers: HTTPFields) throws {
        // Every directive's header starts with `cf-`: one pass over the fields gathers them
        // (most requests carry none), and the directives are looked up among those few.
        let fields = GatewayFields(headers)
        guard !fields.isEmpty else { return }
        collectLog = try Self.bool(fields, GatewayHeader.collectLog)
        collectLogPayload = try Self.bool(fields, GatewayHeader.collectLogPayload)
        if let value = fields[GatewayHeader.metadata] {
            metadata = try LogMetadata.parse(json: Data(value.utf8), field: GatewayHeader.metadata)
        }
        if let id = fields[GatewayHeader.eventID] {
            guard !id.isEmpty, id.utf8.count <= 256 else {
                throw GatewayError.badHeader(GatewayHeader.eventID, "must be 1 to 256 characters")
            }
            eventID = id
        }
        requestTimeoutMs = try Self.int(fields, GatewayHeader.requestTimeout, in: 1...3_600_000, unit: "milliseconds")
        cacheTTL =
            try Self.int(fields, GatewayHeader.cacheTTL, in: 1...2_592_000, unit: "seconds")
            ?? Self.int(fields, GatewayHeader.legacyCacheTTL, in: 1...2_592_000, unit: "seconds")
        skipCache = try Self.bool(fields, GatewayHeader.skipCache) ?? Self.bool(fields, GatewayHeader.legacySkipCache)
        if let key = fields[GatewayHeader.cacheKey] {
            guard !key.isEmpty else { throw GatewayError.badHeader(GatewayHeader.cacheKey, "must not be empty") }
            cacheKey = key
        }
        maxAttempts = try Self.int(fields, GatewayHeader.maxAttempts, in: 1...5, unit: "attempts")
        retryDelayMs = try Self.int(fields, GatewayHeader.retryDelay, in: 0...5000, unit: "milliseconds")
        if let backoff = fields[GatewayHeader.backoff] {
            guard ["constant", "linear", "exponential"].contains(backoff) else {
                throw GatewayError.badHeader(
                    GatewayHeader.backoff, "'\(backoff)' is not one of constant, linear, exponential")
            }
            self.backoff = backoff
        }
        if let cost = fields[GatewayHeader.customCost] {
            customCost = try CustomCost.parse(cost, header: GatewayHeader.customCost)
        }
        if let alias = fields[GatewayHeader.byokAlias] {
            guard !alias.isEmpty else { throw GatewayError.badHeader(GatewayHeader.byokAlias, "must not be empty") }
            byokAlias = alias
        }
        if let value = fields[GatewayHeader.otelTraceID] {
            guard let id = TraceContext.id(hex: value, bytes: 16) else {
                throw GatewayError.badHeader(GatewayHeader.otelTraceID, "must be 32 hexadecimal digits, not all zero")
            }
            otelTraceID = id
        }
        if let value = fields[GatewayHeader.otelParentSpanID] {
            guard let id = TraceContext.id(hex: value, bytes: 8) else {
                throw GatewayError.badHeader(GatewayHeader.otelParentSpanID, "must be 16 hexadecimal digits, not all zero")
            }
            otelParentSpanID = id
        }
    }

    /// A request's `cf-*` fields by lowercased name; a name sent more than once has its
    /// values joined with ", ", as HTTP types' own lookup by name joins them.
    private struct GatewayFields {
        private var values: [(name: String, value: String)] = []

        init(_ headers: HTTPFields) {
            for field in headers where field.name.canonicalName.utf8.starts(with: "cf-".utf8) {
                let name = field.name.canonicalName
                if let index = values.firstIndex(where: { $0.name == name }) {
                    values[index].value += ", " + field.value
                } else {
                    values.append((name, field.value))
                }
            }
        }

        var isEmpty: Bool { values.isEmpty }

        subscript(name: String) -> String? {
            values.first(where: { $0.name == name })?.value
        }
    }

    private static func bool(_ fields: GatewayFields, _ header: String) throws -> Bool? {
        guard let value = fields[header] else { return nil }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw GatewayError.badHeader(header, "'\(value)' is not true or false")
        }
    }

    private static func int(_ fields: GatewayFields, _ header: String, in range: ClosedRange<Int>, unit: String) throws
        -> Int?
    {
        guard let value = fields[header] else { return nil }
        guard let number = Int(value.trimmingHTTPWhitespace) else {
            throw GatewayError.badHeader(header, "'\(value)' is not a whole number of \(unit)")
        }
        guard range.contains(number) else {
            throw GatewayError.badHeader(
                header, "\(number) is out of range (\(range.lowerBound) to \(range.upperBound) \(unit))")
        }
        return number
    }
}

extension Dictionary where Key == String, Value == MetadataValue {
    /// Parses JSON against the metadata rules (an object of at most 5 entries whose values
    /// are strings, numbers, booleans or null), or throws a 400 naming `field`.
    public static func parse(json: Data, field: String) throws -> LogMetadata {
        let object: [String: JSONValue]
        do {
            guard let parsed = try JSONValue(json: json).objectValue else {
                throw GatewayError.badHeader(field, "must be a JSON object, e.g. {\"user\": \"123\"}")
            }
            object = parsed
        } catch let failure as JSONReader.Failure {
            throw GatewayError.badHeader(field, "is not JSON: \(failure)")
        }
        var metadata: LogMetadata = [:]
        for (key, value) in object {
            switch value {
            case .string(let text): metadata[key] = .string(text)
            case .number(let number): metadata[key] = .number(number)
            case .bool(let flag): metadata[key] = .bool(flag)
            case .null: metadata[key] = .null
            case .array, .object:
                throw GatewayError.badHeader(
                    field, "entry '\(key.printableInError)' must be a string, number, boolean or null, not \(value.kindDescription)")
            }
        }
        guard metadata.count <= LogMetadata.maximumEntries else {
            throw GatewayError.badHeader(
                field, "has \(metadata.count) entries; at most \(LogMetadata.maximumEntries) are allowed")
        }
        return metadata
    }
}
