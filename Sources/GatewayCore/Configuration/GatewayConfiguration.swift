import AIGateway
import Foundation

/// Everything `aigw serve` can be told, from a JSON file, the environment and flags (in
/// rising precedence). Every field has a default, so an empty file (or none) is valid.
///
/// ```json
/// {
///   "account_id": "local",
///   "listen": {"host": "127.0.0.1", "port": 8787},
///   "database": "sqlite:aigw.sqlite",
///   "providers": {"openai": {"base_url": "http://127.0.0.1:9090/v1"}},
///   "gateways": {"my-gateway": {"collect_logs": true}}
/// }
/// ```
public struct GatewayConfiguration: Sendable, Equatable {
    public var accountID = "local"
    /// The URL clients reach the gateway at (for `getUrl` behind a proxy); defaults to the listen address.
    public var publicURL: String?
    /// Bearer token for the management API; none means loopback clients only.
    public var adminToken: String?
    public var host = "127.0.0.1"
    public var port = 8787
    /// `sqlite:PATH` (or a plain path) or `postgres://...`.
    public var database = "sqlite:aigw.sqlite"
    /// Create unknown gateways on first use (Cloudflare's behaviour); false makes them error 2001.
    public var autoCreateGateways = true
    /// The most gateways auto-creation will make (requests naming more new ones get 2001).
    public var maximumGateways = 10_000
    /// Largest request body accepted (413 beyond).
    public var maxRequestBodyBytes = 10 * 1024 * 1024
    /// How much of each body the log keeps (SPEC: default 10 MB).
    public var logBodyCapBytes = 10 * 1024 * 1024
    /// Milliseconds to wait for a provider's response head when the request does not say.
    public var requestTimeoutMs = 300_000
    /// Connections kept per upstream host.
    public var upstreamConnectionsPerHost = 1024
    /// Of those, how many are kept open while unused (the rest close once their answer is done).
    public var upstreamIdleConnectionsPerHost = 256
    public var logQueue = LogQueueSettings()
    public var providers: [String: ProviderOverride] = [:]
    public var gateways: [String: GatewaySettings] = [:]
    /// Prices over the shipped table, keyed `provider/model`, in USD per million tokens.
    public var prices: [String: ModelPrice] = [:]
    /// The key that seals stored provider keys (BYOK); without one, none can be stored.
    public var masterKey: String?
    /// How much the response cache may hold.
    public var cache = CacheSettings()
    /// How long a client may take to send a request, and how many may be connected at once.
    public var clients = ClientLimits()
    /// When spend counters shared in PostgreSQL cannot be read: refuse the request (true,
    /// 503 code 2051) or let it through with a warning (false, the default).
    public var spendLimitsFailClosed = false
    /// How the gateways' spans wait for their OTLP exporters.
    public var spanExport = SpanExportSettings()
    /// The process's own traces, or nil (the default) for none.
    public var tracing: ProcessTracingSettings?
    /// Where Logpush writes the logs of gateways that export them, or nil for nowhere.
    public var logpush: LogpushDestinationSettings?

    public init() {}

    /// The URL clients use to reach this gateway.
    public var effectivePublicURL: String {
        if let publicURL, !publicURL.isEmpty { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)"
    }

    /// Reads a configuration file, refusing unknown keys so that a misspelt setting is an error, not a no-op.
    public static func load(file path: String) throws -> GatewayConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError("cannot read configuration file \(path): \(error.localizedDescription)")
        }
        return try decode(data, source: path)
    }

    /// Parses configuration JSON; `source` names it in errors.
    public static func decode(_ data: Data, source: String) throws -> GatewayConfiguration {
        do {
            return try JSONDecoder().decode(GatewayConfiguration.self, from: data)
        } catch let error as ConfigurationError {
            throw ConfigurationError("\(source): \(error.message)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.dataCorrupted(context)
        {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(source): \(path.isEmpty ? "" : path + ": ")\(context.debugDescription)")
        } catch {
            throw ConfigurationError("\(source): \(error)")
        }
    }

    /// Applies the environment's `AIGW_*` settings, which win over the file.
    public mutating func applyEnvironment(_ environment: [String: String]) throws {
        if let value = environment["AIGW_ACCOUNT_ID"], !value.isEmpty { accountID = value }
        if let value = environment["AIGW_PUBLIC_URL"], !value.isEmpty { publicURL = value }
        if let value = environment["AIGW_ADMIN_TOKEN"], !value.isEmpty { adminToken = value }
        if let value = environment["AIGW_MASTER_KEY"], !value.isEmpty { masterKey = value }
        if let value = environment["AIGW_DATABASE"], !value.isEmpty { database = value }
        if let value = environment["AIGW_HOST"], !value.isEmpty { host = value }
        if let value = environment["AIGW_PORT"], !value.isEmpty {
            guard let port = Int(value), (0...65535).contains(port) else {
                throw ConfigurationError("AIGW_PORT: '\(value)' is not a port number")
            }
            self.port = port
        }
    }

    /// Checks values that decode but make no sense.
    public func validate() throws {
        guard (0...65535).contains(port) else { throw ConfigurationError("listen.port: \(port) is not a port number") }
        guard maxRequestBodyBytes > 0 else { throw ConfigurationError("max_request_body_bytes must be positive") }
        guard logBodyCapBytes >= 0 else { throw ConfigurationError("log_body_cap_bytes must not be negative") }
        guard requestTimeoutMs > 0 else { throw ConfigurationError("request_timeout_ms must be positive") }
        guard upstreamConnectionsPerHost > 0 else {
            throw ConfigurationError("upstream_connections_per_host must be positive")
        }
        guard upstreamIdleConnectionsPerHost >= 0 else {
            throw ConfigurationError("upstream_idle_connections_per_host must not be negative")
        }
        guard cache.maxBytes >= 0, cache.maxEntryBytes >= 0, cache.evictionIntervalMs > 0 else {
            throw ConfigurationError("cache: max_bytes and max_entry_bytes must not be negative, eviction_interval_ms must be positive")
        }
        if let masterKey { _ = try ProviderKeyCipher(masterKey: masterKey) }
        if cache.shared, !database.hasPrefix("postgres") {
            throw ConfigurationError("cache.shared needs a postgres:// database: the shared tier lives there")
        }
        guard clients.headTimeoutMs > 0, clients.bodyIdleTimeoutMs > 0, clients.bodyTimeoutMs > 0,
            clients.keepAliveTimeoutMs > 0, clients.maxConnections > 0
        else {
            throw ConfigurationError("clients: every timeout and max_connections must be positive")
        }
        guard logQueue.capacity > 0, logQueue.batchSize > 0, logQueue.flushIntervalMs > 0 else {
            throw ConfigurationError("log_queue: capacity, batch_size and flush_interval_ms must be positive")
        }
        try spanExport.validate()
        try tracing?.validate()
        try logpush?.validate()
        for id in gateways.keys {
            do { try GatewayDirectory.validate(id: id) } catch let error as GatewayError {
                throw ConfigurationError("gateways: \(error.message)")
            }
        }
    }
}

/// How much the response cache holds (SPEC section 7).
public struct CacheSettings: Sendable, Equatable, Decodable {
    /// The most bytes of answers kept; past it the least recently used go.
    public var maxBytes = 256 * 1024 * 1024
    /// The largest single answer kept (larger ones are served, not kept).
    public var maxEntryBytes = 10 * 1024 * 1024
    /// How often expired entries are swept.
    public var evictionIntervalMs = 1000
    /// Whether a shared tier in the PostgreSQL database stands behind each process's cache.
    public var shared = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxBytes = "max_bytes"
        case maxEntryBytes = "max_entry_bytes"
        case evictionIntervalMs = "eviction_interval_ms"
        case shared
    }

    public init(from decoder: any Decoder) throws {
        try ConfigurationKeys.rejectUnknown(in: decoder, known: ["max_bytes", "max_entry_bytes", "eviction_interval_ms", "shared"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxBytes = try container.decodeIfPresent(Int.self, forKey: .maxBytes) ?? maxBytes
        maxEntryBytes = try container.decodeIfPresent(Int.self, forKey: .maxEntryBytes) ?? maxEntryBytes
        evictionIntervalMs = try container.decodeIfPresent(Int.self, forKey: .evictionIntervalMs) ?? evictionIntervalMs
        shared = try container.decodeIfPresent(Bool.self, forKey: .shared) ?? shared
    }
}

/// What a client connection may take of the server (README, "Security"): time limits for
/// sending a request, with defaults like a production reverse proxy's, and a cap on open
/// connections. A connection past a limit is closed; the cap stops accepting (the kernel's
/// backlog holds newcomers) until a connection closes.
public struct ClientLimits: Sendable, Equatable, Decodable {
    /// From a connection's opening to its first request head being complete.
    public var headTimeoutMs = 30_000
    /// Longest pause between two reads of a request body.
    public var bodyIdleTimeoutMs = 30_000
    /// Longest time to receive a whole request body, however steadily it drips.
    public var bodyTimeoutMs = 300_000
    /// How long a kept-alive connection may wait, after an answer, for its next request head.
    public var keepAliveTimeoutMs = 75_000
    /// Open client connections at most.
    public var maxConnections = 4096

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case headTimeoutMs = "head_timeout_ms"
        case bodyIdleTimeoutMs = "body_idle_timeout_ms"
        case bodyTimeoutMs = "body_timeout_ms"
        case keepAliveTimeoutMs = "keep_alive_timeout_ms"
        case maxConnections = "max_connections"
    }

    public init(from decoder: any Decoder) throws {
        try ConfigurationKeys.rejectUnknown(in: decoder, known: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        headTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .headTimeoutMs) ?? headTimeoutMs
        bodyIdleTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .bodyIdleTimeoutMs) ?? bodyIdleTimeoutMs
        bodyTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .bodyTimeoutMs) ?? bodyTimeoutMs
        keepAliveTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .keepAliveTimeoutMs) ?? keepAliveTimeoutMs
        maxConnections = try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? maxConnections
    }
}

/// How logs wait between the request path and the store.
public struct LogQueueSettings: Sendable, Equatable, Codable {
    /// Records held at most; past that new records are dropped and counted (`aigw_logs_dropped_total`).
    public var capacity = 100_000
    /// Records written per transaction at most.
    public var batchSize = 1000
    /// How long a partial batch may wait before it is written.
    public var flushIntervalMs = 50
    /// Whether an answer completes only once its log is written (README, "What a crash can
    /// lose"): no answered request is then missing from the log after a crash. The writer
    /// then writes as soon as it is free (group commit) instead of waiting for company.
    public var durable = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case capacity
        case batchSize = "batch_size"
        case flushIntervalMs = "flush_interval_ms"
        case durable
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try ConfigurationKeys.rejectUnknown(in: decoder, known: ["capacity", "batch_size", "flush_interval_ms", "durable"])
        capacity = try container.decodeIfPresent(Int.self, forKey: .capacity) ?? capacity
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        flushIntervalMs = try container.decodeIfPresent(Int.self, forKey: .flushIntervalMs) ?? flushIntervalMs
        durable = try container.decodeIfPresent(Bool.self, forKey: .durable) ?? durable
    }
}

extension GatewayConfiguration: Decodable {
    private enum Key: String, CodingKey, CaseIterable {
        case accountID = "account_id"
        case publicURL = "public_url"
        case adminToken = "admin_token"
        case listen, database, providers, gateways
        case autoCreateGateways = "auto_create_gateways"
        case maximumGateways = "max_gateways"
        case maxRequestBodyBytes = "max_request_body_bytes"
        case logBodyCapBytes = "log_body_cap_bytes"
        case requestTimeoutMs = "request_timeout_ms"
        case upstreamConnectionsPerHost = "upstream_connections_per_host"
        case upstreamIdleConnectionsPerHost = "upstream_idle_connections_per_host"
        case logQueue = "log_queue"
        case prices, cache, clients
        case masterKey = "master_key"
        case spendLimitsFailClosed = "spend_limits_fail_closed"
        case spanExport = "span_export"
        case tracing, logpush
    }

    private struct Listen: Decodable {
        var host: String?
        var port: Int?
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        try ConfigurationKeys.rejectUnknown(in: decoder, known: Set(Key.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: Key.self)
        accountID = try container.decodeIfPresent(String.self, forKey: .accountID) ?? accountID
        publicURL = try container.decodeIfPresent(String.self, forKey: .publicURL)
        adminToken = try container.decodeIfPresent(String.self, forKey: .adminToken)
        if let listen = try container.decodeIfPresent(Listen.self, forKey: .listen) {
            host = listen.host ?? host
            port = listen.port ?? port
        }
        database = try container.decodeIfPresent(String.self, forKey: .database) ?? database
        autoCreateGateways = try container.decodeIfPresent(Bool.self, forKey: .autoCreateGateways) ?? autoCreateGateways
        maximumGateways = try container.decodeIfPresent(Int.self, forKey: .maximumGateways) ?? maximumGateways
        maxRequestBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxRequestBodyBytes) ?? maxRequestBodyBytes
        logBodyCapBytes = try container.decodeIfPresent(Int.self, forKey: .logBodyCapBytes) ?? logBodyCapBytes
        requestTimeoutMs = try container.decodeIfPresent(Int.self, forKey: .requestTimeoutMs) ?? requestTimeoutMs
        upstreamConnectionsPerHost =
            try container.decodeIfPresent(Int.self, forKey: .upstreamConnectionsPerHost) ?? upstreamConnectionsPerHost
        upstreamIdleConnectionsPerHost =
            try container.decodeIfPresent(Int.self, forKey: .upstreamIdleConnectionsPerHost)
            ?? upstreamIdleConnectionsPerHost
        logQueue = try container.decodeIfPresent(LogQueueSettings.self, forKey: .logQueue) ?? logQueue
        providers = try container.decodeIfPresent([String: ProviderOverride].self, forKey: .providers) ?? [:]
        prices = try container.decodeIfPresent([String: ModelPrice].self, forKey: .prices) ?? [:]
        masterKey = try container.decodeIfPresent(String.self, forKey: .masterKey)
        cache = try container.decodeIfPresent(CacheSettings.self, forKey: .cache) ?? cache
        clients = try container.decodeIfPresent(ClientLimits.self, forKey: .clients) ?? clients
        spendLimitsFailClosed =
            try container.decodeIfPresent(Bool.self, forKey: .spendLimitsFailClosed) ?? spendLimitsFailClosed
        spanExport = try container.decodeIfPresent(SpanExportSettings.self, forKey: .spanExport) ?? spanExport
        tracing = try container.decodeIfPresent(ProcessTracingSettings.self, forKey: .tracing)
        logpush = try container.decodeIfPresent(LogpushDestinationSettings.self, forKey: .logpush)
        // Gateways are checked by the same rules as the management API's bodies.
        let decodedGateways = try container.decodeIfPresent([String: JSONValue].self, forKey: .gateways) ?? [:]
        for (id, value) in decodedGateways {
            do {
                try GatewayDirectory.validate(id: id)
                guard let members = value.objectValue else {
                    throw ManagementError.badInput("settings", "must be an object, not \(value.kindDescription)")
                }
                var settings = GatewaySettings(id: id)
                try GatewaySettingsInput.apply(members.filter { $0.key != "id" }, to: &settings)
                gateways[id] = settings
            } catch let error as ManagementError {
                throw ConfigurationError("gateways.\(id).\(error.message)")
            } catch let error as GatewayError {
                throw ConfigurationError("gateways.\(id): \(error.message)")
            }
        }
    }
}

/// A configuration problem, said in terms of the file's keys or the variable's name.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

enum ConfigurationKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws for a key that is not in `known`, naming it and where it stands.
    static func rejectUnknown(in decoder: any Decoder, known: Set<String>) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            let path = (decoder.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw ConfigurationError(
                "unknown setting '\(path)'; known settings here: \(known.sorted().joined(separator: ", "))")
        }
    }
}
