import GatewayStore
import Hummingbird

/// `GET /healthz`: the process is up. `GET /readyz`: the database answers too.
struct HealthRoutes: Sendable {
    let store: any LogStore

    func register(on router: Router<GatewayRequestContext>) {
        router.get("/healthz") { _, _ in
            Self.json(.ok, #"{"status":"ok"}"#)
        }
        router.get("/readyz") { _, _ in
            do {
                try await store.ping()
                return Self.json(.ok, #"{"status":"ready","database":"ok"}"#)
            } catch {
                return Self.json(.serviceUnavailable, #"{"status":"not ready","database":"unreachable"}"#)
            }
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
