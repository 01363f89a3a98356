import HTTPTypes
import NIOHTTP1
import Testing

@testable import GatewayCore

@Suite("Which headers cross the gateway")
struct ForwardedHeadersTests {
    @Test("to the upstream: credentials and provider headers pass; hop-by-hop, Host, Expect and cf-aig-* stop")
    func toUpstream() {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer sk-1"
        fields[HTTPField.Name("anthropic-version")!] = "2023-06-01"
        fields[.contentType] = "application/json"
        fields[HTTPField.Name("cf-aig-metadata")!] = "{}"
        fields[HTTPField.Name("cf-aig-authorization")!] = "Bearer gw"
        fields[HTTPField.Name("cf-skip-cache")!] = "true"
        fields[.connection] = "keep-alive, x-private"
        fields[HTTPField.Name("x-private")!] = "hop"
        fields[.transferEncoding] = "chunked"
        fields[HTTPField.Name("host")!] = "gateway.local"
        fields[.contentLength] = "12"
        fields[.acceptEncoding] = "gzip"
        fields[.expect] = "100-continue"
        let headers = ForwardedHeaders.toUpstream(fields)
        #expect(headers["authorization"] == ["Bearer sk-1"])
        #expect(headers["anthropic-version"] == ["2023-06-01"])
        #expect(headers["content-type"] == ["application/json"])
        for stopped in [
            "cf-aig-metadata", "cf-aig-authorization", "cf-skip-cache", "connection", "x-private", "transfer-encoding",
            "host", "content-length", "accept-encoding", "expect",
        ] {
            #expect(headers[stopped].isEmpty, "\(stopped) was forwarded")
        }
    }

    @Test("to the client: everything but hop-by-hop headers and Content-Length (the server sets it)")
    func toClient() {
        let headers = HTTPHeaders([
            ("Content-Type", "text/event-stream"), ("x-request-id", "r1"), ("openai-processing-ms", "12"),
            ("Transfer-Encoding", "chunked"), ("Connection", "close"), ("Content-Length", "99"),
        ])
        let fields = ForwardedHeaders.toClient(headers)
        #expect(fields[.contentType] == "text/event-stream")
        #expect(fields[HTTPField.Name("x-request-id")!] == "r1")
        #expect(fields[HTTPField.Name("openai-processing-ms")!] == "12")
        #expect(fields[.transferEncoding] == nil)
        #expect(fields[.connection] == nil)
        #expect(fields[.contentLength] == nil)
    }
}
