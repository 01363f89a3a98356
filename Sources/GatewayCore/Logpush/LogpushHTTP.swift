import Foundation
import NIOCore
import NIOHTTP1

/// Logpush's HTTP destination: each batch is one POST of gzip NDJSON
/// (`Content-Type: application/x-ndjson`, `Content-Encoding: gzip`) with the configured
/// headers; any 2xx delivers it. A batch whose answer is lost (a crash, a timeout after the
/// endpoint took it) is sent again: the endpoint may see it twice.
public struct LogpushHTTP: Sendable {
    let url: UpstreamURL
    let headers: [String: String]
    let client: UpstreamClient
    let timeout: Duration

    /// A destination posting to `url` with `headers`.
    public init(url: String, headers: [String: String], timeout: Duration = .seconds(30)) throws {
        do {
            self.url = try UpstreamURL(url)
        } catch {
            throw LogpushError("logpush.url '\(url)' cannot be used: \(error)")
        }
        self.headers = headers
        self.client = try UpstreamClient(connectionsPerHost: 2, idleConnectionsPerHost: 1)
        self.timeout = timeout
    }

    /// Posts one batch; throws unless it is answered 2xx.
    public func deliver(_ gzipped: [UInt8], logs: Int) async throws {
        var fields = HTTPHeaders()
        fields.add(name: "content-type", value: "application/x-ndjson")
        fields.add(name: "content-encoding", value: "gzip")
        fields.add(name: "user-agent", value: "aigw/\(GatewayVersion.current)")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { fields.replaceOrAdd(name: name, value: value) }
        let request = UpstreamRequest(url: url, method: .POST, headers: fields, body: ByteBuffer(bytes: gzipped))
        let response: UpstreamResponse
        do {
            response = try await client.send(request, timeout: timeout)
        } catch {
            throw LogpushError("the endpoint cannot be reached: \(UpstreamFailure.describe(error))")
        }
        for try await _ in response.body {}
        guard (200..<300).contains(response.status) else {
            throw LogpushError("the endpoint answered HTTP \(response.status) to a batch of \(logs) logs")
        }
    }

    /// Closes the connections.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
