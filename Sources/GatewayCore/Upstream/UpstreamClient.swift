#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL

/// The one HTTP client every upstream call goes through: keep-alive HTTP/1.1 connections,
/// pooled per upstream and per event loop, TLS with the system's trust roots (or those
/// given), no redirects followed, no decompression.
///
/// Why not a general-purpose client: the gateway relays one request and one answer per
/// call and needs nothing else (no redirects, cookies, proxies or decompression). Sending
/// the request in one write, handing over a small answer whole, and keeping each request
/// on its client's event loop took the proxied request from 17 system calls on three
/// threads to 6 on one (Benchmarks/results/2026-11-30-*: throughput against nginx from
/// 0.35 to 0.49, with the other changes of that day). AsyncHTTPClient stays for the
/// client library (`AIGateway`), where generality is what is wanted.
public final class UpstreamClient: Sendable {
    let pool: UpstreamConnectionPool

    /// A client allowing `connectionsPerHost` connections to each upstream, keeping at most
    /// `idleConnectionsPerHost` of them while unused, each closed after `idleTimeout` unused.
    /// `trustRoots` replaces the system's certificate authorities (tests use their own).
    public init(
        connectionsPerHost: Int, idleConnectionsPerHost: Int = 256, idleTimeout: TimeAmount = .seconds(60),
        trustRoots: NIOSSLTrustRoots = .default
    ) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = trustRoots
        tls.applicationProtocols = ["http/1.1"]
        pool = UpstreamConnectionPool(
            group: MultiThreadedEventLoopGroup.singleton, limitPerHost: connectionsPerHost,
            idleLimitPerHost: idleConnectionsPerHost, connectTimeout: .seconds(10), idleTimeout: idleTimeout,
            tls: try NIOSSLContext(configuration: tls))
    }

    /// Sends a request, waiting at most `timeout` for the response head (connecting
    /// included); the body then streams for as long as the upstream keeps it coming.
    func send(_ request: UpstreamRequest, timeout: Duration) async throws(UpstreamFailure) -> UpstreamResponse {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.wholeNanoseconds))
        // An idle connection can reach its idle time just as it is handed out; the request was
        // not sent on it, so it goes on another.
        for _ in 1..<3 {
            let connection = try await pool.connection(to: request.url.endpoint, deadline: deadline)
            do {
                return try await connection.execute(request, deadline: deadline)
            } catch .closedBeforeSending {
                continue
            }
        }
        let connection = try await pool.connection(to: request.url.endpoint, deadline: deadline)
        return try await connection.execute(request, deadline: deadline)
    }

    /// Closes every idle connection; those in use close when their answer ends.
    public func shutdown() async throws {
        pool.shutdown()
    }
}

/// Why an upstream call produced no response, or its body broke off.
enum UpstreamFailure: Error, Equatable, CustomStringConvertible {
    case timedOut
    case unreachable(String)
    case cancelled

    /// A connection that had closed itself (at its idle time, or after an answer that said
    /// so) when a request came to it: the request was not sent.
    static let closedBeforeSending = UpstreamFailure.unreachable("the connection was closed before the request was sent")

    var description: String {
        switch self {
        case .timedOut: "no answer in time"
        case .unreachable(let reason): reason
        case .cancelled: "cancelled"
        }
    }

    /// A short reason that names no secret (errors may quote addresses, never headers).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as UpstreamFailure: return failure.description
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return describe(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "could not resolve \(error.host)" }
            return "could not connect to \(error.host):\(error.port)"
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return "connection timed out"
            case .ioOnClosedChannel, .eof, .outputClosed, .alreadyClosed: return "the provider closed the connection"
            default: return String(describing: error)
            }
        case let error as IOError where error.errnoCode == ECONNREFUSED: return "connection refused"
        case let error as IOError where error.errnoCode == ECONNRESET: return "the provider reset the connection"
        default: return String(describing: error)
        }
    }
}
