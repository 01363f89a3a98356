import AIGateway
import NIOCore

/// Passes an upstream's body to the client chunk by chunk as it arrives, keeping the
/// log's capped copy on the way (of the provider's own bytes), translating when the
/// answer is to go out in another format, recording it for the cache when this request
/// leads, and completing the log when the body ends, fails, or the client goes away.
public struct ProviderAnswerRelay: AnswerStream {
    let body: UpstreamBody
    /// The upstream's declared length, when it sent one.
    public let contentLength: Int?
    let log: PendingLog?
    let captureCap: Int
    let started: ContinuousClock.Instant
    /// Rewrites the answer on its way to the client (the log keeps the provider's own bytes).
    let translator: (any ResponseTranslator)?
    /// Where identical requests waiting on this one (and the cache) get the answer.
    let recorder: InFlightAnswer?
    /// The answer's cost, owed to the spend rules that applied, charged when the body has passed.
    let spend: SpendCharge?
    /// DLP over a streamed answer as it passes (what goes out is what it lets through).
    let dlp: DLPStreamFilter?
    /// Fails the recording if this relay is dropped without running.
    private let settleGuard: InFlightAnswer.SettleGuard?

    init(
        body: UpstreamBody, contentLength: Int?, log: PendingLog?, captureCap: Int,
        started: ContinuousClock.Instant, translator: (any ResponseTranslator)?, recorder: InFlightAnswer?,
        spend: SpendCharge? = nil, dlp: DLPStreamFilter? = nil
    ) {
        self.spend = spend
        self.dlp = dlp
        self.body = body
        self.contentLength = contentLength
        self.log = log
        self.captureCap = captureCap
        self.started = started
        self.translator = translator
        self.recorder = recorder
        self.settleGuard = recorder.map(InFlightAnswer.SettleGuard.init)
    }

    /// The whole answer at once, when the provider's body came complete with its head (it
    /// then goes to the client in one write): captured, translated, recorded and logged as
    /// ``relay(to:)`` would. Nil when the body is still arriving.
    public func wholeAnswer() -> ByteBuffer? {
        guard let whole = body.whole else { return nil }
        var capture = BodyCapture(cap: capturing ? captureCap : 0)
        if capturing { capture.append(whole) }
        var answer = whole
        if var translator {
            answer = translator.translate(whole) ?? ByteBuffer()
            if var tail = translator.finish() { answer.writeBuffer(&tail) }
        }
        if answer.readableBytes > 0 { recorder?.append(answer) }
        recorder?.finish()
        spend?.settle(capture)
        log?.finish(.relayed(capture, problem: nil), started: started)
        return answer
    }

    /// Adds what DLP found in the stream to the log.
    private func recordDLP(_ filter: DLPStreamFilter) {
        log?.update { $0.addDLP(LogDLP(action: filter.action ?? "FLAG", findings: filter.findings, check: "RESPONSE")) }
    }

    /// Whether the body is copied as it passes: for the log, or to read the usage it is charged for.
    private var capturing: Bool { log != nil || spend != nil }

    /// Relays every chunk to `write`. Throws when the upstream fails mid-body (the client
    /// must then see a broken response, not a short one) or when `write` throws. If the
    /// client goes away while others follow this answer, it is read to its end for them.
    public func relay(to write: (ByteBuffer) async throws -> Void) async throws {
        var capture = BodyCapture(cap: capturing ? captureCap : 0)
        var translator = self.translator
        var clientGone: (any Error)?
        var dlp = self.dlp
        var blocked = false
        func send(_ bytes: ByteBuffer?) async throws {
            guard var bytes, bytes.readableBytes > 0 else { return }
            if dlp != nil {
                guard let passed = dlp!.pass(bytes) else {
                    blocked = true
                    return
                }
                bytes = passed
                if bytes.readableBytes == 0 { return }
            }
            recorder?.append(bytes)
            guard clientGone == nil else { return }
            do {
                try await write(bytes)
            } catch {
                clientGone = error
                if recorder?.hasFollowers != true { throw error }
            }
        }
        do {
            for try await chunk in body {
                if capturing { capture.append(chunk) }
                try await send(translator == nil ? chunk : translator!.translate(chunk))
                if blocked { break }
            }
            if translator != nil, !blocked { try await send(translator!.finish()) }
            if dlp != nil, !blocked {
                if let tail = dlp!.finish() {
                    let rest = dlp
                    dlp = nil
                    try await send(tail)
                    dlp = rest
                } else {
                    blocked = true
                }
            }
            if let filter = dlp, filter.action != nil { recordDLP(filter) }
            if blocked {
                // The client gets an error event in place of the rest: the SDKs raise it.
                recorder?.fail()
                if clientGone == nil { try? await write(DLPStreamFilter.blockedEvent) }
                spend?.settle(capture)
                log?.finish(.relayed(capture, problem: "the answer was blocked by data loss prevention as it streamed"), started: started)
                return
            }
        } catch {
            recorder?.fail()
            spend?.settle(capture)
            let reason =
                clientGone != nil
                ? "the client disconnected after \(capture.totalBytes) bytes of the answer"
                : "the provider's answer broke off after \(capture.totalBytes) bytes: \(UpstreamFailure.describe(error))"
            log?.finish(.relayed(capture, problem: reason), started: started)
            throw error
        }
        recorder?.finish()
        spend?.settle(capture)
        if let clientGone {
            let problem = "the client disconnected; the answer was read to its end for identical requests waiting on it"
            log?.finish(.relayed(capture, problem: problem), started: started)
            throw clientGone
        }
        log?.finish(.relayed(capture, problem: nil), started: started)
    }
}
