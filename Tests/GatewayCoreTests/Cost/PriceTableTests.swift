import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("Price table: the shipped prices, model matching, cached-token rates, overrides, custom cost")
struct PriceTableTests {
    @Test("the shipped table loads, says when it was taken, and prices the main models of each provider")
    func shipped() throws {
        let table = try PriceTable.shipped()
        #expect(!table.takenOn.isEmpty)
        for (provider, model) in [
            ("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-3-5-haiku"),
            ("workers-ai", "@cf/meta/llama-3.1-8b-instruct"), ("google-ai-studio", "gemini-2.5-flash"),
            ("groq", "llama-3.3-70b-versatile"), ("mistral", "mistral-large-latest"), ("deepseek", "deepseek-chat"),
        ] {
            #expect(table.price(provider: provider, model: model) != nil, "\(provider)/\(model)")
        }
        #expect(table.price(provider: "openai", model: "gpt-4o")?.cachedInput != nil)
        #expect(table.price(provider: "anthropic", model: "claude-sonnet-4")?.cacheWriteInput != nil)
    }

    @Test("dated and aliased names find their model; the longest match wins; no match is no price")
    func matching() throws {
        let table = try PriceTable.shipped()
        #expect(table.price(provider: "openai", model: "gpt-4o-mini-2024-07-18") == table.price(provider: "openai", model: "gpt-4o-mini"))
        #expect(table.price(provider: "openai", model: "gpt-4o-2024-08-06") == table.price(provider: "openai", model: "gpt-4o"))
        #expect(
            table.price(provider: "anthropic", model: "claude-sonnet-4-5-20250929") == table.price(provider: "anthropic", model: "claude-sonnet-4-5"))
        #expect(table.price(provider: "anthropic", model: "claude-3-5-haiku-latest") != nil)
        #expect(table.price(provider: "google-ai-studio", model: "models/gemini-2.0-flash") != nil)
        #expect(table.price(provider: "openai", model: "gpt-4oops") == nil)
        #expect(table.price(provider: "nobody", model: "gpt-4o") == nil)
        #expect(table.cost(provider: "openai", model: "unknown-model", usage: TokenUsage(input: 10, output: 10)) == nil)
        #expect(table.cost(provider: "openai", model: "gpt-4o", usage: TokenUsage()) == nil)
    }

    @Test("OpenAI counts cached tokens inside the input; Anthropic apart, with cache writes at their own rate")
    func cachedRates() {
        let price = ModelPrice(input: 2, output: 10, cachedInput: 0.5, cacheWriteInput: 2.5)
        // OpenAI: 1000 prompt tokens of which 400 cached, 100 out.
        let openAI = TokenUsage(input: 1000, output: 100, cachedInput: 400, inputIncludesCached: true)
        #expect(abs(price.cost(of: openAI) - (600 * 2 + 400 * 0.5 + 100 * 10) / 1e6) < 1e-12)
        // Anthropic: 1000 uncached, 400 read, 200 written, 100 out.
        let anthropic = TokenUsage(input: 1000, output: 100, cachedInput: 400, cacheCreationInput: 200, inputIncludesCached: false)
        #expect(abs(price.cost(of: anthropic) - (1000 * 2 + 400 * 0.5 + 200 * 2.5 + 100 * 10) / 1e6) < 1e-12)
        // No cached rate: cached tokens at the full rate.
        #expect(abs(ModelPrice(input: 1, output: 1).cost(of: openAI) - 1100 / 1e6) < 1e-12)
    }

    @Test("configured prices override or add models; a key that is not provider/model is refused")
    func overrides() throws {
        let table = try PriceTable.shipped().overriding([
            "openai/gpt-4o": ModelPrice(input: 1, output: 1), "custom-local/my-model": ModelPrice(input: 3, output: 4),
        ])
        #expect(table.price(provider: "openai", model: "gpt-4o") == ModelPrice(input: 1, output: 1))
        #expect(table.price(provider: "custom-local", model: "my-model")?.output == 4)
        #expect(table.price(provider: "openai", model: "gpt-4o-mini") != nil)
        #expect(throws: ConfigurationError.self) { try table.overriding(["gpt-4o": ModelPrice(input: 1, output: 1)]) }
        let decoded = try GatewayConfiguration.decode(Data(#"{"prices":{"openai/gpt-4o":{"input":1.5,"output":6}}}"#.utf8), source: "test")
        #expect(decoded.prices["openai/gpt-4o"] == ModelPrice(input: 1.5, output: 6))
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.decode(Data(#"{"prices":{"openai/gpt-4o":{"input":1,"output":1,"cheap":true}}}"#.utf8), source: "test")
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.decode(Data(#"{"prices":{"openai/gpt-4o":{"input":-1,"output":1}}}"#.utf8), source: "test")
        }
    }

    @Test("cf-aig-custom-cost: per token or total; anything else is a 400 naming the header")
    func customCost() throws {
        #expect(try CustomCost.parse(#"{"per_token_in":0.000001,"per_token_out":0.000002}"#, header: "h") == .perToken(input: 0.000001, output: 0.000002))
        #expect(try CustomCost.parse(#"{"total_cost":0.05}"#, header: "h") == .total(0.05))
        #expect(abs(CustomCost.perToken(input: 0.5, output: 2).cost(of: TokenUsage(input: 4, output: 3)) - 8) < 1e-12)
        for bad in [
            "0.05", #"{"total_cost":"free"}"#, #"{"per_token_in":1}"#, #"{"total_cost":1,"per_token_in":1}"#,
            #"{"total_cost":-1}"#, #"{"price":1}"#, "{",
        ] {
            #expect(throws: GatewayError.self, "\(bad)") { try CustomCost.parse(bad, header: "cf-aig-custom-cost") }
            do { _ = try CustomCost.parse(bad, header: "cf-aig-custom-cost") } catch let error as GatewayError {
                #expect(error.httpStatus == 400 && error.message.contains("cf-aig-custom-cost"))
            }
        }
    }
}
