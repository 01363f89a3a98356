import Synchronization
import Testing

@testable import GatewayCore

/// Work preferring a dedicated-thread executor runs on its thread, across awaits and in
/// child tasks, and all of it completes.
/// One for the suite: its thread lives as long as the process.
private let testExecutor = DedicatedThreadExecutor(name: "aigw-test-executor")

@Suite("Dedicated thread executor: work preferring it runs on its thread")
struct DedicatedThreadExecutorTests {
    final class Counter: Sendable {
        let value = Mutex(0)
    }

    @Test("a task, its awaits and its child tasks all run on the executor's thread")
    func runsOnItsThread() async {
        let executor = testExecutor
        let onThread = await withTaskExecutorPreference(executor) {
            var seen = [executor.isCurrent]
            await Task.yield()
            seen.append(executor.isCurrent)
            let children = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { executor.isCurrent } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            return seen + children
        }
        #expect(onThread == Array(repeating: true, count: 10))
        #expect(!executor.isCurrent, "the caller's own code is not moved")
    }

    @Test("many tasks enqueued at once all complete, each exactly once")
    func manyJobs() async {
        let executor = testExecutor
        let count = Counter()
        await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<1000 { group.addTask { count.value.withLock { $0 += 1 } } }
            }
        }
        #expect(count.value.withLock { $0 } == 1000)
    }
}
