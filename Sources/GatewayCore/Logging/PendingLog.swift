import NIOCore
import Synchronization

/// A log record in flight: started once per request (or per attempt of it) by
/// ``GatewayPipeline/startLog(_:when:)``, filled in as the request goes, and finished exactly
/// once, by ``finish(_:started:)``: when its answer is relayed, when the gateway answers with
/// its own error, or, if the server drops the answer without relaying it, when the last
/// reference goes away (so that no accepted request is ever missing from the log).
final class PendingLog: Sendable {
    private struct State {
        var record: LogRecord
        var finished = false
    }

    private let state: Mutex<State>
    private let sink: any LogSink

    /// Starts a pending log from a draft record.
    init(_ record: LogRecord, sink: any LogSink) {
        self.state = Mutex(State(record: record))
        self.sink = sink
    }

    /// The log id.
    var id: String { state.withLock { $0.record.id } }

    /// The log id a client may be given (`cf-aig-log-id`): nil for a record that is not stored.
    var storedID: String? { state.withLock { $0.record.stored ? $0.record.id : nil } }

    /// Changes the draft before it is finished (nothing, once it is).
    func update(_ change: (inout LogRecord) -> Void) {
        state.withLock { state in
            if !state.finished { change(&state.record) }
        }
    }

    /// Completes the record as `ending` says, timing it from `started`, and hands it to the
    /// sink: the one place a log is finished. Later calls do nothing.
    func finish(_ ending: LogEnding, started: ContinuousClock.Instant?) {
        let duration = started.map { ContinuousClock.now - $0 }
        let record: LogRecord? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            ending.complete(&state.record)
            if let duration { state.record.durationMs = duration.wholeMilliseconds }
            return state.record
        }
        if let record { sink.submit(record) }
    }

    deinit {
        finish(.neverSent, started: nil)
    }
}

/// How the request behind a log ended.
enum LogEnding {
    /// The answer went to the client, whole or streamed: the capped copy of the provider's
    /// bytes, and what went wrong on the way (a provider breaking off, a client leaving).
    case relayed(BodyCapture, problem: String?)
    /// The gateway answered with its own error; `body` is the JSON error body the client got
    /// (made once, for the answer and the log).
    case failed(GatewayError, body: ByteBuffer)
    /// The answer was dropped before its relay ran.
    case neverSent

    /// Writes the ending into the record.
    func complete(_ record: inout LogRecord) {
        switch self {
        case .relayed(let capture, let problem):
            record.response = capture
            if let problem {
                record.success = false
                record.error = problem
            }
        case .failed(let error, let body):
            record.statusCode = error.httpStatus
            record.success = false
            record.error = error.message
            record.responseContentType = "application/json"
            record.response = BodyCapture(cap: record.response.cap, body: body)
        case .neverSent:
            if record.error == nil { record.error = "the answer was never sent to the client" }
            record.success = false
        }
    }
}
