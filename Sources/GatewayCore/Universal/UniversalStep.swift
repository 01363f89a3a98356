import AIGateway
import Foundation
import HTTPTypes
import NIOCore

/// One step of a Universal request (SPEC section 3), checked: a provider of the table, an
/// endpoint that can only be a path under that provider, string headers, a body.
public struct UniversalStep: Sendable {
    /// The provider slug, known to the provider table.
    public var provider: String
    /// The provider path, e.g. `chat/completions`.
    public var endpoint: String
    /// Headers the step adds to (or overrides in) the request's own.
    public var headers: [(name: String, value: String)]
    /// The step's request body: its `query`, as JSON.
    public var body: ByteBuffer
    /// `config.requestTimeout`: milliseconds to the first response byte.
    public var requestTimeoutMs: Int?
    /// `config.maxAttempts`: attempts of this step, 1 to 5.
    public var maxAttempts: Int?
    /// `config.retryDelay`, in milliseconds.
    public var retryDelayMs: Int?
    /// `config.backoff`: `constant`, `linear` or `exponential`.
    public var backoff: String?
    /// The step's own `cf-aig-*` headers, read like a request's: below `config`, above the request's.
    public var directives = RequestDirectives()
    /// For `provider: "compat"`: the call its OpenAI-format `query` becomes, planned (and checked) up front.
    public var compat: CompatEndpoint.Target?
    /// For `provider: "compat"` with `model: "dynamic/{name}"`: the route it walks, and its query.
    public var dynamicRoute: (name: String, query: [String: JSONValue])?

    /// The retry fields of the step's `config`.
    public var configRetrySettings: RetrySettings {
        RetrySettings(maxAttempts: maxAttempts, delayMs: retryDelayMs, backoff: backoff)
    }

    /// Reads the steps of a Universal request body: one step object or an array of them.
    /// Everything is checked before any upstream call; a problem is a 400 naming the step and field.
    public static func parse(_ body: ByteBuffer, providers: ProviderTable) throws -> [UniversalStep] {
        let json: JSONValue
        do {
            json = try JSONValue(json: body.readableBytesView)
        } catch {
            throw GatewayError.badUniversalRequest("the body is not JSON (\(error)); send a step object or an array of steps")
        }
        let items: [JSONValue]
        switch json {
        case .array(let array): items = array
        case .object: items = [json]
        default: throw GatewayError.badUniversalRequest("the body must be a step object or an array of steps, not \(json.kindDescription)")
        }
        guard !items.isEmpty else { throw GatewayError.badUniversalRequest("the array holds no steps") }
        guard items.count <= 16 else { throw GatewayError.badUniversalRequest("\(items.count) steps; at most 16 are allowed") }
        return try items.enumerated().map { index, item in try step(item, index: index, providers: providers) }
    }

    private static func step(_ item: JSONValue, index: Int, providers: ProviderTable) throws -> UniversalStep {
        func problem(_ field: String, _ text: String) -> GatewayError {
            .badUniversalRequest("step \(index): \(field) \(text)")
        }
        guard let members = item.objectValue else { throw problem("", "must be an object, not \(item.kindDescription)") }
        for key in members.keys where !["provider", "endpoint", "headers", "query", "config"].contains(key) {
            throw problem(key, "is not a step field (use provider, endpoint, headers, query, config)")
        }
        guard let provider = members["provider"]?.stringValue, !provider.isEmpty else {
            throw problem("provider", "is required: a provider slug such as openai")
        }
        do {
            if provider != CompatEndpoint.slug { _ = try providers.provider(provider) }
        } catch let error as GatewayError {
            throw problem("provider", "is not usable: \(error.message)")
        }
        guard let endpoint = members["endpoint"]?.stringValue, !endpoint.isEmpty else {
            throw problem("endpoint", "is required: the provider path, such as chat/completions")
        }
        if let reason = smuggling(endpoint) {
            throw problem("endpoint", "'\(endpoint.printableInError)' \(reason)")
        }
        var headers: [(String, String)] = []
        if let given = members["headers"] {
            guard let object = given.objectValue else { throw problem("headers", "must be an object of strings") }
            for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                guard let text = value.stringValue else { throw problem("headers.\(name)", "must be a string") }
                headers.append((name.lowercased(), text))
            }
        }
        let directives: RequestDirectives
        do {
            var fields = HTTPFields()
            for (name, value) in headers {
                guard let field = HTTPField.Name(name) else { throw problem("headers.\(name)", "is not a valid header name") }
                fields.append(HTTPField(name: field, value: value))
            }
            directives = try RequestDirectives(headers: fields)
        } catch let error as GatewayError {
            throw problem("headers", error.message)
        }
        guard let query = members["query"] else { throw problem("query", "is required: the request body for the provider") }
        var step = UniversalStep(
            provider: provider, endpoint: endpoint, headers: headers, body: ByteBuffer(bytes: query.jsonData()))
        step.directives = directives
        if provider == CompatEndpoint.slug, let object = query.objectValue,
            let name = DynamicRouteSelection.routeName(inModel: object["model"]?.stringValue)
        {
            step.dynamicRoute = (name, object)
        } else if provider == CompatEndpoint.slug {
            do {
                step.compat = try CompatEndpoint.target(path: endpoint, body: step.body, providers: providers)
            } catch let error as GatewayError {
                throw GatewayError.badUniversalRequest("step \(index): \(error.message)")
            }
        }
        if let config = members["config"] {
            guard let object = config.objectValue else { throw problem("config", "must be an object") }
            for (key, value) in object {
                switch key {
                case "requestTimeout", "request_timeout":
                    step.requestTimeoutMs = try integer(value, in: 1...3_600_000) ?? { throw problem("config.\(key)", "must be 1 to 3600000 milliseconds") }()
                case "maxAttempts", "max_attempts":
                    step.maxAttempts = try integer(value, in: 1...5) ?? { throw problem("config.\(key)", "must be 1 to 5") }()
                case "retryDelay", "retry_delay":
                    step.retryDelayMs = try integer(value, in: 0...5000) ?? { throw problem("config.\(key)", "must be 0 to 5000 milliseconds") }()
                case "backoff":
                    guard let text = value.stringValue, ["constant", "linear", "exponential"].contains(text) else {
                        throw problem("config.backoff", "must be constant, linear or exponential")
                    }
                    step.backoff = text
                default:
                    throw problem("config.\(key)", "is not a step setting (use requestTimeout, maxAttempts, retryDelay, backoff)")
                }
            }
        }
        return step
    }

    private static func integer(_ value: JSONValue, in range: ClosedRange<Int>) throws -> Int? {
        guard let number = value.numberValue, number.rounded() == number, range.contains(Int(exactly: number) ?? Int.min)
        else { return nil }
        return Int(number)
    }

    /// Why an endpoint could reach something other than a path under its provider, or nil:
    /// ``ProviderPathRule`` on its path and query, plus what only a written-out endpoint can
    /// hold (an absolute URL, a leading or doubled slash, `@` inside a segment).
    static func smuggling(_ endpoint: String) -> String? {
        if endpoint.lowercased().contains("://") { return "is an absolute URL; give a path under the provider" }
        if endpoint.hasPrefix("/") || endpoint.contains("//") { return "may not start with '/' or contain '//'" }
        let parts = endpoint.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        if let problem = ProviderPathRule.problem(inPath: parts[0]) { return "is refused: \(problem)" }
        if parts.count == 2, let problem = ProviderPathRule.problem(inQuery: parts[1]) { return "is refused: \(problem)" }
        for segment in parts[0].split(separator: "/") {
            // `@` only as a model id's first character (`@cf/meta/...`), never as userinfo.
            if segment.dropFirst().contains("@") { return "may not contain '@' inside a path segment" }
        }
        return nil
    }
}
