import Synchronization

/// Where finished log records go. `submit` must return at once: it is called on the
/// request path. The store's batch writer is the real sink.
public protocol LogSink: Sendable {
    /// Hands over one record; never blocks.
    func submit(_ record: LogRecord)
    /// Returns once every record submitted before the call is written, or cannot be: the
    /// barrier an answer passes before it completes when logs are durable
    /// (``LogQueueSettings/durable``).
    func waitUntilWritten() async
}

extension LogSink {
    /// A sink that keeps nothing has nothing to wait for.
    public func waitUntilWritten() async {}
}

/// A log record being filled in while its answer streams, submitted exactly once: when the
/// relay finishes, or, if the server drops the answer without relaying it, when the last
/// reference goes away (so that no accepted request is ever missing from the log).
public final class PendingLog: Sendable {
    private struct State {
        var record: LogRecord
        var submitted = false
    }

    private let state: Mutex<State>
    private let sink: any LogSink

    /// Starts a pending log from a draft record.
    public init(_ record: LogRecord, sink: any LogSink) {
        self.state = Mutex(State(record: record))
        self.sink = sink
    }

    /// The log id.
    public var id: String { state.withLock { $0.record.id } }

    /// Changes the draft before it is submitted (nothing, once it has been).
    public func update(_ change: (inout LogRecord) -> Void) {
        state.withLock { state in
            if !state.submitted { change(&state.record) }
        }
    }

    /// Finishes the record and hands it to the sink, once; later calls do nothing.
    public func submit(_ finish: (inout LogRecord) -> Void) {
        let record: LogRecord? = state.withLock { state in
            guard !state.submitted else { return nil }
            state.submitted = true
            finish(&state.record)
            return state.record
        }
        if let record { sink.submit(record) }
    }

    deinit {
        submit { record in
            if record.error == nil { record.error = "the answer was never sent to the client" }
            record.success = false
        }
    }
}
