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
