import NIOCore
import NIOPosix
import Testing

@testable import GatewayCore

@Suite("EventLoopTaskExecutor")
struct EventLoopTaskExecutorTests {
    /// A nonisolated async function: without a preference it would run on Swift's own pool.
    nonisolated static func onLoop(_ loop: any EventLoop) async -> Bool { loop.inEventLoop }

    @Test("a task that prefers a loop's executor runs there: at its start, in nonisolated calls, after suspensions, in child tasks")
    func runsOnTheLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let other = group.next()
        let executor = EventLoopTaskExecutor(eventLoop: loop)
        let seen = await Task(executorPreference: executor) { () -> [Bool] in
            var seen = [loop.inEventLoop, await Self.onLoop(loop)]
            // A suspension resumed from another loop comes back to this one.
            try? await other.scheduleTask(in: .milliseconds(1)) {}.futureResult.get()
            seen.append(loop.inEventLoop)
            await Task.yield()
            seen.append(loop.inEventLoop)
            seen.append(await withTaskGroup(of: Bool.self) { children in
                children.addTask { loop.inEventLoop }
                return await children.next() ?? false
            })
            return seen
        }.value
        #expect(seen == [true, true, true, true, true])
        // Without the preference, the same code runs elsewhere: the check above can fail.
        let elsewhere = await Task { await Self.onLoop(loop) }.value
        #expect(elsewhere == false)
        try await group.shutdownGracefully()
    }
}
