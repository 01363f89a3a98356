import AIGateway
import Foundation
import Logging

/// A gateway's spend limits (SPEC section 11), checked before every provider call and
/// charged when the answer's usage is known.
///
/// A rule applies to a request when its provider and model filters and its metadata filters
/// all select it. Its budget is counted per partition (the values of its `partition`
/// metadata keys; a request without such a key counts in the partition of "no value", so
/// leaving the key out escapes no budget). Windows:
/// - `fixed`: aligned to the clock (`[0, W)`, `[W, 2W)`, ...); the spend is the current window's.
/// - `sliding`: the current fixed window plus the previous one weighted by how much of it
///   still lies in the last `W` seconds (the estimate Cloudflare's sliding rate limits use).
///
/// A request is refused when the spend already counted reaches the limit: the request that
/// crosses it is served, the next is not. Concurrent requests checked before any of them is
/// charged all pass, so a burst overshoots by at most the cost of the requests in flight.
public struct SpendLimiter: Sendable {
    /// Where spend is counted.
    public let ledger: any SpendLedger
    /// What models cost (the same table the logs' `cost` comes from).
    public let prices: PriceTable
    /// With a shared ledger that cannot be read: refuse (true) or let requests through (false).
    public let failClosed: Bool
    let now: @Sendable () -> Date
    let logger: Logger

    /// A limiter counting in `ledger`.
    public init(
        ledger: any SpendLedger, prices: PriceTable, failClosed: Bool = false, logger: Logger = Logger(label: "aigw"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.ledger = ledger
        self.prices = prices
        self.failClosed = failClosed
        self.logger = logger
        self.now = now
    }

    /// What is known of a request before it goes to a provider.
    public struct Request: Sendable {
        public var provider: String
        public var model: String
        public var metadata: LogMetadata?
        public var customCost: CustomCost?

        public init(provider: String, model: String, metadata: LogMetadata?, customCost: CustomCost?) {
            self.provider = provider
            self.model = model
            self.metadata = metadata
            self.customCost = customCost
        }
    }

    /// What the check decided.
    public enum Decision: Sendable {
        /// No rule applies.
        case notLimited
        /// Under every budget: `charge` counts the answer's cost; `remaining` is each
        /// applying rule's USD left before this request.
        case allowed(charge: SpendCharge, remaining: [(ruleID: String, usd: Double)])
        /// A budget is spent (or, failing closed, could not be read).
        case refused(GatewayError)
    }

    /// Whether any rule of `gateway` is checked: the pipeline only gathers a request's facts
    /// (its model, from the body) for gateways where one is.
    public func hasRules(_ gateway: GatewaySettings) -> Bool {
        !(gateway.spendLimits?.activeRules.isEmpty ?? true)
    }

    /// Checks `request` against every rule of `gateway` that applies to it: one read of the
    /// ledger for all of them.
    public func check(_ request: Request, gateway: GatewaySettings) async -> Decision {
        let applying = (gateway.spendLimits?.activeRules ?? []).compactMap { rule in
            Self.partition(of: rule, for: request).map { ApplyingRule(rule: rule, partition: $0) }
        }
        guard !applying.isEmpty else { return .notLimited }
        let time = now().timeIntervalSince1970
        var keys: [SpendCounterKey] = []
        for applying in applying {
            keys.append(applying.key(gatewayID: gateway.id, at: time))
            if applying.rule.isSliding { keys.append(applying.key(gatewayID: gateway.id, at: time, windowsBack: 1)) }
        }
        let totals: [SpendCounterKey: Double]
        do {
            totals = try await ledger.totals(of: keys)
        } catch {
            logger.warning(
                "spend limits could not be read; request \(failClosed ? "refused" : "let through")",
                metadata: ["gateway": "\(gateway.id)", "error": "\(String(reflecting: error))"])
            if failClosed { return .refused(.spendUnavailable(gatewayID: gateway.id)) }
            totals = [:]
        }
        var remaining: [(ruleID: String, usd: Double)] = []
        for applying in applying {
            let window = applying.window(gatewayID: gateway.id, at: time, totals: totals)
            if window.spent >= applying.rule.limit {
                return .refused(
                    .spendLimited(
                        gatewayID: gateway.id, rule: applying.rule, partition: applying.partition, spent: window.spent,
                        retryAfterSeconds: RateLimiter.wholeSeconds(window.secondsUntilUnder(applying.rule.limit, sliding: applying.rule.isSliding))))
            }
            remaining.append((applying.rule.id, applying.rule.limit - window.spent))
        }
        let charge = SpendCharge(
            limiter: self, gatewayID: gateway.id, rules: applying, provider: request.provider, model: request.model,
            customCost: request.customCost)
        return .allowed(charge: charge, remaining: remaining)
    }

    /// A dynamic route's `rate` element (SPEC section 11), counted in the same ledger as spend
    /// limits: the request is admitted when the element's window for its `partition` is under
    /// the limit. A count limit is charged 1 at once; a cost limit comes back as a rule the
    /// answer's charge includes (``charge(for:gatewayID:request:adding:)``). Refused, the
    /// seconds to wait come back. An unreadable ledger admits (as spend limits fail open).
    func admit(
        routeLimit limit: RouteGraph.RateLimit, ruleID: String, partition: String, gatewayID: String
    ) async -> (costRule: ApplyingRule?, retryAfter: Int?) {
        let rule = SpendLimitRule(id: ruleID, limit: limit.limit, window: limit.window, technique: limit.sliding ? "sliding" : "fixed")
        let applying = ApplyingRule(rule: rule, partition: partition)
        let time = now().timeIntervalSince1970
        var keys = [applying.key(gatewayID: gatewayID, at: time)]
        if rule.isSliding { keys.append(applying.key(gatewayID: gatewayID, at: time, windowsBack: 1)) }
        let totals = (try? await ledger.totals(of: keys)) ?? [:]
        let window = applying.window(gatewayID: gatewayID, at: time, totals: totals)
        if window.spent >= rule.limit {
            return (nil, RateLimiter.wholeSeconds(window.secondsUntilUnder(rule.limit, sliding: rule.isSliding)))
        }
        if !limit.costLimited {
            ledger.charge(1, to: [keys[0]])
            return (nil, nil)
        }
        return (applying, nil)
    }

    /// A charge for `rules` (a route's cost limits) added to `existing` (the spend limits'
    /// charge, if any).
    func charge(for rules: [ApplyingRule], gatewayID: String, request: Request, adding existing: SpendCharge?) -> SpendCharge? {
        guard !rules.isEmpty else { return existing }
        var charge =
            existing
            ?? SpendCharge(
                limiter: self, gatewayID: gatewayID, rules: [], provider: request.provider, model: request.model,
                customCost: request.customCost)
        charge.rules += rules
        return charge
    }

    /// Where every budget of `gateway` stands now: each enabled rule, in each partition that
    /// has spent in its current or previous window (a rule with no spend yet, once, at 0).
    public func standings(of gateway: GatewaySettings) async throws -> [SpendStanding] {
        let counters = try await ledger.counters(gatewayID: gateway.id)
        let time = now().timeIntervalSince1970
        var standings: [SpendStanding] = []
        for rule in gateway.spendLimits?.rules ?? [] where rule.enabled {
            let partitions = Set(counters.keys.filter { $0.ruleID == rule.id && $0.windowSeconds == rule.window }.map(\.partition))
            for partition in (partitions.isEmpty ? [""] : partitions.sorted()) {
                let window = ApplyingRule(rule: rule, partition: partition).window(gatewayID: gateway.id, at: time, totals: counters)
                let spent = window.spent
                let retryAfter =
                    spent >= rule.limit ? RateLimiter.wholeSeconds(window.secondsUntilUnder(rule.limit, sliding: rule.isSliding)) : nil
                standings.append(
                    SpendStanding(
                        ruleID: rule.id, partition: partition.replacingOccurrences(of: "\u{1F}", with: ", "), limit: rule.limit,
                        window: rule.window, technique: rule.technique, spent: spent, retryAfter: retryAfter))
            }
        }
        return standings
    }

    /// The partition `request` counts in under `rule`, or nil when the rule does not apply.
    static func partition(of rule: SpendLimitRule, for request: Request) -> String? {
        if let providers = rule.provider?.values, !providers.contains(request.provider) { return nil }
        if let models = rule.model?.values,
            !models.contains(request.model) && !models.contains("\(request.provider)/\(request.model)")
        {
            return nil
        }
        var partition: [String] = []
        for (key, scope) in (rule.metadata ?? [:]).sorted(by: { $0.key < $1.key }) {
            let value = request.metadata?[key]?.spendText
            switch scope {
            case .filter(let values):
                guard let value, values.contains(value) else { return nil }
            case .partition:
                partition.append("\(key)=\(value ?? "")")
            }
        }
        return partition.joined(separator: "\u{1F}")
    }

    /// The text form of the USD amounts in headers and messages: six decimals, `1.200000`.
    /// (Written by hand: `String(format:)` goes through Foundation's formatter, a measurable
    /// cost on every answer of a gateway with rules.)
    static func usd(_ amount: Double) -> String {
        let micros = Int64((max(0, min(amount, 1e12)) * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// The `cf-aig-spend-remaining` value for the rules that applied.
    public static func remainingHeader(_ remaining: [(ruleID: String, usd: Double)]) -> String {
        remaining.map { "\($0.ruleID)=\(usd($0.usd))" }.joined(separator: ", ")
    }
}

/// A rule that applies to a request, and the partition the request counts in.
struct ApplyingRule: Sendable {
    let rule: SpendLimitRule
    let partition: String

    /// The counter of the window holding `time` (or one `windowsBack` before it).
    func key(gatewayID: String, at time: Double, windowsBack: Int = 0) -> SpendCounterKey {
        let width = rule.window
        let start = Int((time / Double(width)).rounded(.down)) * width - windowsBack * width
        return SpendCounterKey(
            gatewayID: gatewayID, ruleID: rule.id, partition: partition, windowSeconds: width, windowStart: start)
    }

    /// The spend counted against the rule at `time`.
    func window(gatewayID: String, at time: Double, totals: [SpendCounterKey: Double]) -> SpendWindow {
        let current = key(gatewayID: gatewayID, at: time)
        let previous = rule.isSliding ? totals[key(gatewayID: gatewayID, at: time, windowsBack: 1)] ?? 0 : 0
        return SpendWindow(
            current: totals[current] ?? 0, previous: previous, start: Double(current.windowStart),
            width: Double(rule.window), time: time)
    }
}

/// The counted spend of one rule's window at one time, and when it falls back under a limit.
struct SpendWindow {
    /// Spent in the current fixed window.
    var current: Double
    /// Spent in the window before (sliding only; 0 for fixed).
    var previous: Double
    /// The current window's start and width, in seconds.
    var start: Double
    var width: Double
    /// The time looked at.
    var time: Double

    /// The spend the rule is held to: for a sliding window the previous window's share that
    /// still lies within the last `width` seconds is added.
    var spent: Double {
        current + previous * max(0, 1 - (time - start) / width)
    }

    /// Seconds until the spend, with nothing more charged, is under `limit` (more than 0).
    func secondsUntilUnder(_ limit: Double, sliding: Bool) -> Double {
        let end = start + width
        guard sliding else { return end - time }
        if current < limit {
            // current + previous × (1 − t/width) < limit, with t measured from `start`.
            return previous > 0 ? start + width * (1 - (limit - current) / previous) - time : 0
        }
        // The current window is spent: at `end` it becomes the previous one, and decays.
        return end - time + width * (1 - limit / current)
    }
}

extension MetadataValue {
    /// The value as a spend rule's filter values name it: a string as is, a number as JSON
    /// writes it, `true`/`false`; nil for null.
    var spendText: String? {
        switch self {
        case .string(let text): text
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: nil
        }
    }
}

extension GatewayError {
    /// 2050, HTTP 429: a spend rule's budget is spent; `Retry-After` says when it is under
    /// its limit again, and the message names the rule, its window and its partition.
    public static func spendLimited(
        gatewayID: String, rule: SpendLimitRule, partition: String, spent: Double, retryAfterSeconds: Int
    ) -> GatewayError {
        let scope = partition.isEmpty ? "" : " for \(partition.replacingOccurrences(of: "\u{1F}", with: ", "))"
        return GatewayError(
            code: 2050, httpStatus: 429,
            message:
                "Spend limit reached: rule '\(rule.id)' of gateway '\(gatewayID)' allows $\(SpendLimiter.usd(rule.limit)) per \(rule.window) s (\(rule.technique) window)\(scope); $\(SpendLimiter.usd(spent)) spent; retry after \(retryAfterSeconds) s",
            headers: [
                ("Retry-After", String(retryAfterSeconds)),
                (GatewayHeader.spendRemaining, "\(rule.id)=\(SpendLimiter.usd(0))"),
            ])
    }

    /// 2051, HTTP 503: the shared spend counters could not be read and the gateway fails closed.
    public static func spendUnavailable(gatewayID: String) -> GatewayError {
        GatewayError(
            code: 2051, httpStatus: 503,
            message: "Spend limits of gateway '\(gatewayID)' could not be checked (the database did not answer); try again",
            headers: [("Retry-After", "1")])
    }
}
