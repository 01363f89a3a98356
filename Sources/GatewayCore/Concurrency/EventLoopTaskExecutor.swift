import NIOCore

/// A task executor that runs its jobs on one SwiftNIO event loop.
///
/// The server answers each request in a task that prefers the executor of the loop serving
/// the client's connection (`Task(executorPreference:)`). The task, its nonisolated async
/// calls and its child tasks then run on that loop, beside the connection's I/O, instead of
/// hopping to Swift's cooperative pool and back at every step. Hops between nonisolated
/// functions cost the runtime a comparison; only real suspensions go through the loop's queue.
///
/// This is Swift's supported mechanism (SE-0417) for what an earlier version did with the
/// runtime's private `swift_task_enqueueGlobal_hook`.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop every job runs on.
    public let eventLoop: any EventLoop

    /// An executor for `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
