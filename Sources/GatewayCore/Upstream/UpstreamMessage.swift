import NIOCore
import NIOHTTP1

/// Where an upstream request goes: scheme, host and port (what a pooled connection is
/// for), and the path with its query.
struct UpstreamURL: Sendable, Equatable {
    /// The connection this URL needs: TLS or not, host and port.
    struct Endpoint: Hashable, Sendable {
        var tls: Bool
        var host: String
        var port: Int
    }

    var endpoint: Endpoint
    /// The request target: path and query, starting with `/`.
    var target: String

    /// Reads `http://host[:port]/path?query` or `https://...`; hosts may be `[IPv6]`.
    /// Refuses other schemes, user information and malformed ports.
    init(_ url: String) throws(UpstreamFailure) {
        let tls: Bool
        let rest: Substring
        // Scanned as UTF-8 bytes: the Character-based searches cost grapheme breaking, per request.
        if url.utf8.starts(with: "https://".utf8) {
            tls = true
            rest = url.dropFirst(8)
        } else if url.utf8.starts(with: "http://".utf8) {
            tls = false
            rest = url.dropFirst(7)
        } else {
            throw .unreachable("the upstream URL must start with http:// or https://")
        }
        let authorityEnd =
            rest.utf8.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") })
            ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.utf8.contains(UInt8(ascii: "@")) else {
            throw .unreachable("the upstream URL has no usable host")
        }
        var host = authority
        var port = tls ? 443 : 80
        if authority.utf8.first == UInt8(ascii: "[") {
            // [IPv6]:port
            guard let close = authority.utf8.firstIndex(of: UInt8(ascii: "]")) else { throw .unreachable("the upstream URL has a malformed host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.utf8.first == UInt8(ascii: ":"), let parsed = Int(after.dropFirst()), (1...65535).contains(parsed) else {
                    throw .unreachable("the upstream URL has a malformed port")
                }
                port = parsed
            }
        } else if let colon = authority.utf8.lastIndex(of: UInt8(ascii: ":")) {
            host = authority[..<colon]
            guard let parsed = Int(authority[authority.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw .unreachable("the upstream URL has a malformed port")
            }
            port = parsed
        }
        guard !host.isEmpty else { throw .unreachable("the upstream URL has no usable host") }
        var target = rest[authorityEnd...]
        if let fragment = target.utf8.firstIndex(of: UInt8(ascii: "#")) { target = target[..<fragment] }
        self.endpoint = Endpoint(tls: tls, host: String(host), port: port)
        self.target = target.isEmpty ? "/" : (target.utf8.first == UInt8(ascii: "/") ? String(target) : "/" + target)
    }

    /// The `Host` header's value: the port only when it is not the scheme's default.
    var hostHeader: String {
        let host = endpoint.host.utf8.contains(UInt8(ascii: ":")) ? "[\(endpoint.host)]" : endpoint.host
        return endpoint.port == (endpoint.tls ? 443 : 80) ? host : "\(host):\(endpoint.port)"
    }
}

/// One request to an upstream, ready to go on a pooled connection.
struct UpstreamRequest: Sendable {
    var url: UpstreamURL
    var method: HTTPMethod
    /// The headers to send (without `Host`, `Content-Length` and hop-by-hop headers:
    /// the connection sets those).
    var headers: HTTPHeaders
    /// The body, or nil to send none.
    var body: ByteBuffer?
}

/// An upstream's answer: status and headers, and the body as it arrives.
struct UpstreamResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: UpstreamBody
}

/// An upstream answer's body: the bytes that came with the head and, unless the whole
/// body came with it, the rest as it arrives. A body that breaks off before its end
/// throws; it never just stops.
public struct UpstreamBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    typealias Rest = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark,
        UpstreamConnection.BodyDemand
    >

    /// What arrived with the head.
    let first: ByteBuffer?
    /// What is still to come, or nil when `first` is the whole body.
    let rest: Rest?

    /// The whole body, when it arrived with the head (so it can be answered in one write).
    var whole: ByteBuffer? { rest == nil ? (first ?? ByteBuffer()) : nil }

    /// A body that is all here.
    init(whole: ByteBuffer) {
        self.first = whole
        self.rest = nil
    }

    init(first: ByteBuffer?, rest: Rest?) {
        self.first = first
        self.rest = rest
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(first: first, rest: rest?.makeAsyncIterator())
    }

    public struct Iterator: AsyncIteratorProtocol {
        var first: ByteBuffer?
        var rest: Rest.AsyncIterator?

        public mutating func next() async throws -> ByteBuffer? {
            if let first {
                self.first = nil
                if first.readableBytes > 0 { return first }
            }
            guard rest != nil else { return nil }
            // The connection finishes the sequence only at the body's end, and fails it
            // when the body breaks off, so nil here is the real end.
            return try await rest!.next()
        }
    }
}
