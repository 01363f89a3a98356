import AIGateway
import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import GatewayCore

@Suite("Compat endpoint planning: which provider, which path, which body, which credential header")
struct CompatEndpointTests {
    let providers = try! ProviderTable(overrides: [:], environment: [:], accountID: "local")

    func plan(_ body: String, path: String = "chat/completions") throws -> CompatEndpoint.Target {
        try CompatEndpoint.target(path: path, body: ByteBuffer(string: body), providers: providers)
    }

    @Test("OpenAI-compatible providers get the body as sent, with the bare model, at their chat path")
    func passThrough() throws {
        for (slug, path) in [("openai", "v1/chat/completions"), ("groq", "v1/chat/completions"), ("perplexity-ai", "chat/completions"), ("workers-ai", "v1/chat/completions")] {
            let target = try plan(#"{"model":"\#(slug)/some/model","messages":[],"seed":7}"#)
            #expect(target.provider.slug.rawValue == slug && target.path == path && target.translator == nil)
            let body = try JSONValue(json: Data(target.body.readableBytesView))
            #expect(body == ["model": "some/model", "messages": [], "seed": 7])
        }
        #expect(try plan(#"{"model":"mistral/mistral-embed","input":"x"}"#, path: "embeddings").path == "v1/embeddings")
    }

    @Test("Anthropic and Google: translated body, their own path, credential moved from Authorization")
    func translated() throws {
        let anthropic = try plan(#"{"model":"anthropic/claude-3-5-haiku-latest","messages":[{"role":"user","content":"hi"}],"stream":true}"#)
        #expect(anthropic.path == "v1/messages" && anthropic.translator?.contentType == "text/event-stream")
        var headers = HTTPFields()
        headers[.authorization] = "Bearer sk-ant-123"
        headers[.contentType] = "text/plain"
        let sent = anthropic.headers(from: headers)
        #expect(sent[HTTPField.Name("x-api-key")!] == "sk-ant-123" && sent[.authorization] == nil)
        #expect(sent[HTTPField.Name("anthropic-version")!] == "2023-06-01" && sent[.contentType] == "application/json")

        let google = try plan(#"{"model":"google-ai-studio/gemini-2.0-flash","messages":[{"role":"user","content":"hi"}],"stream":true}"#)
        #expect(google.path == "v1beta/models/gemini-2.0-flash:streamGenerateContent" && google.query == "alt=sse")
        #expect(google.headers(from: headers)[HTTPField.Name("x-goog-api-key")!] == "sk-ant-123")
        let whole = try plan(#"{"model":"google-ai-studio/gemini-2.0-flash","messages":[]}"#)
        #expect(whole.path == "v1beta/models/gemini-2.0-flash:generateContent" && whole.query == nil)
        #expect(try plan(#"{"model":"google-ai-studio/text-embedding-004","input":"x"}"#, path: "embeddings").path == "v1beta/models/text-embedding-004:batchEmbedContents")
    }

    @Test("a credential already in the provider's own header is left alone")
    func ownHeaderKept() throws {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer other"
        headers[HTTPField.Name("x-api-key")!] = "sk-ant-own"
        let sent = try plan(#"{"model":"anthropic/c","messages":[]}"#).headers(from: headers)
        #expect(sent[HTTPField.Name("x-api-key")!] == "sk-ant-own" && sent[.authorization] == "Bearer other")
    }

    @Test("bad input: each a 400 (code 2015) that names what is wrong")
    func badInput() {
        func message(_ body: String, path: String = "chat/completions") -> String {
            do {
                _ = try plan(body, path: path)
                return "accepted"
            } catch let error as GatewayError {
                #expect(error.code == 2015 && error.httpStatus == 400)
                return error.message
            } catch { return "\(error)" }
        }
        #expect(message("not json").contains("JSON object"))
        #expect(message(#"["a"]"#).contains("JSON object"))
        #expect(message(#"{"messages":[]}"#).contains("model must be '{provider}/{model}'"))
        #expect(message(#"{"model":"gpt-4o","messages":[]}"#).contains("model must be"))
        #expect(message(#"{"model":"anthropic/","messages":[]}"#).contains("model must be"))
        #expect(message(#"{"model":"nope/x","messages":[]}"#).contains("unknown provider 'nope'"))
        #expect(message(#"{"model":"cohere/command","messages":[]}"#).contains("not available on the compat endpoint"))
        #expect(message(#"{"model":"anthropic/c","input":"x"}"#, path: "embeddings").contains("no embeddings"))
        #expect(message(#"{"model":"openai/x"}"#, path: "images/generations").contains("not a compat endpoint"))
        #expect(message(#"{"model":"anthropic/c","messages":"hi"}"#).contains("messages is required"))
    }
}
