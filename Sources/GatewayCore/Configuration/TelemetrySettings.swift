import AIGateway

/// How the gateways' spans wait for their exporters (`span_export` in the configuration file).
public struct SpanExportSettings: Sendable, Equatable, Decodable {
    /// Spans held per exporter at most; past it new spans are dropped and counted.
    public var queueCapacity = 4096
    /// Bytes of spans held per exporter at most (prompts and completions count).
    public var queueBytes = 64 * 1024 * 1024
    /// Spans sent per OTLP request at most.
    public var batchSize = 512
    /// How often each exporter sends what it holds.
    public var intervalMs = 1000
    /// How long a collector may take to answer an export.
    public var timeoutMs = 10_000

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case queueCapacity = "queue_capacity"
        case queueBytes = "queue_bytes"
        case batchSize = "batch_size"
        case intervalMs = "interval_ms"
        case timeoutMs = "timeout_ms"
    }

    /// Reads the configuration file's object, refusing keys it does not know.
    public init(from decoder: any Decoder) throws {
        try ConfigurationKeys.rejectUnknown(in: decoder, known: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        queueCapacity = try container.decodeIfPresent(Int.self, forKey: .queueCapacity) ?? queueCapacity
        queueBytes = try container.decodeIfPresent(Int.self, forKey: .queueBytes) ?? queueBytes
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        intervalMs = try container.decodeIfPresent(Int.self, forKey: .intervalMs) ?? intervalMs
        timeoutMs = try container.decodeIfPresent(Int.self, forKey: .timeoutMs) ?? timeoutMs
    }

    func validate() throws {
        guard queueCapacity > 0, queueBytes > 0, batchSize > 0, intervalMs > 0, timeoutMs > 0 else {
            throw ConfigurationError("span_export: queue_capacity, queue_bytes, batch_size, interval_ms and timeout_ms must be positive")
        }
    }
}

/// The process's own traces (`tracing` in the configuration file): spans of the server, the
/// pipeline's stages, upstream calls and store writes, sent through swift-otel to an OTLP/HTTP
/// endpoint. Off unless an endpoint is set.
public struct ProcessTracingSettings: Sendable, Equatable, Decodable {
    /// The collector's OTLP/HTTP traces URL, e.g. `http://127.0.0.1:4318/v1/traces`.
    public var otlpEndpoint: String
    /// `service.name` of the process's spans.
    public var serviceName = "aigw"
    /// `json` or `protobuf` (the default).
    public var contentType = "protobuf"

    /// Tracing to `otlpEndpoint` with the other defaults.
    public init(otlpEndpoint: String) { self.otlpEndpoint = otlpEndpoint }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case otlpEndpoint = "otlp_endpoint"
        case serviceName = "service_name"
        case contentType = "content_type"
    }

    /// Reads the configuration file's object, refusing keys it does not know.
    public init(from decoder: any Decoder) throws {
        try ConfigurationKeys.rejectUnknown(in: decoder, known: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        otlpEndpoint = try container.decode(String.self, forKey: .otlpEndpoint)
        serviceName = try container.decodeIfPresent(String.self, forKey: .serviceName) ?? serviceName
        contentType = try container.decodeIfPresent(String.self, forKey: .contentType) ?? contentType
    }

    func validate() throws {
        guard otlpEndpoint.hasPrefix("http://") || otlpEndpoint.hasPrefix("https://") else {
            throw ConfigurationError("tracing.otlp_endpoint: '\(otlpEndpoint)' must be an http:// or https:// URL")
        }
        guard ["json", "protobuf"].contains(contentType) else {
            throw ConfigurationError("tracing.content_type: must be json or protobuf")
        }
    }
}

/// Where Logpush delivers (`logpush` in the configuration file): a directory of gzip NDJSON
/// files, or an HTTP endpoint that receives each batch as one gzip NDJSON POST. Gateways choose
/// whether their logs go (`logpush: true` and a public key in their settings).
public struct LogpushDestinationSettings: Sendable, Equatable, Decodable {
    /// A directory for the files (made if missing).
    public var directory: String?
    /// An endpoint for the batches.
    public var url: String?
    /// Extra headers for the endpoint (e.g. its credentials).
    public var headers: [String: String] = [:]
    /// A file is closed, and a new one begun, past this many bytes.
    public var maxFileBytes = 64 * 1024 * 1024
    /// ... or once it is this many seconds old.
    public var maxFileAgeSeconds = 300
    /// Logs per batch (one gzip member, or one POST) at most.
    public var batchSize = 500
    /// How often the exporter looks for logs to export.
    public var intervalMs = 1000

    /// A destination: a directory or an endpoint (exactly one), with the other defaults.
    public init(directory: String? = nil, url: String? = nil) {
        self.directory = directory
        self.url = url
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case directory, url, headers
        case maxFileBytes = "max_file_bytes"
        case maxFileAgeSeconds = "max_file_age_seconds"
        case batchSize = "batch_size"
        case intervalMs = "interval_ms"
    }

    /// Reads the configuration file's object, refusing keys it does not know.
    public init(from decoder: any Decoder) throws {
        try ConfigurationKeys.rejectUnknown(in: decoder, known: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        directory = try container.decodeIfPresent(String.self, forKey: .directory)
        url = try container.decodeIfPresent(String.self, forKey: .url)
        headers = try container.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
        maxFileBytes = try container.decodeIfPresent(Int.self, forKey: .maxFileBytes) ?? maxFileBytes
        maxFileAgeSeconds = try container.decodeIfPresent(Int.self, forKey: .maxFileAgeSeconds) ?? maxFileAgeSeconds
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        intervalMs = try container.decodeIfPresent(Int.self, forKey: .intervalMs) ?? intervalMs
    }

    func validate() throws {
        guard (directory == nil) != (url == nil) else {
            throw ConfigurationError("logpush: give either directory (files) or url (an HTTP endpoint), not both or neither")
        }
        if let url, TelemetryInput.urlProblem(url) != nil {
            throw ConfigurationError("logpush.url: '\(url)' is not an http:// or https:// URL the gateway can reach")
        }
        // The endpoint's headers, checked as the management API checks a provider's extra headers.
        do {
            _ = try CustomProviderInput.extraHeaders(.object(headers.mapValues(JSONValue.string)), field: "logpush.headers")
        } catch let error as ManagementError {
            throw ConfigurationError(error.message)
        }
        guard maxFileBytes > 0, maxFileAgeSeconds > 0, batchSize > 0, intervalMs > 0 else {
            throw ConfigurationError("logpush: max_file_bytes, max_file_age_seconds, batch_size and interval_ms must be positive")
        }
    }
}
