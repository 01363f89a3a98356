import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird
import NIOCore

/// The management REST API (SPEC section 6) under
/// `/client/v4/accounts/{account_id}/ai-gateway`, in Cloudflare's v4 envelope, behind
/// ``AdminAccess``:
///
/// | route | what |
/// | --- | --- |
/// | `GET/POST /gateways`, `GET/PUT/DELETE /gateways/{id}` | ``GatewayEndpoints`` |
/// | `GET/DELETE /gateways/{id}/logs`, `GET/PATCH /gateways/{id}/logs/{log_id}`, `.../request`, `.../response` | ``LogEndpoints`` |
/// | `GET /gateways/{id}/url/{provider}` (and `/url` for the gateway's base URL) | ``LogEndpoints`` |
/// | `GET /gateways/{id}/analytics`, `GET /analytics` (every gateway) | ``AnalyticsEndpoints`` |
/// | `GET/POST /gateways/{id}/datasets`, `GET/PUT/DELETE .../datasets/{id}`, the same for `evaluations` (no PUT), `GET /evaluation-types` | ``DatasetEndpoints`` |
/// | `GET/POST /gateways/{id}/tokens`, `DELETE /gateways/{id}/tokens/{token_id}` | ``CredentialEndpoints`` |
/// | `GET/POST /gateways/{id}/provider_configs`, `DELETE .../provider_configs/{id}` | ``CredentialEndpoints`` |
struct ManagementAPI: Sendable {
    let configuration: GatewayConfiguration
    let gateways: GatewayEndpoints
    let logs: LogEndpoints
    let credentials: CredentialEndpoints
    let analytics: AnalyticsEndpoints
    let datasets: DatasetEndpoints
    let customProviders: CustomProviderEndpoints
    let routes: RouteEndpoints

    static let root = "/client/v4/accounts/:account/ai-gateway"

    func register(on router: Router<GatewayRequestContext>) {
        let api = router.group(RouterPath(Self.root)).add(middleware: AdminAccess(adminToken: configuration.adminToken))
        let account = configuration.accountID
        func route(
            _ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, GatewayRequestContext) async throws -> Response
        ) {
            api.on(RouterPath(path), method: method) { request, context in
                await Self.answer {
                    guard context.parameters.get("account") == account else {
                        throw ManagementError.notFound("account '\(context.parameters.get("account") ?? "")' is not served here (this gateway serves account '\(account)')")
                    }
                    return try await handler(request, context)
                }
            }
        }
        route(.get, "gateways", gateways.list)
        route(.post, "gateways", gateways.create)
        route(.get, "gateways/:gateway", gateways.get)
        route(.put, "gateways/:gateway", gateways.update)
        route(.delete, "gateways/:gateway", gateways.delete)
        route(.get, "gateways/:gateway/spend", gateways.spend)
        route(.get, "gateways/:gateway/logs", logs.list)
        route(.delete, "gateways/:gateway/logs", logs.delete)
        route(.get, "gateways/:gateway/logs/:log", logs.get)
        route(.patch, "gateways/:gateway/logs/:log", logs.patch)
        route(.get, "gateways/:gateway/logs/:log/request", logs.requestBody)
        route(.get, "gateways/:gateway/logs/:log/response", logs.responseBody)
        route(.get, "gateways/:gateway/analytics", analytics.gateway)
        route(.get, "analytics", analytics.all)
        route(.get, "gateways/:gateway/datasets", datasets.listDatasets)
        route(.post, "gateways/:gateway/datasets", datasets.createDataset)
        route(.get, "gateways/:gateway/datasets/:dataset", datasets.getDataset)
        route(.put, "gateways/:gateway/datasets/:dataset", datasets.updateDataset)
        route(.delete, "gateways/:gateway/datasets/:dataset", datasets.deleteDataset)
        route(.get, "gateways/:gateway/evaluations", datasets.listEvaluations)
        route(.post, "gateways/:gateway/evaluations", datasets.createEvaluation)
        route(.get, "gateways/:gateway/evaluations/:evaluation", datasets.getEvaluation)
        route(.delete, "gateways/:gateway/evaluations/:evaluation", datasets.deleteEvaluation)
        route(.get, "evaluation-types", datasets.listEvaluationTypes)
        route(.get, "gateways/:gateway/url", logs.baseURL)
        route(.get, "gateways/:gateway/url/:provider", logs.providerURL)
        route(.get, "gateways/:gateway/routes", routes.list)
        route(.post, "gateways/:gateway/routes", routes.create)
        route(.get, "gateways/:gateway/routes/:route", routes.get)
        route(.patch, "gateways/:gateway/routes/:route", routes.rename)
        route(.delete, "gateways/:gateway/routes/:route", routes.delete)
        route(.get, "gateways/:gateway/routes/:route/versions", routes.listVersions)
        route(.post, "gateways/:gateway/routes/:route/versions", routes.createVersion)
        route(.get, "gateways/:gateway/routes/:route/versions/:version", routes.getVersion)
        route(.get, "gateways/:gateway/routes/:route/deployments", routes.listDeployments)
        route(.post, "gateways/:gateway/routes/:route/deployments", routes.deploy)
        route(.get, "custom-providers", customProviders.list)
        route(.post, "custom-providers", customProviders.create)
        route(.get, "custom-providers/:provider", customProviders.get)
        route(.put, "custom-providers/:provider", customProviders.update)
        route(.delete, "custom-providers/:provider", customProviders.delete)
        route(.get, "gateways/:gateway/tokens", credentials.listTokens)
        route(.post, "gateways/:gateway/tokens", credentials.createToken)
        route(.delete, "gateways/:gateway/tokens/:token", credentials.revokeToken)
        route(.get, "gateways/:gateway/provider_configs", credentials.listProviderKeys)
        route(.post, "gateways/:gateway/provider_configs", credentials.createProviderKey)
        route(.delete, "gateways/:gateway/provider_configs/:config", credentials.deleteProviderKey)

        // Anything else under /client/v4 is a 404 in the envelope, not Hummingbird's empty one.
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/client/v4/**", method: method) { request, _ in
                V4Response.failure(.notFound("no management API route \(request.method) \(request.uri.path)"))
            }
        }
    }

    /// Runs a handler, turning what it throws into a v4 failure.
    static func answer(_ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch let error as ManagementError {
            return V4Response.failure(error)
        } catch let error as GatewayError {
            return V4Response.failure(ManagementError(code: error.code, httpStatus: error.httpStatus, message: error.message))
        } catch {
            // The cause (a database's own error text, say) goes to the process log only.
            let concealed = GatewayError.concealing(error)
            return V4Response.failure(ManagementError(code: 1000, httpStatus: 500, message: concealed.message))
        }
    }

    /// The request body, at most 1 MiB.
    static func body(_ request: Request) async throws -> Data {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > 1 << 20 {
            throw ManagementError(code: 1001, httpStatus: 413, message: "body: larger than 1 MiB")
        }
        do {
            return Data(buffer: try await request.body.collect(upTo: 1 << 20))
        } catch is NIOTooManyBytesError {
            throw ManagementError(code: 1001, httpStatus: 413, message: "body: larger than 1 MiB")
        }
    }
}

extension Parameters {
    /// A path parameter the route guarantees is there.
    func required(_ name: String) -> String { get(name) ?? "" }
}
