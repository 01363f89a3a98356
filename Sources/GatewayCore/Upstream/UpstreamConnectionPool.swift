import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Keep-alive connections to upstreams, at most `limitPerHost` to each host (requests
/// beyond it wait for a connection to come free, in order), of which at most
/// `idleLimitPerHost` are kept while unused: after a burst (a thousand streams ending at once)
/// the rest close instead of holding their buffers until the idle timeout.
///
/// Idle connections are kept per event loop, and a request takes one on the loop it runs
/// on when there is one: the request, the connection and the client's connection then
/// share one thread, with no hop between threads.
final class UpstreamConnectionPool: Sendable {
    fileprivate struct State {
        /// Idle connections by endpoint, then by event loop.
        var idle: [UpstreamURL.Endpoint: [ObjectIdentifier: [UpstreamConnection]]] = [:]
        /// Connections open or being opened, by endpoint.
        var open: [UpstreamURL.Endpoint: Int] = [:]
        /// Requests waiting for a connection, by endpoint, in arrival order.
        var waiting: [UpstreamURL.Endpoint: [Waiter]] = [:]
        var nextWaiterID = 0
        /// Waiters given an id and not yet in `waiting`, and those of them already cancelled.
        /// (A waiter cancelled after it was served is in neither, so nothing accumulates.)
        var registering: Set<Int> = []
        var cancelledWaiters: Set<Int> = []
        var shutDown = false
    }

    fileprivate struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Grant, any Error>
    }

    /// What a request may do: use an idle connection, or open a new one.
    fileprivate enum Grant {
        case use(UpstreamConnection)
        case connect
    }

    private let state = Mutex(State())
    private let group: any EventLoopGroup
    private let limitPerHost: Int
    private let idleLimitPerHost: Int
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let tls: NIOSSLContext

    /// A pool on `group`'s event loops, verifying TLS peers with `tls`.
    init(
        group: any EventLoopGroup, limitPerHost: Int, idleLimitPerHost: Int, connectTimeout: TimeAmount,
        idleTimeout: TimeAmount, tls: NIOSSLContext
    ) {
        self.group = group
        self.limitPerHost = limitPerHost
        self.idleLimitPerHost = idleLimitPerHost
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.tls = tls
    }

    /// A connection to `endpoint`: an idle one (preferably on the current event loop), a
    /// new one while under the limit, or else the next one to come free. A new connection
    /// is given until `deadline` to open.
    func connection(to endpoint: UpstreamURL.Endpoint, deadline: NIODeadline) async throws(UpstreamFailure)
        -> UpstreamConnection
    {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.any()
        let loopID = ObjectIdentifier(loop)
        while true {
            let granted: Grant? = state.withLock { state in
                if let connection = state.takeIdle(endpoint, preferring: loopID) { return .use(connection) }
                if state.open[endpoint, default: 0] < limitPerHost {
                    state.open[endpoint, default: 0] += 1
                    return .connect
                }
                return nil
            }
            let grant: Grant
            if let granted {
                grant = granted
            } else {
                do {
                    grant = try await waitForConnection(to: endpoint)
                } catch {
                    throw error as? UpstreamFailure ?? .cancelled
                }
            }
            switch grant {
            case .use(let connection):
                // One the provider closed while it sat idle is on its way out: take another.
                if connection.channel.isActive { return connection }
            case .connect:
                return try await connect(to: endpoint, on: loop, deadline: deadline)
            }
        }
    }

    private func waitForConnection(to endpoint: UpstreamURL.Endpoint) async throws -> Grant {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            state.registering.insert(state.nextWaiterID)
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refused: (any Error)? = state.withLock { state in
                    state.registering.remove(id)
                    if state.cancelledWaiters.remove(id) != nil { return CancellationError() }
                    if state.shutDown { return UpstreamFailure.unreachable("the gateway is shutting down") }
                    state.waiting[endpoint, default: []].append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let refused { continuation.resume(throwing: refused) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                if let index = state.waiting[endpoint]?.firstIndex(where: { $0.id == id }) {
                    return state.waiting[endpoint]!.remove(at: index)
                }
                if state.registering.contains(id) { state.cancelledWaiters.insert(id) }
                return nil
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Opens a connection on `loop` (its place under the limit is already taken).
    private func connect(to endpoint: UpstreamURL.Endpoint, on loop: any EventLoop, deadline: NIODeadline)
        async throws(UpstreamFailure) -> UpstreamConnection
    {
        let untilDeadline = deadline - .now()
        let timeout = untilDeadline < connectTimeout ? max(untilDeadline, .milliseconds(1)) : connectTimeout
        let tls = endpoint.tls ? self.tls : nil
        let idleTimeout = self.idleTimeout
        // Each connection's handler, kept from its channel's setup: a TLS handshake can fail,
        // and the channel close, before the handler could be looked up in the pipeline, and
        // the handler is what knows why.
        let handlers = Mutex<[ObjectIdentifier: NIOLoopBound<UpstreamConnection.Handler>]>([:])
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let tls {
                            // SNI names a host, never an address.
                            let isAddress = (try? SocketAddress(ipAddress: endpoint.host, port: 0)) != nil
                            try pipeline.addHandler(
                                NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : endpoint.host))
                        }
                        // Requests go out through the gateway's own encoder (one write each);
                        // answers are read by NIO's decoder, which learns each request's method
                        // (a HEAD answer has no body) from the head passing by.
                        try pipeline.addHandler(UpstreamRequestEncoder())
                        try pipeline.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                        let handler = UpstreamConnection.Handler(idleTimeout: idleTimeout)
                        try pipeline.addHandler(handler)
                        handlers.withLock {
                            $0[ObjectIdentifier(channel)] = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                        }
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            connectionClosed(endpoint)
            if NIODeadline.now() >= deadline { throw .timedOut }
            throw .unreachable(UpstreamFailure.describe(error))
        }
        let connection: UpstreamConnection
        do {
            guard let handler = handlers.withLock({ $0[ObjectIdentifier(channel)] }) else {
                throw UpstreamFailure.unreachable("the connection was set up without its handler")
            }
            connection = try await channel.eventLoop.submit {
                let connection = UpstreamConnection(channel: channel, endpoint: endpoint, handler: handler)
                // The handler holds its connection until the channel closes (it then lets go).
                handler.value.whenIdle { self.release(connection) }
                return connection
            }.get()
        } catch {
            channel.close(promise: nil)
            connectionClosed(endpoint)
            throw .unreachable(UpstreamFailure.describe(error))
        }
        channel.closeFuture.whenComplete { _ in self.forget(connection) }
        return connection
    }

    /// A connection that finished an exchange and may carry another: to the first waiter,
    /// or to the idle list of its event loop, or closed when the host has enough idle ones.
    private func release(_ connection: UpstreamConnection) {
        let endpoint = connection.endpoint
        let (waiter, close): (Waiter?, Bool) = state.withLock { state in
            if state.shutDown { return (nil, true) }
            if var queue = state.waiting[endpoint], !queue.isEmpty {
                let first = queue.removeFirst()
                state.waiting[endpoint] = queue
                return (first, false)
            }
            let idle = state.idle[endpoint]?.values.reduce(0) { $0 + $1.count } ?? 0
            if idle >= idleLimitPerHost { return (nil, true) }
            state.idle[endpoint, default: [:]][ObjectIdentifier(connection.channel.eventLoop), default: []].append(connection)
            return (nil, false)
        }
        if close { connection.channel.close(promise: nil) }
        waiter?.continuation.resume(returning: .use(connection))
    }

    /// A connection closed: it leaves the idle list and frees its place for a waiter.
    private func forget(_ connection: UpstreamConnection) {
        let endpoint = connection.endpoint
        let loopID = ObjectIdentifier(connection.channel.eventLoop)
        state.withLock { state in
            state.idle[endpoint]?[loopID]?.removeAll { $0 === connection }
        }
        connectionClosed(endpoint)
    }

    /// One connection to `endpoint` fewer: the first waiter may open one.
    private func connectionClosed(_ endpoint: UpstreamURL.Endpoint) {
        let waiter: Waiter? = state.withLock { state in
            state.open[endpoint, default: 1] -= 1
            guard var queue = state.waiting[endpoint], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            state.waiting[endpoint] = queue
            state.open[endpoint, default: 0] += 1
            return first
        }
        waiter?.continuation.resume(returning: .connect)
    }

    /// Connections open or being opened, to every endpoint.
    var openConnections: Int { state.withLock { $0.open.values.reduce(0, +) } }

    /// Requests waiting for a connection to come free, to every endpoint.
    var waitingRequests: Int { state.withLock { $0.waiting.values.reduce(0) { $0 + $1.count } } }

    /// Closes every idle connection and refuses waiters; connections in use close when
    /// their exchange ends.
    func shutdown() {
        let (idle, waiters) = state.withLock { state in
            state.shutDown = true
            defer {
                state.idle = [:]
                state.waiting = [:]
            }
            return (state.idle.values.flatMap { $0.values.flatMap { $0 } }, state.waiting.values.flatMap { $0 })
        }
        for connection in idle { connection.channel.close(promise: nil) }
        for waiter in waiters { waiter.continuation.resume(throwing: UpstreamFailure.unreachable("the gateway is shutting down")) }
    }
}

extension UpstreamConnectionPool.State {
    /// An idle connection to `endpoint`: the newest on `loopID` (the warmest), else any.
    fileprivate mutating func takeIdle(_ endpoint: UpstreamURL.Endpoint, preferring loopID: ObjectIdentifier)
        -> UpstreamConnection?
    {
        if let connection = idle[endpoint]?[loopID]?.popLast() { return connection }
        guard let loops = idle[endpoint]?.keys else { return nil }
        for key in Array(loops) {
            if let connection = idle[endpoint]?[key]?.popLast() { return connection }
        }
        return nil
    }
}
