import Foundation

/// A task executor with one thread of its own: work given to it (with
/// `withTaskExecutorPreference`) runs there, never on the event loops that serve clients.
/// The log writer runs on one, so that finalizing a batch of records (reading usage, pricing,
/// encoding) never holds a loop a request is waiting for.
///
/// Jobs run in the order they arrive. The thread lives as long as the process: an executor
/// is made once, at start.
public final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` is guarded by `condition`, and `thread` is written once in `init`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var thread: Thread?

    /// Starts the thread, named `name` (as `top -H` and `perf` show it).
    public init(name: String) {
        let thread = Thread { [unowned self] in self.runJobs() }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Whether the caller runs on this executor's thread.
    public var isCurrent: Bool { Thread.current === thread }

    private func runJobs() {
        let executor = asUnownedTaskExecutor()
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: executor) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
