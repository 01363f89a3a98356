import HTTPTypes
import NIOCore

/// Writes HTTP/1.1 answers as bytes: the head, and the body framed by `Content-Length` or in
/// chunks. The gateway's server writes straight to the socket with it, without NIO's response
/// encoder and the conversion to NIO's header type before it.
///
/// Nothing it writes can split an answer: HTTP types hold only valid field names, and turn
/// CR, LF, NUL and other bytes a field value may not hold into spaces when a field is made
/// (`HTTPField(name:value:)`), as they do for a reason phrase.
enum AnswerEncoder {
    /// How an answer's body goes on the wire.
    enum Framing: Equatable {
        /// No body may follow: the answer to a HEAD request, a 1xx, 204 or 304.
        case bodiless
        /// The head gives the body's length; the body goes as it is.
        case length
        /// `Transfer-Encoding: chunked`, each part of the body a chunk, a last empty one at the end.
        case chunked
    }

    /// Writes `head` into `buffer` and says how its body goes: chunked unless the head gives a
    /// length (the encoder then adds `Transfer-Encoding: chunked`) or no body may follow.
    static func writeHead(_ head: HTTPResponse, answeringHEAD: Bool, into buffer: inout ByteBuffer) -> Framing {
        let code = head.status.code
        let framing: Framing
        if answeringHEAD || (100..<200).contains(code) || code == 204 || code == 304 {
            framing = .bodiless
        } else if head.headerFields[.contentLength] != nil {
            framing = .length
        } else {
            framing = .chunked
        }
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(code))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in head.headerFields {
            // A chunked body's framing is the encoder's: a relayed Transfer-Encoding never passes.
            if field.name == .transferEncoding { continue }
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        if framing == .chunked { buffer.writeStaticString("transfer-encoding: chunked\r\n") }
        buffer.writeStaticString("\r\n")
        return framing
    }

    /// Writes the line that goes before a part of a chunked body: its size, in hexadecimal.
    static func writeChunkSize(_ size: Int, into buffer: inout ByteBuffer) {
        buffer.writeString(String(size, radix: 16))
        buffer.writeStaticString("\r\n")
    }

    /// The bytes that go before a part of a chunked body (its size line).
    static func chunkPrefix(size: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var prefix = allocator.buffer(capacity: 18)
        writeChunkSize(size, into: &prefix)
        return prefix
    }

    /// What ends each chunk.
    static let chunkSuffix = ByteBuffer(string: "\r\n")
    /// The last, empty chunk: the end of a chunked body (no trailers).
    static let lastChunk = ByteBuffer(string: "0\r\n\r\n")
    /// What a client whose request could not be parsed is answered.
    static let badRequest = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
}
