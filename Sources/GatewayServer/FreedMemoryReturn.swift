import CHeap
import Logging
import ServiceLifecycle

/// Hands memory the process has freed back to the system, a few seconds after a burst.
///
/// glibc keeps freed memory for reuse, so after a burst (1,000 streams and their upstream
/// connections closing, a log backlog drained, a large body gone) the resident size would
/// otherwise stay at its peak for the life of the process. Every `interval` this reads how
/// much the heap holds free, and when that has grown by more than `threshold` since it was
/// lowest or last handed back, returns the free pages (`malloc_trim`). Never on the request
/// path; a reading walks the heap's free lists (microseconds to a millisecond).
public struct FreedMemoryReturn: Service {
    let interval: Duration
    let threshold: Int
    let logger: Logger

    /// A check every `interval`, returning memory once `threshold` bytes more are free.
    public init(interval: Duration = .seconds(5), threshold: Int = 8 << 20, logger: Logger) {
        self.interval = interval
        self.threshold = threshold
        self.logger = logger
    }

    /// Checks every `interval` until graceful shutdown.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var policy = Policy(threshold: threshold)
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                let free = Int(aigw_heap_free_bytes())
                guard policy.shouldReturn(freeBytes: free) else { continue }
                aigw_heap_return_free_pages()
                policy.returned(freeBytesAfter: Int(aigw_heap_free_bytes()))
                logger.debug("freed memory returned to the system", metadata: ["heap_free_mb": "\(free >> 20)"])
            }
        }
    }

    /// When free memory is worth returning: once it has grown by more than `threshold` since
    /// the lowest reading after the last return (or since start, so that what starting up
    /// left free goes back at the first check). After a return the free chunks stay on the
    /// heap's lists, only their pages go, so the reading after it is the new baseline; as
    /// allocations reuse those chunks the reading falls, and the baseline with it.
    struct Policy {
        let threshold: Int
        private var baseline = 0

        init(threshold: Int) { self.threshold = threshold }

        /// Notes a reading; true when the memory freed since the baseline should go back.
        mutating func shouldReturn(freeBytes: Int) -> Bool {
            if freeBytes > baseline + threshold { return true }
            baseline = min(baseline, freeBytes)
            return false
        }

        /// Notes the reading right after a return.
        mutating func returned(freeBytesAfter: Int) { baseline = freeBytesAfter }
    }
}
