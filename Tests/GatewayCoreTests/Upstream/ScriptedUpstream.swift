#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A raw TCP server on loopback that plays an upstream: it reads each HTTP request (head
/// and `Content-Length` body) and answers with the bytes its script gives, so tests can
/// shape answers the gateway's client must cope with (split, cut short, never sent,
/// followed by a close). It counts the connections it accepted and the requests it read.
final class ScriptedUpstream: Sendable {
    /// What to do with one request: the `index` of the request on its connection (from 0)
    /// and its text; the answer is a list of steps.
    typealias Script = @Sendable (_ index: Int, _ request: String) -> [Step]

    enum Step: Sendable {
        /// Write these bytes (and flush).
        case write(String)
        /// Wait before the next step.
        case pause(TimeAmount)
        /// Wait until the test opens the gate.
        case gate
        /// Close the connection.
        case close
    }

    /// What the server has seen so far.
    struct Counts: Sendable {
        /// Connections accepted.
        var connections = 0
        /// Requests read.
        var requests = 0
        /// Connections closed, by either side.
        var closed = 0
    }

    /// The counts, and the tests waiting for them to reach some value: each change wakes
    /// the waiters it satisfies, so a test waits for an event, not for a guessed time.
    private final class Counter: Sendable {
        typealias Waiter = (condition: @Sendable (Counts) -> Bool, continuation: CheckedContinuation<Void, Never>)
        private let state = Mutex<(counts: Counts, waiters: [Waiter])>((Counts(), []))

        var counts: Counts { state.withLock { $0.counts } }

        func update(_ change: (inout Counts) -> Void) {
            let satisfied = state.withLock { state -> [Waiter] in
                change(&state.counts)
                let counts = state.counts
                let satisfied = state.waiters.filter { $0.condition(counts) }
                state.waiters.removeAll { $0.condition(counts) }
                return satisfied
            }
            for waiter in satisfied { waiter.continuation.resume() }
        }

        func wait(until condition: @escaping @Sendable (Counts) -> Bool) async {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if condition(state.counts) { return true }
                    state.waiters.append((condition, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    let port: Int
    private let channel: any Channel
    private let counter: Counter
    private let gates: Gates

    /// Starts a server; `tls` makes it speak TLS with that certificate and key.
    static func start(tls: (certificate: String, key: String)? = nil, script: @escaping Script) async throws
        -> ScriptedUpstream
    {
        let counter = Counter()
        let gates = Gates()
        let sslContext = try tls.map { tls in
            try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(tls.certificate.utf8), format: .pem))],
                    privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(tls.key.utf8), format: .pem))))
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counter.update { $0.connections += 1 }
                channel.closeFuture.whenComplete { _ in counter.update { $0.closed += 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    if let sslContext { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try channel.pipeline.syncOperations.addHandler(
                        RequestReader(script: script, gates: gates, counted: { counter.update { $0.requests += 1 } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedUpstream(channel: channel, counter: counter, gates: gates)
    }

    private init(channel: any Channel, counter: Counter, gates: Gates) {
        self.channel = channel
        self.port = channel.localAddress!.port!
        self.counter = counter
        self.gates = gates
    }

    var connections: Int { counter.counts.connections }
    var requests: Int { counter.counts.requests }
    var closedConnections: Int { counter.counts.closed }

    /// Returns once the counts satisfy `condition` (a suite's time limit bounds the wait).
    func wait(until condition: @escaping @Sendable (Counts) -> Bool) async {
        await counter.wait(until: condition)
    }

    /// Lets every answer waiting at a `.gate` go on.
    func openGate() { gates.open() }

    func stop() async throws { try await channel.close() }

    /// Answers waiting at a gate.
    final class Gates: Sendable {
        private let state = Mutex<(open: Bool, waiting: [@Sendable () -> Void])>((false, []))

        func whenOpen(_ action: @escaping @Sendable () -> Void) {
            let now = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiting.append(action)
                return false
            }
            if now { action() }
        }

        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for action in waiting { action() }
        }
    }
}

/// Reads requests off one connection and plays the script's answer to each.
private final class RequestReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let script: ScriptedUpstream.Script
    let gates: ScriptedUpstream.Gates
    let counted: () -> Void
    private var received = ""
    private var index = 0

    init(script: @escaping ScriptedUpstream.Script, gates: ScriptedUpstream.Gates, counted: @escaping () -> Void) {
        self.script = script
        self.gates = gates
        self.counted = counted
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        while let headEnd = received.range(of: "\r\n\r\n") {
            let head = received[..<headEnd.lowerBound]
            let length =
                head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let bodyStart = received.distance(from: received.startIndex, to: headEnd.upperBound)
            guard received.utf8.count >= bodyStart + length else { return }
            let request = String(received.prefix(bodyStart + length))
            received = String(received.dropFirst(bodyStart + length))
            counted()
            play(script(index, request)[...], context: context)
            index += 1
        }
    }

    private func play(_ steps: ArraySlice<ScriptedUpstream.Step>, context: ChannelHandlerContext) {
        guard let step = steps.first else { return }
        let rest = steps.dropFirst()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        switch step {
        case .write(let text):
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
            play(rest, context: context)
        case .pause(let time):
            context.eventLoop.scheduleTask(in: time) { bound.value.0.play(rest, context: bound.value.1) }
        case .gate:
            let loop = context.eventLoop
            gates.whenOpen { loop.execute { bound.value.0.play(rest, context: bound.value.1) } }
        case .close:
            context.close(promise: nil)
        }
    }
}

/// A loopback TCP port that is bound and never listened on: connecting to it is refused for
/// as long as it is held, and nothing else can bind it meanwhile.
struct BoundPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard descriptor >= 0, bound == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
