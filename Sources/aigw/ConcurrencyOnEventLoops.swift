import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Puts Swift concurrency's global executor on SwiftNIO's event loops, so that a request's
/// handler and its network I/O share threads instead of hopping between Swift's cooperative
/// pool and NIO's loops at every step (on a 2-core machine those hops cost more than the
/// gateway's own work).
///
/// NIO offers this (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`),
/// but it runs each job as if isolated to the event loop's serial executor. Every
/// nonisolated `async` function hops to the generic executor on entry, and the runtime
/// treats a hop from a serial executor to the generic one as a switch: the job goes back
/// into the loop's queue: 73 queued jobs per proxied request (a uprobe on
/// `swift_task_enqueueGlobal`), 2 with this hook. Here jobs run as the generic executor's,
/// as they do on Swift's own pool, so those hops cost a comparison; only real suspensions
/// are queued.
enum ConcurrencyOnEventLoops {
    /// `swift_task_enqueueGlobal_hook`'s type: the job, and the original enqueue function.
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// The generic executor's reference: both words zero, as the runtime defines it.
    /// (`UnownedSerialExecutor` has no public way to name it.)
    static let generic = unsafeBitCast((0, 0), to: UnownedSerialExecutor.self)

    /// Installs the hook. Call once, first thing in `main`, before any task is made;
    /// returns false (and leaves Swift's own executor) when the hook cannot be found.
    @discardableResult
    static func install() -> Bool {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "swift_task_enqueueGlobal_hook") else { return false }
        let slot = symbol.assumingMemoryBound(to: EnqueueGlobalHook?.self)
        guard slot.pointee == nil else { return false }
        _ = generic  // made before the first job runs
        slot.pointee = { job, _ in
            // `any()` keeps to the current loop when called on one: no thread switch.
            MultiThreadedEventLoopGroup.singleton.any().execute {
                job.runSynchronously(on: ConcurrencyOnEventLoops.generic)
            }
        }
        return true
        #else
        return false
        #endif
    }
}
