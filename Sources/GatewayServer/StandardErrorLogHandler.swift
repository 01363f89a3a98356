import Logging

/// The process's log handler: `StreamLogHandler`'s lines (standard error by default), with
/// the metadata formatted only when a line is written.
///
/// `StreamLogHandler` formats its metadata into a string each time metadata is set.
/// Hummingbird sets a request id on every request's logger, so with it every request paid
/// for a formatted string (about 1% of the gateway's CPU under load) that was almost never
/// printed. Here setting metadata only stores it.
///
/// ```swift
/// LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
/// ```
public struct StandardErrorLogHandler: LogHandler {
    /// Makes the handler that formats and writes one line.
    public typealias LineWriter = @Sendable (_ label: String, _ provider: Logger.MetadataProvider?) -> StreamLogHandler

    /// The logger's label, printed on every line.
    public let label: String
    /// Lines below this level are not written.
    public var logLevel: Logger.Level = .info
    /// The logger's own metadata, printed with every line.
    public var metadata: Logger.Metadata = [:]
    /// Metadata gathered at each line (task-local values, for example).
    public var metadataProvider: Logger.MetadataProvider?
    private let lineWriter: LineWriter

    /// A handler for the logger labelled `label`; `lineWriter` chooses where lines go.
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        lineWriter: @escaping LineWriter = { StreamLogHandler.standardError(label: $0, metadataProvider: $1) }
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.lineWriter = lineWriter
    }

    /// One metadata item: stored as is, formatted only when a line is written.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line (`Logger` calls this only at or above `logLevel`).
    public func log(event: LogEvent) {
        var line = lineWriter(label, metadataProvider)
        line.logLevel = logLevel
        line.metadata = metadata
        line.log(event: event)
    }
}
