import AIGateway
import Foundation

/// A model's prices, in USD per million tokens.
public struct ModelPrice: Sendable, Equatable, Codable {
    /// Input tokens at the full rate.
    public var input: Double
    /// Output tokens.
    public var output: Double
    /// Input tokens read from the provider's prompt cache; the full rate when not given.
    public var cachedInput: Double?
    /// Input tokens written to the provider's prompt cache (Anthropic); the full rate when not given.
    public var cacheWriteInput: Double?

    /// A price with these rates.
    public init(input: Double, output: Double, cachedInput: Double? = nil, cacheWriteInput: Double? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWriteInput = cacheWriteInput
    }

    enum CodingKeys: String, CodingKey {
        case input, output
        case cachedInput = "cached_input"
        case cacheWriteInput = "cache_write_input"
    }

    public init(from decoder: any Decoder) throws {
        try ConfigurationKeys.rejectUnknown(in: decoder, known: ["input", "output", "cached_input", "cache_write_input"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        input = try container.decode(Double.self, forKey: .input)
        output = try container.decode(Double.self, forKey: .output)
        cachedInput = try container.decodeIfPresent(Double.self, forKey: .cachedInput)
        cacheWriteInput = try container.decodeIfPresent(Double.self, forKey: .cacheWriteInput)
        for (name, value) in [("input", input), ("output", output), ("cached_input", cachedInput ?? 0), ("cache_write_input", cacheWriteInput ?? 0)]
        where !(value >= 0 && value.isFinite) {
            throw ConfigurationError("price \(name) must be a number of USD per million tokens, 0 or more")
        }
    }

    /// The cost in USD of `usage` at these prices.
    public func cost(of usage: TokenUsage) -> Double {
        let cached = Double(usage.cachedInput ?? 0)
        let written = Double(usage.cacheCreationInput ?? 0)
        // OpenAI-style counts include cached tokens in the input; Anthropic's do not.
        let fullRate = max(0, Double(usage.input ?? 0) - (usage.inputIncludesCached ? cached + written : 0))
        let dollars =
            fullRate * input + cached * (cachedInput ?? input) + written * (cacheWriteInput ?? input)
            + Double(usage.output ?? 0) * output
        return dollars / 1_000_000
    }
}

/// What each provider's models cost: the table shipped with aigw (`Cost/prices.json`, with
/// the date its prices were taken), with configured prices over it.
///
/// A model is found by its exact name, else by the longest priced name it starts with
/// followed by `-`, `:` or `@` (`gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`,
/// `claude-3-5-haiku-latest` as `claude-3-5-haiku`).
public struct PriceTable: Sendable, Equatable {
    /// provider slug → model → price.
    public private(set) var prices: [String: [String: ModelPrice]]
    /// When the shipped prices were taken from the providers' pages.
    public let takenOn: String

    /// A table of these prices.
    public init(prices: [String: [String: ModelPrice]], takenOn: String) {
        self.prices = prices
        self.takenOn = takenOn
    }

    /// No prices: every cost is unknown.
    public static let empty = PriceTable(prices: [:], takenOn: "")

    /// The table that ships with aigw.
    public static func shipped() throws -> PriceTable {
        guard let url = Bundle.module.url(forResource: "prices", withExtension: "json") else {
            throw ConfigurationError("the shipped price table (prices.json) is missing from the build")
        }
        return try decode(Data(contentsOf: url))
    }

    /// Reads a price table file: `{"taken_on": "...", "providers": {"openai": {"gpt-4o": {...}}}}`.
    public static func decode(_ data: Data) throws -> PriceTable {
        struct File: Decodable {
            var taken_on: String
            var providers: [String: [String: ModelPrice]]
        }
        let file = try JSONDecoder().decode(File.self, from: data)
        return PriceTable(prices: file.providers, takenOn: file.taken_on)
    }

    /// This table with configured prices over it, keyed `provider/model`.
    public func overriding(_ overrides: [String: ModelPrice]) throws -> PriceTable {
        var table = self
        for (key, price) in overrides {
            guard let slash = key.firstIndex(of: "/"), slash != key.startIndex, key.index(after: slash) != key.endIndex else {
                throw ConfigurationError("prices: '\(key)' must be 'provider/model', e.g. 'openai/gpt-4o'")
            }
            table.prices[String(key[..<slash]), default: [:]][String(key[key.index(after: slash)...])] = price
        }
        return table
    }

    /// The price of a provider's model, or nil when it is not priced.
    public func price(provider: String, model: String) -> ModelPrice? {
        guard let models = prices[provider], !model.isEmpty else { return nil }
        // Google paths name models as `models/gemini-...`.
        let name = model.hasPrefix("models/") ? String(model.dropFirst("models/".count)) : model
        if let exact = models[name] { return exact }
        var best: (length: Int, price: ModelPrice)?
        for (priced, price) in models where priced.count > (best?.length ?? 0) && name.hasPrefix(priced) {
            let next = name[name.index(name.startIndex, offsetBy: priced.count)]
            if next == "-" || next == ":" || next == "@" { best = (priced.count, price) }
        }
        return best?.price
    }

    /// The cost in USD of a request: nil when the model is not priced or no usage was reported.
    public func cost(provider: String, model: String, usage: TokenUsage) -> Double? {
        guard usage.input != nil || usage.output != nil, let price = price(provider: provider, model: model) else {
            return nil
        }
        return price.cost(of: usage)
    }
}

/// `cf-aig-custom-cost`: the caller's own price for a request, which replaces the table's.
public enum CustomCost: Sendable, Equatable {
    /// `{"per_token_in": n, "per_token_out": n}`: USD per token.
    case perToken(input: Double, output: Double)
    /// `{"total_cost": n}`: USD for the whole request.
    case total(Double)

    /// The cost in USD of a request with this usage.
    public func cost(of usage: TokenUsage) -> Double {
        switch self {
        case .total(let total): total
        case .perToken(let input, let output): Double(usage.totalInput ?? 0) * input + Double(usage.output ?? 0) * output
        }
    }

    /// Reads the header's JSON: exactly one of the two shapes, numbers 0 or more.
    public static func parse(_ text: String, header: String) throws -> CustomCost {
        let shapes = "must be {\"per_token_in\": n, \"per_token_out\": n} or {\"total_cost\": n}"
        guard let json = try? JSONValue(json: Data(text.utf8)), let object = json.objectValue else {
            throw GatewayError.badHeader(header, "\(shapes) (JSON)")
        }
        func number(_ key: String) throws -> Double {
            guard let value = object[key]?.numberValue, value >= 0, value.isFinite else {
                throw GatewayError.badHeader(header, "\(key) must be a number, 0 or more")
            }
            return value
        }
        switch Set(object.keys) {
        case ["total_cost"]: return .total(try number("total_cost"))
        case ["per_token_in", "per_token_out"]:
            return .perToken(input: try number("per_token_in"), output: try number("per_token_out"))
        default:
            throw GatewayError.badHeader(header, "\(shapes); got keys \(object.keys.sorted().joined(separator: ", "))")
        }
    }
}
