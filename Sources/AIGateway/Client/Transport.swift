import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends the binding's HTTP requests with AsyncHTTPClient and reads error answers into
/// ``AIGatewayError``.
struct Transport: Sendable {
    let client: HTTPClient
    let timeout: Duration

    /// Sends a request and returns the answer with its body unread, whatever its status.
    func send(method: HTTPMethod, url: String, headers: [(String, String)], body: Data?) async throws
        -> GatewayResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            if !request.headers.contains(name: "content-type") {
                request.headers.add(name: "content-type", value: "application/json")
            }
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: TimeAmount(timeout))
        } catch {
            throw AIGatewayError.transport("\(method.rawValue) \(url): \(error)")
        }
        return GatewayResponse(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: ResponseBodyStream(source: response.body))
    }

    /// Sends a request and returns its whole body, or throws the error a non-2xx answer holds.
    func sendExpectingSuccess(
        method: HTTPMethod, url: String, headers: [(String, String)], body: Data? = nil,
        notFound: (String) -> AIGatewayError
    ) async throws -> (response: GatewayResponse, body: [UInt8]) {
        let response = try await send(method: method, url: url, headers: headers, body: body)
        let bytes = try await response.collect()
        guard (200..<300).contains(response.status) else {
            throw AIGatewayError.from(
                status: response.status, headers: response.headers, body: bytes, management: true, notFound: notFound)
        }
        return (response, bytes)
    }

    /// Reads the `result` of a v4 envelope as `T`.
    static func result<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        do {
            return try WireFormat.decoder().decode(V4Result<T>.self, from: Data(body)).result
        } catch {
            throw AIGatewayError.invalidResponse("expected a v4 envelope with a \(T.self) result: \(error)")
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The part of a v4 envelope the binding reads.
private struct V4Result<T: Decodable>: Decodable {
    var result: T
}

extension String {
    /// This text as one URL path segment (`/`, `?`, `#`, `%` and spaces escaped).
    var pathSegment: String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return addingPercentEncoding(withAllowedCharacters: allowed) ?? self
    }
}
