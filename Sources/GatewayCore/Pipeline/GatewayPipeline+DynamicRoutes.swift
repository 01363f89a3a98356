import AIGateway
import Foundation
import HTTPTypes
import NIOCore

/// Dynamic routes (SPEC section 11): a request whose OpenAI-format body says
/// `model: "dynamic/{name}"` (on `/compat`, or a Universal step with `provider: "compat"`)
/// walks the route's live graph: conditions, splits and rate limits choose the way, and each
/// `model` element is a `/compat` call to its provider and model, whose failure before the
/// first byte (an error, a timeout, a status that is not 2xx) takes its `fallback`. Every
/// model call is logged with the route, its version and the elements passed so far.
extension GatewayPipeline {
    /// What a route walk needs of the request around it.
    struct RouteWalk {
        var route: LiveRoute
        /// The compat endpoint path (`chat/completions`).
        var endpoint: String
        var body: [String: JSONValue]
        var headers: HTTPFields
        var gateway: GatewaySettings
        var directives: RequestDirectives
        /// The draft every model call's log starts from.
        var draft: LogRecord
        /// The log already started for the request: the first model call's (or the route's error's).
        var log: PendingLog?
        var logged: Bool
        var timeoutMs: Int
        var started: ContinuousClock.Instant
        /// What each model's answer must pass (guardrails and DLP).
        var screening: AnswerScreening?
    }

    /// The route a JSON body's `model: "dynamic/{name}"` selects, with the body; nil for any
    /// other body (which `/compat` then plans, or refuses, as it does).
    func dynamicRoute(in body: ByteBuffer) -> (name: String, body: [String: JSONValue])? {
        // Cheap test first: only a body that mentions the prefix is parsed here.
        guard body.readableBytesView.firstRange(of: Array(DynamicRouteSelection.prefix.utf8)) != nil,
            let object = (try? JSONValue(json: body.readableBytesView))?.objectValue,
            let name = DynamicRouteSelection.routeName(inModel: object["model"]?.stringValue)
        else { return nil }
        return (name, object)
    }

    /// Walks a route to an answer.
    func walk(_ walk: RouteWalk) async -> GatewayResponse {
        var walk = walk
        let graph = walk.route.graph
        let request = RouteRequest(metadata: walk.directives.metadata, headers: walk.headers, body: walk.body)
        var path: [String] = []
        var costRules: [ApplyingRule] = []
        var last: GatewayResponse?
        var current = graph.start
        func trace() -> LogRoute { LogRoute(name: walk.route.name, versionID: walk.route.versionID, path: path) }
        func fail(_ error: GatewayError) -> GatewayResponse {
            let log = walk.log ?? startLog(walk.draft, when: walk.logged)
            log?.update { $0.route = trace() }
            walk.log = nil
            return errorResponse(error, log: log, started: walk.started, provider: CompatEndpoint.slug, eventID: walk.directives.eventID)
        }
        // The graph has no cycle: a walk passes each element at most once.
        for _ in graph.nodes.indices {
            path.append(graph.ids[current])
            switch graph.nodes[current] {
            case .start(let next):
                current = next
            case .conditional(let condition, let ifTrue, let ifFalse):
                current = condition.holds(in: request) ? ifTrue : ifFalse
            case .percentage(let shares, let otherwise, let key):
                current = Self.branch(shares, otherwise: otherwise, key: key.flatMap(request.text(of:)), salt: walk.route.id + graph.ids[current])
            case .rate(let limit):
                let partition = request.text(of: limit.key) ?? ""
                let decision = await features.spendLimiter.admit(
                    routeLimit: limit, ruleID: "route:\(walk.route.id):\(graph.ids[current])", partition: "\(limit.key)=\(partition)",
                    gatewayID: walk.gateway.id)
                if let retryAfter = decision.retryAfter {
                    guard let fallback = limit.fallback else {
                        return fail(.routeLimited(route: walk.route.name, element: graph.ids[current], key: "\(limit.key) '\(partition)'", retryAfterSeconds: retryAfter))
                    }
                    current = fallback
                } else {
                    if let rule = decision.costRule { costRules.append(rule) }
                    current = limit.success
                }
            case .model(let model):
                let log = walk.log ?? startLog(walk.draft, when: walk.logged)
                walk.log = nil
                log?.update { $0.route = trace() }
                var draft = walk.draft
                draft.route = trace()
                let (outcome, spendRemaining) = await callModel(model, walk: walk, costRules: costRules, log: log, draft: draft)
                switch outcome {
                case .answered(var response) where (200..<300).contains(response.status):
                    response.headers[Self.modelHeader] = model.model
                    response.headers[Self.providerHeader] = model.provider
                    response.headers[Self.spendRemainingHeader] = spendRemaining
                    return response
                case .answered(var response):
                    response.headers[Self.modelHeader] = model.model
                    response.headers[Self.providerHeader] = model.provider
                    guard let fallback = model.fallback else { return response }
                    await discard(response)
                    last = response
                    current = fallback
                case .failed(let error, let attemptLog):
                    var answer = errorResponse(error, log: attemptLog, started: walk.started, provider: model.provider, eventID: walk.directives.eventID)
                    answer.headers[Self.modelHeader] = model.model
                    answer.headers[Self.providerHeader] = model.provider
                    guard let fallback = model.fallback, error != .clientGone else { return answer }
                    last = answer
                    current = fallback
                }
            case .end:
                return last ?? fail(.routeWithoutAnswer(route: walk.route.name))
            }
        }
        return last ?? fail(.routeWithoutAnswer(route: walk.route.name))
    }

    /// One `model` element's call: the body with the element's `provider/model`, planned as
    /// `/compat` plans it, with the gateway's stored key, checked against spend limits (and
    /// charged to the route's cost limits), sent with the element's retries and timeout; with
    /// the `cf-aig-spend-remaining` value of the spend rules that applied.
    private func callModel(
        _ model: RouteGraph.ModelCall, walk: RouteWalk, costRules: [ApplyingRule], log: PendingLog?, draft: LogRecord
    ) async -> (Attempt, spendRemaining: String?) {
        var body = walk.body
        body["model"] = .string("\(model.provider)/\(model.model)")
        var call: ProviderCall
        let spendRemaining: String?
        do {
            let target = try CompatEndpoint.target(path: walk.endpoint, body: ByteBuffer(bytes: JSONValue.object(body).jsonData()), providers: providers)
            call = ProviderCall(compat: target, method: .post, headers: walk.headers, timeoutMs: model.timeoutMs ?? walk.timeoutMs)
            call = try withStoredKey(call, gateway: walk.gateway, alias: walk.directives.byokAlias)
            call.screening = walk.screening
            spendRemaining = try await checkSpend(&call, gateway: walk.gateway, directives: walk.directives)
        } catch {
            return (.failed(error as? GatewayError ?? .concealing(error), log: log), nil)
        }
        let request = SpendLimiter.Request(
            provider: call.provider.slug.rawValue, model: model.model, metadata: walk.directives.metadata,
            customCost: walk.directives.customCost)
        call.spend = features.spendLimiter.charge(for: costRules, gatewayID: walk.gateway.id, request: request, adding: call.spend)
        let policy = RetryPolicy(maxAttempts: model.retries + 1, delayMs: 0, backoff: .constant)
        return (await send(call, policy: policy, log: log, draft: draft, eventID: walk.directives.eventID), spendRemaining)
    }

    /// The branch of a percentage split: by a random draw, or, with a key, by where the key's
    /// hash falls (the same key, the same branch, in every process).
    static func branch(_ shares: [(percent: Double, next: Int)], otherwise: Int?, key: String?, salt: String) -> Int {
        let draw = key.map { Double(stableHash(salt + "\u{1F}" + $0) % 1_000_000) / 10_000 } ?? Double.random(in: 0..<100)
        var edge = 0.0
        for share in shares {
            edge += share.percent
            if draw < edge { return share.next }
        }
        return otherwise ?? shares[shares.count - 1].next
    }

    /// FNV-1a, 64 bits: the same in every process and run (Swift's `Hasher` is seeded per process).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    static let modelHeader = HTTPField.Name(GatewayHeader.model)!
    static let providerHeader = HTTPField.Name(GatewayHeader.provider)!
}
