import AIGateway
import Foundation

/// The cost of one provider answer, owed to the spend rules that applied to its request:
/// made by ``SpendLimiter/check(_:gateway:)``, carried with the call, and settled by the
/// answer's relay once the body has passed (its usage is then known, streams included).
///
/// The cost is the log's: `cf-aig-custom-cost` when the request gave one, else the price
/// table's for the provider and model. It is charged to the windows holding the moment the
/// answer ended.
public struct SpendCharge: Sendable {
    let limiter: SpendLimiter
    let gatewayID: String
    var rules: [ApplyingRule]
    let provider: String
    let model: String
    let customCost: CustomCost?
    /// Set when the answer's head arrives: how to read its usage.
    var contentType: String?
    var usageParser: any UsageParser = OpenAIUsageParser()

    /// The cost of an answer with this usage.
    public func cost(of usage: TokenUsage) -> Double {
        customCost.map { $0.cost(of: usage) } ?? limiter.prices.cost(provider: provider, model: model, usage: usage) ?? 0
    }

    /// Reads the usage in the answer's captured bytes and charges its cost.
    func settle(_ capture: BodyCapture) {
        let usage = UsageExtractor.usage(in: capture.scannableBytes, contentType: contentType, parser: usageParser)
        charge(cost(of: usage))
    }

    /// Charges `cost` to every rule's current window.
    func charge(_ cost: Double) {
        let time = limiter.now().timeIntervalSince1970
        limiter.ledger.charge(cost, to: rules.map { $0.key(gatewayID: gatewayID, at: time) })
    }
}
