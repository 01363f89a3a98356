import AIGateway
import Testing

@testable import GatewayCore

@Suite("Provider table: base URLs, path rules, overrides")
struct ProviderTableTests {
    let table = try! ProviderTable()

    func url(_ slug: String, _ path: String) throws -> String {
        let provider = try table.provider(slug)
        return try provider.routing.upstreamURL(base: provider.baseURL, path: path)
    }

    @Test("every slug of the specification's table is served, with its credential header")
    func everySlug() throws {
        let expected: [String: String?] = [
            "openai": "authorization", "anthropic": "x-api-key", "workers-ai": "authorization",
            "azure-openai": "api-key", "aws-bedrock": nil, "google-ai-studio": "x-goog-api-key",
            "google-vertex-ai": "authorization", "groq": "authorization", "mistral": "authorization",
            "cohere": "authorization", "huggingface": "authorization", "perplexity-ai": "authorization",
            "replicate": "authorization", "deepseek": "authorization", "openrouter": "authorization",
            "grok": "authorization", "cerebras": "authorization", "cartesia": "x-api-key",
            "elevenlabs": "xi-api-key", "fireworks": "authorization",
        ]
        #expect(Set(table.knownSlugs) == Set(expected.keys))
        for (slug, header) in expected {
            #expect(try table.provider(slug).credentialHeader == header, "\(slug)")
        }
    }

    @Test("a duplicate v1/ is dropped when the base ends in /v1")
    func v1Dedupe() throws {
        #expect(try url("openai", "chat/completions") == "https://api.openai.com/v1/chat/completions")
        #expect(try url("openai", "v1/chat/completions") == "https://api.openai.com/v1/chat/completions")
        #expect(try url("groq", "chat/completions") == "https://api.groq.com/openai/v1/chat/completions")
        #expect(try url("anthropic", "v1/messages") == "https://api.anthropic.com/v1/messages")
        #expect(try url("mistral", "v1/chat/completions") == "https://api.mistral.ai/v1/chat/completions")
    }

    @Test("workers-ai: a model id goes to run/{model}, v1/ paths go to the OpenAI-compatible API")
    func workersAI() throws {
        let table = try ProviderTable(accountID: "acct123")
        let provider = try table.provider("workers-ai")
        #expect(
            try provider.routing.upstreamURL(base: provider.baseURL, path: "@cf/meta/llama-3.1-8b-instruct")
                == "https://api.cloudflare.com/client/v4/accounts/acct123/ai/run/@cf/meta/llama-3.1-8b-instruct")
        #expect(
            try provider.routing.upstreamURL(base: provider.baseURL, path: "v1/chat/completions")
                == "https://api.cloudflare.com/client/v4/accounts/acct123/ai/v1/chat/completions")
        #expect(provider.routing.model(fromPath: "@hf/thebloke/llama") == "@hf/thebloke/llama")
        #expect(provider.routing.model(fromPath: "v1/chat/completions") == nil)
    }

    @Test("azure-openai, aws-bedrock and google-vertex-ai take host parts from the path")
    func hostFromPath() throws {
        #expect(
            try url("azure-openai", "my-res/gpt4o/chat/completions")
                == "https://my-res.openai.azure.com/openai/deployments/gpt4o/chat/completions")
        #expect(
            try url("aws-bedrock", "bedrock-runtime/us-east-1/model/anthropic.claude-v2/invoke")
                == "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke")
        #expect(
            try url("google-vertex-ai", "v1/projects/p1/locations/europe-west4/publishers/google/models/gemini:generateContent")
                == "https://europe-west4-aiplatform.googleapis.com/v1/projects/p1/locations/europe-west4/publishers/google/models/gemini:generateContent"
        )
        #expect(try table.provider("azure-openai").routing.model(fromPath: "res/gpt4o/chat/completions") == "gpt4o")
        #expect(
            try table.provider("google-ai-studio").routing.model(fromPath: "v1beta/models/gemini-2.0-flash:generateContent")
                == "gemini-2.0-flash")
    }

    @Test("a path cannot steer the request to another host")
    func noHostSmuggling() throws {
        #expect(throws: GatewayError.self) { try url("azure-openai", "evil.com@x/dep/chat") }
        #expect(throws: GatewayError.self) { try url("aws-bedrock", "bedrock-runtime/evil.com/model") }
        #expect(throws: GatewayError.self) { try url("azure-openai", "only-resource") }
        // An '@' after the base's host is a path character, not userinfo.
        #expect(try url("openai", "@evil.com/x") == "https://api.openai.com/v1/@evil.com/x")
    }

    @Test("an unknown slug is an error that names it and lists the known ones")
    func unknownSlug() {
        #expect {
            try table.provider("not-a-provider")
        } throws: { error in
            let error = error as! GatewayError
            return error.code == 2001 && error.httpStatus == 400 && error.message.contains("'not-a-provider'")
                && error.message.contains("openai") && error.message.contains("workers-ai")
        }
    }

    @Test("base URLs are overridden by the file and, above it, by AIGW_PROVIDER_<SLUG>_BASE_URL")
    func overrides() throws {
        let table = try ProviderTable(
            overrides: ["openai": .init(baseURL: "http://file/v1"), "workers-ai": .init(baseURL: "http://file/ai")],
            environment: ["AIGW_PROVIDER_WORKERS_AI_BASE_URL": "http://env/{account_id}/ai"], accountID: "a1")
        #expect(try table.provider("openai").baseURL == "http://file/v1")
        #expect(try table.provider("workers-ai").baseURL == "http://env/a1/ai")
        #expect(ProviderTable.environmentKey(for: "google-ai-studio") == "AIGW_PROVIDER_GOOGLE_AI_STUDIO_BASE_URL")
    }

    @Test("custom providers need a base URL; unknown built-in names are refused")
    func customProviders() throws {
        let table = try ProviderTable(
            overrides: ["custom-local": .init(baseURL: "http://localhost:1234/v1", credentialHeader: "X-Key")])
        let custom = try table.provider("custom-local")
        #expect(custom.credentialHeader == "x-key")
        #expect(try custom.routing.upstreamURL(base: custom.baseURL, path: "v1/chat/completions") == "http://localhost:1234/v1/chat/completions")
        #expect(throws: ConfigurationError.self) { try ProviderTable(overrides: ["custom-x": .init()]) }
        #expect(throws: ConfigurationError.self) { try ProviderTable(overrides: ["opneai": .init(baseURL: "http://x")]) }
    }
}
