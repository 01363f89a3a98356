import GatewayCore
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// How each accepted client connection is set up: HTTP/1 decoding and encoding with NIO's
/// pipelining and protocol-error handlers, conversion to HTTP types, the client deadlines,
/// and ``GatewayHTTPHandler`` at the end. Hummingbird's server accepts connections, caps
/// their number and shuts down gracefully; what happens on a connection is the gateway's.
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
            // First, to see the client's FIN before the pipelining handler holds it back.
            try handlers.addHandler(CloseWatcher(closure: closure))
            try handlers.configureHTTPServerPipeline(
                withPipeliningAssistance: true,  // a pipelined request waits until the answer before it ends
                withErrorHandling: true,  // a request HTTP/1 cannot parse gets a 400, and the connection closes
                withOutboundHeaderValidation: true)
            try handlers.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try handlers.addHandler(ClientDeadlineHandler(limits: deadlines, logger: self.logger))
            try handlers.addHandler(
                GatewayHTTPHandler(
                    responder: responder, executor: EventLoopTaskExecutor(eventLoop: channel.eventLoop), closure: closure,
                    maxBodyBytes: maxBodyBytes))
            return Connection(channel: channel)
        }
    }

    /// Waits for the connection to close. (Its requests are answered by its handler; a
    /// graceful shutdown closes it once the answer under way has ended.)
    func handle(value: Connection, logger: Logger) async {
        try? await value.channel.closeFuture.get()
    }
}
