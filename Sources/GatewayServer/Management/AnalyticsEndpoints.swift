import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// `GET /gateways/{id}/analytics` and `GET /analytics` (every gateway): requests, errors,
/// cached answers, tokens, cost and duration percentiles over a time range, in total, per
/// group and per bucket, computed by the store (``AnalyticsQueryParser`` reads the parameters).
struct AnalyticsEndpoints: Sendable {
    let directory: GatewayDirectory
    let store: any LogStore
    let writer: LogWriter

    /// One gateway's figures.
    func gateway(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        try await answer(request, gatewayID: try directory.existingGatewayID(context))
    }

    /// Every gateway's figures together.
    func all(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        try await answer(request, gatewayID: nil)
    }

    private func answer(_ request: Request, gatewayID: String?) async throws -> Response {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let query = try AnalyticsQueryParser.query(QueryParameters(request.uri.query), now: now)
        // What the gateway has answered is counted: the writer's queue is written first.
        await writer.flush()
        return V4Response.ok(try await store.analytics(gatewayID: gatewayID, query: query))
    }
}
