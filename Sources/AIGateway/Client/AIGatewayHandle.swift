import Foundation

/// One gateway, as `env.AI.gateway(id)` gives it to a Worker: its logs (``getLog(_:)``,
/// ``patchLog(_:_:)``), the URLs to hand to provider SDKs (``getUrl(_:)``), and the
/// Universal endpoint (``run(_:)``).
public struct AIGatewayHandle: Sendable {
    /// The gateway id.
    public let id: String
    let ai: AI

    /// Reads one log, with `created_at` as a `Date`.
    public func getLog(_ logID: String) async throws -> AIGatewayLog {
        let (_, body) = try await ai.transport.sendExpectingSuccess(
            method: .GET, url: ai.managementURL(id) + "/logs/" + logID.pathSegment, headers: ai.managementHeaders,
            notFound: Self.notFound)
        return try Transport.result(AIGatewayLog.self, from: body)
    }

    /// Attaches feedback, a score and/or metadata to a log (the others stay as they are).
    public func patchLog(_ logID: String, _ patch: LogPatch) async throws {
        _ = try await ai.transport.sendExpectingSuccess(
            method: .PATCH, url: ai.managementURL(id) + "/logs/" + logID.pathSegment, headers: ai.managementHeaders,
            body: patch.jsonBody(), notFound: Self.notFound)
    }

    /// The gateway's base URL, `{public_url}/v1/{account}/{gateway}/`.
    public func getUrl() async throws -> String {
        try await url(path: "/url")
    }

    /// The URL to give a provider's SDK as its base URL, e.g. `.../v1/local/my-gateway/openai`.
    public func getUrl(_ provider: ProviderSlug) async throws -> String {
        try await url(path: "/url/" + provider.rawValue.pathSegment)
    }

    /// Sends a Universal request (one step) and returns the raw answer.
    public func run(_ step: UniversalStep, options: RunOptions = .init()) async throws -> GatewayResponse {
        try await run([step], options: options)
    }

    /// Sends a Universal request: the steps are tried in order until one answers (SPEC
    /// section 3). Returns the raw answer, whatever its status; ``GatewayResponse/step``
    /// says which step it came from.
    public func run(_ steps: [UniversalStep], options: RunOptions = .init()) async throws -> GatewayResponse {
        let body: Data
        do {
            body = try JSONEncoder().encode(steps)
        } catch {
            throw AIGatewayError.badRequest(code: 0, message: "the steps cannot be encoded: \(error)")
        }
        var headers = options.gateway.map { $0.headers.map { ($0.name, $0.value) } } ?? []
        headers += options.extraHeaders.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return try await ai.transport.send(method: .POST, url: ai.gatewayURL(id), headers: headers, body: body)
    }

    private func url(path: String) async throws -> String {
        let (_, body) = try await ai.transport.sendExpectingSuccess(
            method: .GET, url: ai.managementURL(id) + path, headers: ai.managementHeaders, notFound: Self.notFound)
        return try Transport.result(String.self, from: body)
    }

    static func notFound(_ message: String) -> AIGatewayError {
        message.hasPrefix("log") ? .logNotFound(message) : .gatewayNotFound(message)
    }
}

/// One step of a Universal request: which provider, which endpoint, with what.
public struct UniversalStep: Sendable, Hashable, Encodable {
    /// The provider slug.
    public var provider: ProviderSlug
    /// The provider path, e.g. `chat/completions` or `v1/messages`.
    public var endpoint: String
    /// Headers for this step, e.g. the provider's credential.
    public var headers: [String: String]
    /// The request body.
    public var query: JSONValue
    /// Per-step retry and timeout settings.
    public var config: StepConfig?

    /// A step sending `query` to `provider`'s `endpoint`.
    public init(
        provider: ProviderSlug, endpoint: String, headers: [String: String] = [:], query: JSONValue,
        config: StepConfig? = nil
    ) {
        self.provider = provider
        self.endpoint = endpoint
        self.headers = headers
        self.query = query
        self.config = config
    }
}

/// A Universal step's `config`: its own timeout and retries.
public struct StepConfig: Sendable, Hashable, Encodable {
    /// Milliseconds to the first response byte before the next step is tried.
    public var requestTimeout: Int?
    /// Attempts of this step, 1 to 5.
    public var maxAttempts: Int?
    /// Milliseconds between attempts, at most 5000.
    public var retryDelay: Int?
    /// How the delay grows between attempts.
    public var backoff: GatewayOptions.Backoff?

    /// Step settings; those left nil take the request's or the gateway's.
    public init(
        requestTimeout: Int? = nil, maxAttempts: Int? = nil, retryDelay: Int? = nil,
        backoff: GatewayOptions.Backoff? = nil
    ) {
        self.requestTimeout = requestTimeout
        self.maxAttempts = maxAttempts
        self.retryDelay = retryDelay
        self.backoff = backoff
    }
}
