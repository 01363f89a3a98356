import GatewayCore
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// How each accepted client connection is set up: a watcher of the client's close (first, to
/// see a FIN at once), NIO's HTTP/1 request decoder (llhttp), and ``GatewayHTTPHandler``,
/// which does the rest. Hummingbird's server accepts connections, caps their number and
/// shuts down gracefully; what happens on a connection is the gateway's.
struct GatewayHTTPChannel: ServerChildChannel {
    /// A set-up connection.
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
    }

    let responder: GatewayResponder
    let deadlines: ClientDeadlines.Limits
    let maxBodyBytes: Int
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            let closure = ConnectionClosure()
            let handlers = channel.pipeline.syncOperations
            try handlers.addHandler(CloseWatcher(closure: closure))
            try handlers.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try handlers.addHandler(
                GatewayHTTPHandler(
                    responder: responder, executor: EventLoopTaskExecutor(eventLoop: channel.eventLoop), closure: closure,
                    maxBodyBytes: maxBodyBytes, deadlines: deadlines, logger: self.logger))
            return Connection(channel: channel)
        }
    }

    /// Waits for the connection to close. (Its requests are answered by its handler; a
    /// graceful shutdown closes it once the answer under way has ended.)
    func handle(value: Connection, logger: Logger) async {
        try? await value.channel.closeFuture.get()
    }
}
