import Foundation
import Synchronization

/// How Logpush fares in this process, for the dashboard: set by the exporter after each pass.
public final class LogpushStatus: Sendable {
    /// One reading.
    public struct Reading: Sendable {
        /// Where logs go (a directory or a URL), or nil when this process exports none.
        public var destination: String?
        /// Logs waiting, and the age of the oldest.
        public var pending = 0
        /// The age of the oldest waiting log.
        public var lagSeconds = 0.0
        /// Logs delivered since start.
        public var exported = 0
        /// Logs skipped: deleted before export, or of a gateway that no longer has a key.
        public var skipped = 0
        /// Why the last pass failed, until one succeeds.
        public var lastError: String?
        /// When a batch was last delivered.
        public var lastDelivery: Date?
        /// The last finished file, for a directory destination.
        public var lastFile: String?
    }

    private let reading = Mutex(Reading())

    /// No reading yet.
    public init() {}

    /// The latest reading.
    public var current: Reading { reading.withLock { $0 } }

    /// Changes the reading.
    public func update(_ change: (inout Reading) -> Void) {
        reading.withLock { change(&$0) }
    }
}
