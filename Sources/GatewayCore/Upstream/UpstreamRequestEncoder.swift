import NIOCore
import NIOHTTP1

/// Writes an upstream request, head and body, as one buffer in one write when its end
/// comes.
///
/// It stands where NIO's `HTTPRequestEncoder` would, and does less: the connection's
/// handler always sends a whole request (head, at most one body part, end) and frames the
/// body itself with `Content-Length`, so there is no chunked framing. NIO's encoder passed
/// three writes down the pipeline per request; its work showed at 2% of the proxy's CPU.
///
/// It is also the last guard of the wire: a head whose method, target or headers hold a
/// byte HTTP/1.1 does not allow there (a space or control in the target, CR, LF or NUL in a
/// value, anything outside a token in a name or method) is refused, its write failed, and
/// nothing of it is sent. So no route, present or future, can split an upstream request,
/// whatever it forgot to check.
final class UpstreamRequestEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer

    /// The request so far, written at its end.
    private var pending: ByteBuffer?
    /// Promises of the head and body writes, completed with the end's.
    private var promises: [EventLoopPromise<Void>] = []
    /// Why the request under way was refused: its body and end writes fail with it too.
    private var refusal: ForbiddenBytes?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            var buffer = context.channel.allocator.buffer(capacity: 256)
            do {
                try Self.encode(head, into: &buffer)
            } catch {
                pending = nil
                refusal = error
                promise?.fail(error)
                return
            }
            pending = buffer
            if let promise { promises.append(promise) }
        case .body(let body):
            guard pending != nil else {
                promise?.fail(refusal ?? ChannelError.inappropriateOperationForState)
                return
            }
            switch body {
            case .byteBuffer(var bytes): pending!.writeBuffer(&bytes)
            case .fileRegion:
                promise?.fail(ChannelError.operationUnsupported)
                return
            }
            if let promise { promises.append(promise) }
        case .end:
            guard let request = pending else {
                promise?.fail(refusal ?? ChannelError.inappropriateOperationForState)
                refusal = nil
                return
            }
            pending = nil
            let earlier = promises
            promises = []
            let written = promise ?? (earlier.isEmpty ? nil : context.eventLoop.makePromise())
            if let written {
                for other in earlier { written.futureResult.cascade(to: other) }
            }
            context.write(wrapOutboundOut(request), promise: written)
        }
    }

    /// `METHOD target HTTP/1.1`, then each header, then the blank line; refused, with
    /// nothing written, when ``problem(in:)`` finds a forbidden byte.
    static func encode(_ head: HTTPRequestHead, into buffer: inout ByteBuffer) throws(ForbiddenBytes) {
        if let problem = problem(in: head) { throw problem }
        buffer.writeString(head.method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.uri)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in head.headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Where a request head breaks HTTP/1.1's grammar (RFC 9112 section 3, RFC 9110 section 5),
    /// or nil: the method and header names must be tokens, the target visible ASCII (no
    /// space, control or byte over 0x7E), and header values free of controls but tab.
    static func problem(in head: HTTPRequestHead) -> ForbiddenBytes? {
        if head.method.rawValue.isEmpty || !head.method.rawValue.utf8.allSatisfy(isTokenByte) {
            return ForbiddenBytes(place: "the method")
        }
        if head.uri.isEmpty || !head.uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return ForbiddenBytes(place: "the request target")
        }
        for (name, value) in head.headers {
            if name.isEmpty || !name.utf8.allSatisfy(isTokenByte) { return ForbiddenBytes(place: "a header name") }
            if !value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) {
                return ForbiddenBytes(place: "the value of header '\(name)'")
            }
        }
        return nil
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// A request head the encoder refused to write, and which part of it held the byte.
    struct ForbiddenBytes: Error, Equatable, CustomStringConvertible {
        /// `the request target`, `the value of header 'x-api-key'`, ...
        var place: String
        var description: String { "\(place) holds a byte HTTP does not allow there; nothing was sent" }
    }
}
