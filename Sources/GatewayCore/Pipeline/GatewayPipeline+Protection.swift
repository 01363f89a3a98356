import AIGateway
import Foundation
import HTTPTypes
import NIOCore

/// Guardrails and data loss prevention (SPEC section 11): the request's body is screened before
/// any provider call (DLP: flag, block with 2029, or redact; guardrails: the guard model's
/// categories, flag or block with 2016), and a 2xx answer before it reaches the client (DLP
/// 2030, guardrails 2017; the answer is read whole first when a check needs all of it). A
/// guard that cannot be asked fails closed where a category would block (503, 7013) and open
/// where it would only flag. Findings and actions go into the log; `cf-aig-dlp` tells the client.
extension GatewayPipeline {
    /// What a request's answer must still pass, carried with its provider call.
    struct AnswerScreening: Sendable {
        var gateway: GatewaySettings
        var dlp: DLPScanner?
        /// The request's DLP header value, to merge with the answer's findings.
        var requestFindings: DLPVerdict?
        /// The prompt's text, which the guard reads beside the answer.
        var promptText: String
        var requestLogID: String?
        /// The request's spans, which get one per check.
        var trace: RequestTrace?

        var checksAnswerGuardrails: Bool { !(gateway.guardrails?.response.isEmpty ?? true) }
        var checksAnswerDLP: Bool { dlp?.checks(request: false) ?? false }
    }

    /// Screens the request body: returns it (redacted when a policy says so), with the
    /// screening its answer will need; throws the block.
    func screenRequest(_ body: ByteBuffer, gateway: GatewaySettings, log: PendingLog?, trace: RequestTrace? = nil)
        async throws(GatewayError) -> (body: ByteBuffer, screening: AnswerScreening?)
    {
        let dlp = features.protection.scanner(for: gateway)
        let guardrails = gateway.guardrails
        guard dlp != nil || guardrails != nil else { return (body, nil) }
        var body = body
        var requestVerdict: DLPVerdict?
        if let dlp, dlp.checks(request: true) {
            let bytes = Array(body.readableBytesView)
            let scanStarted = Date()
            let verdict = await Self.scan(bytes, with: dlp, request: true)
            trace?.addCheck("dlp request", start: scanStarted, end: Date(), attributes: Self.spanAttributes(verdict), failed: verdict.blocks)
            if verdict.action != nil {
                requestVerdict = verdict
                log?.update { $0.dlp = Self.logDLP(verdict, check: "REQUEST") }
                if verdict.blocks { throw .dlpBlocked(request: true, header: DLPScanner.header(verdict, check: "REQUEST")) }
                if verdict.action == "REDACT" { body = ByteBuffer(bytes: DLPScanner.redact(bytes, verdict.redactions)) }
            }
        }
        let promptText = ScreenedText.extract(Array(body.readableBytesView), contentType: "application/json")
        if let guardrails, !guardrails.prompt.isEmpty {
            let judgeStarted = Date()
            let judged = await judge(prompt: promptText, answer: nil, rules: guardrails.prompt, guardrails: guardrails, gateway: gateway, requestLogID: log?.storedID)
            trace?.addCheck(
                "guardrails prompt", start: judgeStarted, end: Date(), attributes: Self.spanAttributes(judged.log),
                failed: judged.error(answer: false) != nil)
            log?.update { $0.guardrails = judged.log }
            if let error = judged.error(answer: false) { throw error }
        }
        let screening = AnswerScreening(
            gateway: gateway, dlp: dlp, requestFindings: requestVerdict, promptText: promptText, requestLogID: log?.storedID, trace: trace)
        return (body, screening.checksAnswerDLP || screening.checksAnswerGuardrails || requestVerdict != nil ? screening : nil)
    }

    /// Screens a 2xx answer that `screening` says must be read whole first (answer guardrails,
    /// or DLP on an answer that is not a stream): the body to relay, the `cf-aig-dlp` value, or the block.
    func screenAnswer(_ body: UpstreamBody, contentType: String?, screening: AnswerScreening, log: PendingLog?) async throws(GatewayError)
        -> (body: UpstreamBody, dlpHeader: String?)
    {
        var whole: [UInt8] = []
        do {
            for try await chunk in body {
                whole += chunk.readableBytesView
                if whole.count > configuration.logBodyCapBytes {
                    throw GatewayError.upstreamUnreachable("guardrails", reason: "the answer is larger than the \(configuration.logBodyCapBytes)-byte limit screening reads")
                }
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .upstreamUnreachable("provider", reason: UpstreamFailure.describe(error))
        }
        var verdicts: [(DLPVerdict, String)] = screening.requestFindings.map { [($0, "REQUEST")] } ?? []
        if screening.checksAnswerDLP, let dlp = screening.dlp {
            let scanStarted = Date()
            let verdict = await Self.scan(whole, with: dlp, request: false)
            screening.trace?.addCheck(
                "dlp response", start: scanStarted, end: Date(), attributes: Self.spanAttributes(verdict), failed: verdict.blocks)
            if verdict.action != nil {
                verdicts.append((verdict, "RESPONSE"))
                log?.update { $0.addDLP(Self.logDLP(verdict, check: "RESPONSE")) }
                if verdict.blocks { throw .dlpBlocked(request: false, header: DLPScanner.header(verdict, check: "RESPONSE")) }
                if verdict.action == "REDACT" { whole = DLPScanner.redact(whole, verdict.redactions) }
            }
        }
        if screening.checksAnswerGuardrails, let guardrails = screening.gateway.guardrails {
            let answerText = ScreenedText.extract(whole, contentType: contentType)
            let judgeStarted = Date()
            let judged = await judge(
                prompt: screening.promptText, answer: answerText, rules: guardrails.response, guardrails: guardrails, gateway: screening.gateway,
                requestLogID: screening.requestLogID)
            screening.trace?.addCheck(
                "guardrails response", start: judgeStarted, end: Date(), attributes: Self.spanAttributes(judged.log),
                failed: judged.error(answer: true) != nil)
            // The answer's verdict is kept unless it is a clean pass after the prompt's was not.
            log?.update { record in
                if record.guardrails == nil || judged.log.action != "PASS" { record.guardrails = judged.log }
            }
            if let error = judged.error(answer: true) { throw error }
        }
        return (UpstreamBody(whole: ByteBuffer(bytes: whole)), Self.header(verdicts))
    }

    /// Scans `bytes`; a large body is scanned off the event loop that serves the client (a
    /// megabyte takes about a tenth of a second), so other connections on it are not held up.
    static func scan(_ bytes: [UInt8], with scanner: DLPScanner, request: Bool) async -> DLPVerdict {
        guard bytes.count > 32 * 1024 else { return scanner.scan(bytes, request: request) }
        return await withTaskExecutorPreference(globalConcurrentExecutor) { scanner.scan(bytes, request: request) }
    }

    /// The `cf-aig-dlp` value of the request's findings and the answer's, together.
    static func header(_ verdicts: [(DLPVerdict, String)]) -> String? {
        guard !verdicts.isEmpty else { return nil }
        if verdicts.count == 1 { return DLPScanner.header(verdicts[0].0, check: verdicts[0].1) }
        let parts = verdicts.compactMap { verdict, check in try? JSONValue(json: Data(DLPScanner.header(verdict, check: check).utf8)).objectValue }
        let findings = parts.flatMap { $0["findings"]?.arrayValue ?? [] }
        let action = verdicts.map { $0.0.action ?? "FLAG" }.reduce("FLAG", DLPStreamFilter.stronger)
        return String(decoding: JSONValue.object(["findings": .array(findings), "action": .string(action)]).jsonData(), as: UTF8.self)
    }

    static let dlpHeader = HTTPField.Name(GatewayHeader.dlp)!

    /// A DLP scan's span attributes: the action taken, if any, and the profiles found.
    static func spanAttributes(_ verdict: DLPVerdict) -> [SpanAttribute] {
        [
            SpanAttribute("cf.aig.dlp.action", .string(verdict.action ?? "NONE")),
            SpanAttribute("cf.aig.dlp.findings", .int(Int64(verdict.findings.count))),
        ]
    }

    /// A guardrail check's span attributes: its action and the categories found.
    static func spanAttributes(_ judged: LogGuardrails) -> [SpanAttribute] {
        [
            SpanAttribute("cf.aig.guardrails.action", .string(judged.action)),
            SpanAttribute("cf.aig.guardrails.categories", .string(judged.categories.joined(separator: ","))),
        ]
    }

    static func logDLP(_ verdict: DLPVerdict, check: String) -> LogDLP {
        LogDLP(action: verdict.action ?? "FLAG", findings: verdict.findings, check: check)
    }

    // MARK: The guard

    /// What the guard said, against a direction's rules.
    struct Judgement {
        var log: LogGuardrails
        var blocked: [String] = []
        var unavailable = false

        func error(answer: Bool) -> GatewayError? {
            if unavailable { return .guardUnavailable }
            if !blocked.isEmpty { return answer ? .answerBlocked(blocked) : .promptBlocked(blocked) }
            return nil
        }
    }

    /// Asks the guard (and the prompt guard, for `P1`) about the prompt (or the answer to it).
    func judge(
        prompt: String, answer: String?, rules: [String: String], guardrails: GuardrailSettings, gateway: GatewaySettings, requestLogID: String?
    ) async -> Judgement {
        let check = answer == nil ? "REQUEST" : "RESPONSE"
        var categories: [String] = []
        var unavailable = false
        // Long content goes to the guard in pieces (a guard model reads a bounded context).
        let pieces = Self.pieces(of: answer ?? prompt)
        if rules.keys.contains(where: { $0 != "P1" }) {
            for piece in pieces {
                let asked = answer == nil ? (prompt: piece, answer: String?.none) : (prompt: String(prompt.suffix(Self.guardPiece / 4)), answer: piece)
                switch await askGuard(guardrails.model ?? .llamaGuard, prompt: asked.prompt, answer: asked.answer, gateway: gateway, requestLogID: requestLogID) {
                case .some(let found): categories += found.filter { !categories.contains($0) }
                case .none: unavailable = true
                }
            }
        }
        if rules["P1"] != nil {
            for piece in pieces where !categories.contains("P1") {
                switch await askGuard(guardrails.promptGuardModel ?? .promptGuard, prompt: piece, answer: nil, gateway: gateway, requestLogID: requestLogID) {
                case .some(let found): categories += found.isEmpty ? [] : ["P1"]
                case .none: unavailable = true
                }
            }
        }
        let blocked = categories.filter { rules[$0] == "BLOCK" }
        let flagged = categories.filter { rules[$0] == "FLAG" }
        if unavailable {
            if rules.values.contains("BLOCK") {
                return Judgement(log: LogGuardrails(action: "UNCHECKED", categories: categories, check: check), unavailable: true)
            }
            return Judgement(log: LogGuardrails(action: "UNCHECKED", categories: categories, check: check))
        }
        let action = !blocked.isEmpty ? "BLOCK" : !flagged.isEmpty ? "FLAG" : "PASS"
        return Judgement(log: LogGuardrails(action: action, categories: blocked + flagged, check: check), blocked: blocked)
    }

    /// The most characters one guard call reads.
    static let guardPiece = 8000

    /// `text` in pieces of at most ``guardPiece`` characters, overlapping by a tenth so that
    /// nothing is judged only in halves; at most 32 pieces (content past them is not judged: a
    /// documented limit).
    static func pieces(of text: String) -> [String] {
        guard text.count > guardPiece else { return [text] }
        var pieces: [String] = []
        var start = text.startIndex
        while start < text.endIndex, pieces.count < 32 {
            let end = text.index(start, offsetBy: guardPiece, limitedBy: text.endIndex) ?? text.endIndex
            pieces.append(String(text[start..<end]))
            if end == text.endIndex { break }
            start = text.index(end, offsetBy: -guardPiece / 10)
        }
        return pieces
    }

    /// One call to a guard model through the gateway's own providers: the categories it
    /// reports (empty for safe), or nil when it could not be asked in time. The call is logged
    /// under the checked request's log id (as its event id) and charged to no spend limit.
    func askGuard(_ model: GuardModel, prompt: String, answer: String?, gateway: GatewaySettings, requestLogID: String?) async -> [String]? {
        guard let provider = try? providers.provider(model.provider) else { return nil }
        var messages: [JSONValue] = [["role": "user", "content": .string(prompt)]]
        if let answer { messages.append(["role": "assistant", "content": .string(answer)]) }
        var body: [String: JSONValue] = ["messages": .array(messages)]
        let path: String
        if GuardVerdict.isModeration(model.model) {
            // OpenAI's moderation endpoint judges one text: the answer, or the prompt.
            path = "v1/moderations"
            body = ["model": .string(model.model), "input": .string(answer ?? prompt)]
        } else if provider.slug.rawValue == "workers-ai" {
            path = model.model
        } else {
            path = (CompatEndpoint.openAICompatible[provider.slug.rawValue] ?? "v1/") + "chat/completions"
            body["model"] = .string(model.model)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let header = provider.credentialHeader, let name = HTTPField.Name(header),
            let secret = try? features.providerKeys.secret(gatewayID: gateway.id, provider: provider.slug.rawValue, alias: nil)
        {
            headers[name] = header == "authorization" && !secret.lowercased().hasPrefix("bearer ") ? "Bearer \(secret)" : secret
        }
        let call = ProviderCall(
            provider: provider, path: path, query: nil, method: .post, headers: headers, body: ByteBuffer(bytes: JSONValue.object(body).jsonData()),
            timeoutMs: model.timeoutMs)
        var draft = logDraft(gateway: gateway, provider: provider.slug.rawValue, path: path, createdAt: Date())
        draft.eventID = requestLogID.map { "guardrails:" + $0 }
        draft.requestContentType = "application/json"
        let log = startLog(draft, when: gateway.collectLogs)
        guard case .answered(let response) = await send(call, policy: RetryPolicy(maxAttempts: 1, delayMs: 0, backoff: .constant), log: log, draft: draft, eventID: nil),
            (200..<300).contains(response.status), case .stream(let stream) = response.body
        else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try await withTimeout(.milliseconds(model.timeoutMs)) {
                var collected: [UInt8] = []
                try await stream.relay { chunk in collected += chunk.readableBytesView }
                return collected
            }
        } catch {
            return nil
        }
        return GuardVerdict.categories(in: bytes)
    }
}

/// Reading a guard's answer.
enum GuardVerdict {
    /// Whether a model is OpenAI's moderation (`omni-moderation-*`, `text-moderation-*`).
    static func isModeration(_ model: String) -> Bool { model.contains("moderation") }

    /// OpenAI moderation's categories as Llama Guard's.
    static let moderationCategories: [String: String] = [
        "violence": "S1", "violence/graphic": "S1", "illicit/violent": "S1", "illicit": "S2", "sexual/minors": "S4", "sexual": "S12",
        "hate": "S10", "hate/threatening": "S10", "harassment": "S10", "harassment/threatening": "S10", "self-harm": "S11",
        "self-harm/intent": "S11", "self-harm/instructions": "S11",
    ]

    /// The categories a guard's answer reports: Llama Guard's text (`safe`, or `unsafe` and
    /// `S1,S10`, in Workers AI's `result.response`, an OpenAI-style `choices[0].message.content`,
    /// or Workers AI's object form `{"safe": false, "categories": [...]}`), or a prompt guard's
    /// label (`JAILBREAK`, `INJECTION`, `MALICIOUS` count as one finding). Empty for safe; nil
    /// when the answer says neither.
    static func categories(in bytes: [UInt8]) -> [String]? {
        guard let json = try? JSONValue(json: bytes) else { return nil }
        if let moderation = json.objectValue?["results"]?.arrayValue?.first?.objectValue?["categories"]?.objectValue {
            var found: [String] = []
            for (name, flagged) in moderation.sorted(by: { $0.key < $1.key }) where flagged.boolValue == true {
                if let category = moderationCategories[name], !found.contains(category) { found.append(category) }
            }
            return found
        }
        let result = json.objectValue?["result"]?.objectValue?["response"]
            ?? json.objectValue?["choices"]?.arrayValue?.first?.objectValue?["message"]?.objectValue?["content"]
            ?? json.objectValue?["response"]
        if let object = result?.objectValue {
            if object["safe"]?.boolValue == true { return [] }
            return object["categories"]?.arrayValue?.compactMap { $0.stringValue?.uppercased() }
        }
        guard let text = result?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        let lower = text.lowercased()
        if lower.hasPrefix("safe") || lower == "benign" { return [] }
        if ["jailbreak", "injection", "malicious"].contains(where: lower.contains) { return ["P1"] }
        guard lower.hasPrefix("unsafe") else { return nil }
        var found: [String] = []
        var digits = ""
        var afterS = false
        for character in text.uppercased() + " " {
            if afterS, character.isNumber {
                digits.append(character)
                continue
            }
            if afterS, !digits.isEmpty { found.append("S" + digits) }
            afterS = character == "S"
            digits = ""
        }
        return found
    }
}

/// The text of a request or an answer that screening reads: the strings under `content`,
/// `text`, `prompt`, `input` and `response` keys of a JSON body, or of each event of a stream
/// (the rest, such as roles and ids, is not content). A body that is not JSON is read as text.
enum ScreenedText {
    static let keys: Set<String> = ["content", "text", "prompt", "input", "response", "output_text"]

    static func extract(_ bytes: [UInt8], contentType: String?) -> String {
        var parts: [String] = []
        func collect(_ value: JSONValue, underKey: Bool) {
            switch value {
            case .string(let text) where underKey: parts.append(text)
            case .array(let items): for item in items { collect(item, underKey: underKey) }
            case .object(let members):
                for (key, member) in members.sorted(by: { $0.key < $1.key }) { collect(member, underKey: keys.contains(key)) }
            default: break
            }
        }
        if let json = try? JSONValue(json: bytes) {
            collect(json, underKey: false)
            return parts.joined(separator: "\n")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("data:") else { return text }
        for line in text.split(separator: "\n") where line.hasPrefix("data:") {
            let payload = line.dropFirst(5).drop { $0 == " " }
            if let json = try? JSONValue(json: Array(payload.utf8)) { collect(json, underKey: false) }
        }
        return parts.joined()
    }
}

extension GatewayError {
    /// 2016, HTTP 424: a guardrail blocked the prompt; it reached no provider.
    static func promptBlocked(_ categories: [String]) -> GatewayError {
        GatewayError(code: 2016, httpStatus: 424, message: "Prompt blocked due to security configurations (categories \(categories.joined(separator: ", ")))")
    }

    /// 2017, HTTP 424: a guardrail blocked the answer; the client gets none of it.
    static func answerBlocked(_ categories: [String]) -> GatewayError {
        GatewayError(code: 2017, httpStatus: 424, message: "Response blocked due to security configurations (categories \(categories.joined(separator: ", ")))")
    }

    /// 7013, HTTP 503: the guard could not be asked and a category would block: fails closed.
    static let guardUnavailable = GatewayError(
        code: 7013, httpStatus: 503, message: "Guardrails could not check the content (the guard model did not answer in time); blocked rules fail closed")

    /// 2029 (request) or 2030 (answer), HTTP 424: a DLP policy blocked it; `cf-aig-dlp` says which profiles.
    static func dlpBlocked(request: Bool, header: String) -> GatewayError {
        GatewayError(
            code: request ? 2029 : 2030, httpStatus: 424,
            message: request ? "Prompt blocked by data loss prevention" : "Response blocked by data loss prevention",
            headers: [(GatewayHeader.dlp, header)])
    }
}

extension LogDLP {
    /// A verdict's findings as a log keeps them (positions, never text).
    init(action: String, findings: [DLPFinding], check: String) {
        self.init(
            action: action,
            findings: findings.map {
                Finding(profile: $0.profile, check: check, start: $0.range.lowerBound, end: $0.range.upperBound, policyIDs: $0.policyIDs)
            })
    }
}

extension LogRecord {
    /// Adds an answer's DLP findings to the request's, keeping the stronger action.
    mutating func addDLP(_ found: LogDLP) {
        guard var combined = dlp else {
            dlp = found
            return
        }
        combined.findings += found.findings
        combined.action = DLPStreamFilter.stronger(combined.action, found.action)
        dlp = combined
    }
}
