import NIOCore
import NIOPosix
import Synchronization

/// A client that sends exactly the bytes it is given, as a hostile one would: no client
/// library in between to clean a request target, add a header or finish a body.
enum RawConnection {
    /// What came back on one connection.
    struct Exchange: Sendable {
        /// Everything the server sent, as text.
        var received: String
        /// Whether the server closed the connection (false: it was still open at `within`).
        var closed: Bool

        /// The status code of the first answer, if one came.
        var status: Int? {
            guard received.hasPrefix("HTTP/1.1 "), received.count >= 12 else { return nil }
            return Int(received.dropFirst(9).prefix(3))
        }
    }

    /// Connects to the gateway on loopback, writes `bytes`, and reads until the server closes
    /// the connection or `within` has passed (an upper bound, not a synchronisation: the
    /// test waits for the close, and `within` only ends a wait for one that never comes).
    static func exchange(port: Int, sending bytes: [UInt8], within: Duration = .seconds(10)) async throws -> Exchange {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let received = Received()
        let closed = try await channel.executeThenClose { inbound, outbound in
            // The server may close first (its head deadline passing on a slow machine): then
            // the write fails, and what was read so far, and the close, are the answer.
            try? await outbound.write(ByteBuffer(bytes: bytes))
            return try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        for try await var chunk in inbound { received.bytes.withLock { _ = $0.writeBuffer(&chunk) } }
                    } catch {
                        // A reset is a close too.
                    }
                    return !Task.isCancelled
                }
                group.addTask {
                    try await Task.sleep(for: within)
                    return false
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
        }
        return Exchange(received: received.bytes.withLock { String(buffer: $0) }, closed: closed)
    }

    /// The same with a text request.
    static func exchange(port: Int, sending text: String, within: Duration = .seconds(10)) async throws -> Exchange {
        try await exchange(port: port, sending: Array(text.utf8), within: within)
    }
}

/// The bytes received so far, shared by the reading task and the caller.
private final class Received: Sendable {
    let bytes = Mutex(ByteBuffer())
}
