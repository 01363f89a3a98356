import GatewayCore
import GatewayStore
import Hummingbird

/// `GET /healthz`: the process is up. `GET /readyz`: the database answers too (within 2 s),
/// and how many logs wait for it.
struct HealthRoutes: Sendable {
    let store: any LogStore
    let writer: LogWriter

    func register(on router: Router<GatewayRequestContext>) {
        router.get("/healthz") { _, _ in
            Self.json(.ok, #"{"status":"ok"}"#)
        }
        router.get("/readyz") { _, _ in
            let queued = writer.pending
            do {
                try await withTimeout(.seconds(2)) { try await store.ping() }
                return Self.json(.ok, #"{"status":"ready","database":"ok","logs_queued":\#(queued)}"#)
            } catch {
                return Self.json(
                    .serviceUnavailable, #"{"status":"not ready","database":"unreachable","logs_queued":\#(queued)}"#)
            }
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
