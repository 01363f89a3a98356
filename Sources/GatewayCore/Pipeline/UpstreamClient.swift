import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// The one HTTP client every upstream call goes through: a shared, keep-alive connection
/// pool sized for the load (AsyncHTTPClient's default of 8 per host throttles a proxy),
/// TLS, HTTP/2 where the upstream offers it, no redirects followed, no decompression.
public final class UpstreamClient: Sendable {
    let http: HTTPClient

    /// A client allowing `connectionsPerHost` HTTP/1 connections to each upstream.
    public init(connectionsPerHost: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .automatic
        configuration.timeout = .init(connect: .seconds(10), read: nil)
        // No tracing spans per request (AHC otherwise builds one for the global tracer).
        configuration.tracing.tracer = nil
        // A refused connection fails the attempt at once (a 502 the retry policy can act
        // on) instead of being retried inside the client until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends a request, waiting at most `timeout` for the response head; the body then
    /// streams for as long as the upstream keeps it coming.
    func send(_ request: HTTPClientRequest, timeout: Duration) async throws(UpstreamFailure) -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: .nanoseconds(timeout.wholeNanoseconds))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw .timedOut
        } catch is CancellationError {
            throw .cancelled
        } catch let error as HTTPClientError where error == .cancelled {
            throw .cancelled
        } catch {
            throw .unreachable(Self.describe(error))
        }
    }

    /// Closes every pooled connection.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// A short reason that names no secret (errors may quote URLs, never headers).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .connectTimeout: return "connection timed out"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "the provider closed the connection"
        default: return String(describing: error)
        }
    }
}

/// Why an upstream call produced no response.
enum UpstreamFailure: Error {
    case timedOut
    case unreachable(String)
    case cancelled
}
