import AIGateway
import Foundation
import HTTPTypes
import NIOCore

/// The OpenAI-compatible endpoint, `/v1/{account}/{gateway}/compat/chat/completions` and
/// `/compat/embeddings`: OpenAI's format in and out, with `model: "{provider}/{model}"`.
///
/// OpenAI-compatible providers get the request as it is (the model name without its
/// provider); Anthropic and Google AI Studio get it translated into their own format, and
/// their answers, whole or streamed, are translated back.
public enum CompatEndpoint {
    /// The provider slug that stands for this endpoint in URLs and Universal steps.
    public static let slug = "compat"

    /// Providers that speak OpenAI's chat format, with the path prefix that leads to it
    /// under their base URL (`v1/` is dropped again where the base already ends in `/v1`).
    static let openAICompatible: [String: String] = [
        "openai": "v1/", "groq": "v1/", "mistral": "v1/", "deepseek": "v1/", "openrouter": "v1/", "grok": "v1/",
        "cerebras": "v1/", "perplexity-ai": "", "fireworks": "v1/", "workers-ai": "v1/",
    ]

    /// What to send where, and how to translate what comes back.
    public struct Target: Sendable {
        /// The provider that is called.
        public var provider: ProviderDescriptor
        /// The provider path.
        public var path: String
        /// The query string, if any.
        public var query: String?
        /// The body sent upstream.
        public var body: ByteBuffer
        /// Turns a 2xx answer back into OpenAI's format; nil passes it through.
        public var translator: (any ResponseTranslator)?
        /// The provider's own credential header, which gets the key of an OpenAI-style
        /// `Authorization: Bearer KEY` (translated providers only).
        var credentialHeader: String?
        /// Whether this is Anthropic, which also wants an `anthropic-version`.
        var needsAnthropicVersion = false

        /// The headers to send: the request's, with the credential moved to the provider's own
        /// header, and the content type of the translated body.
        public func headers(from request: HTTPFields) -> HTTPFields {
            var headers = request
            guard let credentialHeader else { return headers }
            CompatEndpoint.moveBearerToken(in: &headers, to: credentialHeader)
            if needsAnthropicVersion, headers[CompatEndpoint.anthropicVersion] == nil {
                headers[CompatEndpoint.anthropicVersion] = AnthropicCompat.apiVersion
            }
            headers[.contentType] = "application/json"
            return headers
        }
    }

    /// Plans a call for an endpoint path (`chat/completions` or `embeddings`) and its OpenAI
    /// body: parsed once, checked, and translated when the provider needs it.
    public static func target(path: String, body: ByteBuffer, providers: ProviderTable) throws -> Target {
        let endpoint = path.hasPrefix("v1/") ? String(path.dropFirst(3)) : path
        guard endpoint == "chat/completions" || endpoint == "embeddings" else {
            throw CompatError.problem("'\(path)' is not a compat endpoint; use chat/completions or embeddings")
        }
        let json: JSONValue
        do {
            json = try JSONValue(json: body.readableBytesView)
        } catch {
            throw CompatError.problem("the body is not JSON (\(error)); send a JSON object in OpenAI's format")
        }
        guard let request = json.objectValue else {
            throw CompatError.problem("the body must be a JSON object in OpenAI's format, not \(json.kindDescription)")
        }
        guard let qualified = request["model"]?.stringValue, let slash = qualified.firstIndex(of: "/"),
            slash != qualified.startIndex, qualified.index(after: slash) != qualified.endIndex
        else {
            throw CompatError.field("model", "must be '{provider}/{model}', e.g. 'anthropic/claude-3-5-haiku-latest'")
        }
        let slug = String(qualified[..<slash])
        let model = String(qualified[qualified.index(after: slash)...])
        // Google takes the model into the URL path (`models/{model}:...`): one segment of it.
        if slug == "google-ai-studio", let problem = ProviderPathRule.problem(inSegment: model) {
            throw CompatError.field("model", "'\(model.printableInError)' is refused: \(problem)")
        }
        let provider: ProviderDescriptor
        do {
            provider = try providers.provider(slug)
        } catch let error as GatewayError {
            throw CompatError.field("model", error.message)
        }
        var target = Target(provider: provider, path: "", body: body)

        if let prefix = openAICompatible[slug] ?? (slug.hasPrefix("custom-") ? "v1/" : nil) {
            var forwarded = request
            forwarded["model"] = .string(model)
            target.path = prefix + endpoint
            target.body = ByteBuffer(bytes: JSONValue.object(forwarded).jsonData())
            return target
        }
        switch (slug, endpoint) {
        case ("anthropic", "chat/completions"):
            let chat = try OpenAIChatRequest(request)
            let (stream, includeUsage) = (chat.stream, chat.includeUsage)
            target.path = "v1/messages"
            target.body = ByteBuffer(bytes: AnthropicCompat.request(chat, model: model).jsonData())
            target.credentialHeader = "x-api-key"
            target.needsAnthropicVersion = true
            target.translator =
                stream
                ? EventStreamTranslator(events: AnthropicCompat.Events(model: model, includeUsage: includeUsage))
                : WholeAnswerTranslator { AnthropicCompat.completion($0, requestedModel: model) }
        case ("google-ai-studio", "chat/completions"):
            let chat = try OpenAIChatRequest(request)
            let (stream, includeUsage) = (chat.stream, chat.includeUsage)
            target.path = "v1beta/models/\(model):" + (stream ? "streamGenerateContent" : "generateContent")
            target.query = stream ? "alt=sse" : nil
            target.body = ByteBuffer(bytes: GoogleCompat.request(chat).jsonData())
            target.credentialHeader = "x-goog-api-key"
            target.translator =
                stream
                ? EventStreamTranslator(events: GoogleCompat.Events(model: model, includeUsage: includeUsage))
                : WholeAnswerTranslator { GoogleCompat.completion($0, requestedModel: model) }
        case ("google-ai-studio", "embeddings"):
            target.path = "v1beta/models/\(model):batchEmbedContents"
            target.body = ByteBuffer(bytes: try GoogleCompat.embeddingsRequest(request, model: model).jsonData())
            target.credentialHeader = "x-goog-api-key"
            target.translator = WholeAnswerTranslator { GoogleCompat.embeddings($0, model: model) }
        case (_, "embeddings"):
            throw CompatError.field("model", "provider '\(slug)' has no embeddings on the compat endpoint")
        default:
            let usable = (openAICompatible.keys.sorted() + ["anthropic", "google-ai-studio"]).sorted()
            throw CompatError.field(
                "model", "provider '\(slug)' is not available on the compat endpoint; use one of \(usable.joined(separator: ", "))")
        }
        return target
    }

    /// OpenAI clients send `Authorization: Bearer KEY`; a provider with its own credential
    /// header gets the key there, unless the request already set that header.
    static func moveBearerToken(in headers: inout HTTPFields, to header: String) {
        guard let name = HTTPField.Name(header), headers[name] == nil,
            let authorization = headers[.authorization], authorization.lowercased().hasPrefix("bearer ")
        else { return }
        headers[name] = String(authorization.dropFirst("bearer ".count))
        headers[.authorization] = nil
    }

    static let anthropicVersion = HTTPField.Name("anthropic-version")!
}

/// A `/compat` request that cannot be translated: a 400 (code 2015) naming the field.
enum CompatError {
    static func field(_ field: String, _ problem: String) -> GatewayError {
        GatewayError(code: 2015, httpStatus: 400, message: "invalid compat request: \(field) \(problem)")
    }

    static func problem(_ problem: String) -> GatewayError {
        GatewayError(code: 2015, httpStatus: 400, message: "invalid compat request: \(problem)")
    }
}
