import AsyncHTTPClient
import Foundation
import Synchronization

/// The binding: what `env.AI` is to a Cloudflare Worker, for a Swift program talking to an
/// aigw server (SPEC section 9).
///
/// ```swift
/// let ai = AI(baseURL: URL(string: "http://127.0.0.1:8787")!, accountID: "local", apiToken: token)
/// let answer = try await ai.run("@cf/meta/llama-3.1-8b-instruct", input: ["prompt": "tell me a joke"],
///                               options: .init(gateway: .init(id: "my-gateway")))
/// let logID = ai.aiGatewayLogId
/// try await ai.gateway("my-gateway").patchLog(logID!, .init(feedback: 1, score: 100))
/// ```
///
/// Safe to share between tasks. ``aiGatewayLogId`` is the log of the run through a gateway
/// that finished last; concurrent callers that need their own run's id read it from
/// ``AIGatewayHandle/run(_:)``'s response (``GatewayResponse/logID``).
public final class AI: Sendable {
    /// The aigw server, e.g. `http://127.0.0.1:8787`.
    public let baseURL: URL
    /// The account the server serves (`local` unless configured).
    public let accountID: String
    /// Where runs without a gateway go: Workers AI's API (`.../accounts/{account}/ai`).
    public let workersAIBaseURL: URL
    /// Sent as `Authorization: Bearer` to Workers AI (through the gateway or not) and, unless
    /// ``adminToken`` is set, to the management API, as Cloudflare's one API token is.
    let apiToken: String?
    /// Sent to the management API instead of ``apiToken`` when set (keeps aigw's admin token
    /// away from the provider).
    let adminToken: String?
    let transport: Transport
    private let lastLogID = Mutex<String?>(nil)

    /// A binding to the aigw server at `baseURL`.
    ///
    /// - Parameters:
    ///   - workersAIBaseURL: where runs without a gateway go; defaults to Cloudflare's
    ///     `https://api.cloudflare.com/client/v4/accounts/{accountID}/ai`.
    ///   - adminToken: the management API token, when it differs from `apiToken`.
    ///   - timeout: the longest a request may take, streams included.
    public init(
        baseURL: URL, accountID: String, apiToken: String? = nil, adminToken: String? = nil,
        workersAIBaseURL: URL? = nil, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(600)
    ) {
        self.baseURL = baseURL
        self.accountID = accountID
        self.apiToken = apiToken
        self.adminToken = adminToken
        self.workersAIBaseURL =
            workersAIBaseURL ?? URL(string: "https://api.cloudflare.com/client/v4/accounts/\(accountID.pathSegment)/ai")!
        self.transport = Transport(client: httpClient, timeout: timeout)
    }

    /// The id of the last run through a gateway (`cf-aig-log-id`), nil before any.
    public var aiGatewayLogId: String? { lastLogID.withLock { $0 } }

    /// Runs a Workers AI model and returns its `result` (or the whole body when it has none).
    /// Through `options.gateway` when given, else straight to ``workersAIBaseURL``.
    public func run(_ model: String, input: JSONValue, options: RunOptions = .init()) async throws -> JSONValue {
        let response = try await send(model, input: input, options: options)
        let body = try await response.collect()
        guard (200..<300).contains(response.status) else { throw Self.failure(response, body: body) }
        guard let json = try? JSONValue(json: Data(body)) else {
            throw AIGatewayError.invalidResponse(
                "the answer is not JSON (content-type \(response.header("content-type") ?? "none")); use stream(_:input:options:) for streamed answers")
        }
        return json["result"] ?? json
    }

    /// Runs a Workers AI model with `stream: true` and returns its server-sent events as they arrive.
    public func stream(_ model: String, input: JSONValue, options: RunOptions = .init()) async throws
        -> ServerSentEventStream
    {
        var input = input
        if case .object(var members) = input {
            members["stream"] = true
            input = .object(members)
        }
        let response = try await send(model, input: input, options: options)
        guard (200..<300).contains(response.status) else {
            throw Self.failure(response, body: try await response.collect())
        }
        return response.events
    }

    /// A handle on one gateway: its logs, URLs and Universal endpoint.
    public func gateway(_ id: String) -> AIGatewayHandle {
        AIGatewayHandle(id: id, ai: self)
    }

    // MARK: - Internals

    /// The error a failed run's answer holds: the gateway's own, or the provider's passed on.
    private static func failure(_ response: GatewayResponse, body: [UInt8]) -> AIGatewayError {
        AIGatewayError.from(status: response.status, headers: response.headers, body: body, management: false) {
            .gatewayNotFound($0)
        }
    }

    private func send(_ model: String, input: JSONValue, options: RunOptions) async throws -> GatewayResponse {
        var headers: [(String, String)] = []
        if let apiToken { headers.append(("authorization", "Bearer \(apiToken)")) }
        let url: String
        if let gateway = options.gateway {
            url = gatewayURL(gateway.id) + "/workers-ai/" + model
            headers += gateway.headers.map { ($0.name, $0.value) }
        } else {
            url = workersAIBaseURL.absoluteString.trimmingSlash + "/run/" + model
        }
        headers += options.extraHeaders.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let response = try await transport.send(method: .POST, url: url, headers: headers, body: input.jsonData())
        if options.gateway != nil, let logID = response.logID {
            lastLogID.withLock { $0 = logID }
        }
        return response
    }

    /// `{baseURL}/v1/{account}/{gateway}` without a trailing slash.
    func gatewayURL(_ gateway: String) -> String {
        "\(baseURL.absoluteString.trimmingSlash)/v1/\(accountID.pathSegment)/\(gateway.pathSegment)"
    }

    /// `{baseURL}/client/v4/accounts/{account}/ai-gateway/gateways/{gateway}`.
    func managementURL(_ gateway: String) -> String {
        "\(baseURL.absoluteString.trimmingSlash)/client/v4/accounts/\(accountID.pathSegment)/ai-gateway/gateways/\(gateway.pathSegment)"
    }

    /// The management API's authorization header.
    var managementHeaders: [(String, String)] {
        (adminToken ?? apiToken).map { [("authorization", "Bearer \($0)")] } ?? []
    }
}

extension String {
    var trimmingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
