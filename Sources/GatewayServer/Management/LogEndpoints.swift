import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// `/gateways/{id}/logs...` and `/gateways/{id}/url...`.
///
/// Reads are read-your-writes: a log id the gateway has just returned in `cf-aig-log-id`
/// may still be in the writer's queue, so a miss (and every list or delete) first waits
/// for the writer to flush what it has accepted.
struct LogEndpoints: Sendable {
    let directory: GatewayDirectory
    let store: any LogStore
    let writer: LogWriter
    let providers: ProviderTable
    let configuration: GatewayConfiguration
    /// The URL clients reach the gateway at (the configured one, or the bound address).
    let publicURL: @Sendable () -> String

    /// `GET /gateways/{id}/logs` with paging, ordering, search and filters.
    func list(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existingGateway(context)
        let query = try LogQueryParser.query(QueryParameters(request.uri.query))
        await writer.flush()
        let page = try await store.logs(gatewayID: gateway, query: query)
        return V4Response.ok(
            page.logs,
            info: .init(page: query.page, perPage: query.perPage, count: page.logs.count, totalCount: page.totalCount))
    }

    /// `DELETE /gateways/{id}/logs` with `filters`, `limit`, `order_by`, `order_by_direction`.
    func delete(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existingGateway(context)
        let deletion = try LogQueryParser.deletion(QueryParameters(request.uri.query))
        await writer.flush()
        let deleted = try await store.deleteLogs(gatewayID: gateway, deletion: deletion)
        return V4Response.ok(["deleted": deleted])
    }

    /// `GET /gateways/{id}/logs/{log_id}`.
    func get(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try await existingLog(context))
    }

    /// `PATCH /gateways/{id}/logs/{log_id}` with any of `feedback`, `score`, `metadata`.
    func patch(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existingGateway(context)
        let id = context.parameters.required("log")
        let patch = try LogPatchParser.parse(try await ManagementAPI.body(request))
        if let log = try await store.patchLog(id: id, gatewayID: gateway, patch: patch) {
            return V4Response.ok(log)
        }
        await writer.flush()
        guard let log = try await store.patchLog(id: id, gatewayID: gateway, patch: patch) else {
            throw ManagementError.notFound("log '\(id)' not found in gateway '\(gateway)'")
        }
        return V4Response.ok(log)
    }

    /// `GET /gateways/{id}/logs/{log_id}/request`: the stored request body, as it was sent.
    func requestBody(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let log = try await existingLog(context)
        guard let body = try await store.bodies(of: log).request else {
            throw ManagementError.notFound("log '\(log.id)' has no stored request body")
        }
        return Self.raw(body, contentType: log.requestContentType)
    }

    /// `GET /gateways/{id}/logs/{log_id}/response`: the stored response body, as it was relayed.
    func responseBody(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let log = try await existingLog(context)
        guard let body = try await store.bodies(of: log).response else {
            throw ManagementError.notFound("log '\(log.id)' has no stored response body")
        }
        return Self.raw(body, contentType: log.responseContentType)
    }

    /// `GET /gateways/{id}/url`: the gateway's base URL, `{public_url}/v1/{account}/{gateway}/`.
    func baseURL(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try gatewayBase(context) + "/")
    }

    /// `GET /gateways/{id}/url/{provider}`: what the binding's `getUrl(provider)` returns.
    func providerURL(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let base = try gatewayBase(context)
        let provider = context.parameters.required("provider")
        do {
            _ = try providers.provider(provider)
        } catch {
            throw ManagementError.badInput("provider", "'\(provider)' is not a provider this gateway serves")
        }
        return V4Response.ok(base + "/" + provider)
    }

    // MARK: - Lookups

    private func gatewayBase(_ context: GatewayRequestContext) throws -> String {
        let id = context.parameters.required("gateway")
        do {
            try GatewayDirectory.validate(id: id)
        } catch let error as GatewayError {
            throw ManagementError.badInput("gateway", error.message)
        }
        // A gateway that does not exist yet is fine when it will be created on first use.
        guard directory.settings(id) != nil || directory.createsOnFirstUse else {
            throw ManagementError.notFound("gateway '\(id)' not found")
        }
        return "\(publicURL())/v1/\(configuration.accountID)/\(id)"
    }

    private func existingGateway(_ context: GatewayRequestContext) throws -> String {
        try directory.existingGatewayID(context)
    }

    private func existingLog(_ context: GatewayRequestContext) async throws -> AIGatewayLog {
        let gateway = try existingGateway(context)
        let id = context.parameters.required("log")
        if let log = try await store.log(id: id, gatewayID: gateway) { return log }
        await writer.flush()
        guard let log = try await store.log(id: id, gatewayID: gateway) else {
            throw ManagementError.notFound("log '\(id)' not found in gateway '\(gateway)'")
        }
        return log
    }

    private static func raw(_ body: [UInt8], contentType: String?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType ?? "application/octet-stream"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
