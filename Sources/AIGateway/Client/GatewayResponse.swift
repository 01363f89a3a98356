import AsyncHTTPClient
import NIOCore

/// A raw answer from the gateway: status, headers, and the body as it streams in. What
/// ``AIGatewayHandle/run(_:)`` returns, so that the caller decides how to read it.
public struct GatewayResponse: Sendable {
    /// The HTTP status.
    public let status: Int
    /// The response headers, in order.
    public let headers: [(name: String, value: String)]
    /// The body, chunk by chunk as it arrives.
    public let body: ResponseBodyStream

    /// The first value of a header (names compare case-insensitively).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// `cf-aig-log-id`: the log of this request.
    public var logID: String? { header(GatewayHeader.logID) }

    /// `cf-aig-step`: which Universal step answered.
    public var step: Int? { header(GatewayHeader.step).flatMap(Int.init) }

    /// The whole body, at most `limit` bytes.
    public func collect(upTo limit: Int = 64 * 1024 * 1024) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.count <= limit else {
                throw AIGatewayError.invalidResponse("the body is larger than \(limit) bytes")
            }
            bytes += chunk
        }
        return bytes
    }

    /// The body read as server-sent events (for streamed answers).
    public var events: ServerSentEventStream { ServerSentEventStream(body: body) }
}

/// A response body as an `AsyncSequence` of byte chunks, in the order they arrive.
public struct ResponseBodyStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let source: HTTPClientResponse.Body

    /// Reads the chunks in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: HTTPClientResponse.Body.AsyncIterator

        public mutating func next() async throws -> [UInt8]? {
            do {
                return try await inner.next().map { Array($0.readableBytesView) }
            } catch {
                throw AIGatewayError.transport("the body stream failed: \(error)")
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: source.makeAsyncIterator())
    }
}
