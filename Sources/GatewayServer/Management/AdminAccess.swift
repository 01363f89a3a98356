import Foundation
import GatewayCore
import Hummingbird
import NIOCore

/// Who may use the management API: with an admin token configured, requests carrying
/// `Authorization: Bearer <token>` (compared in constant time); with none, only clients on
/// the loopback interface. Anyone else gets a 401 in the v4 envelope.
struct AdminAccess: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let adminToken: String?

    func handle(
        _ request: Request, context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        if let adminToken {
            guard let presented = Self.bearerToken(request.headers[.authorization]),
                Self.constantTimeEquals(Array(presented.utf8), Array(adminToken.utf8))
            else {
                return V4Response.failure(
                    .unauthorized("Authentication error: send the admin token as 'Authorization: Bearer <token>'"))
            }
        } else if !Self.isLoopback(context.remoteAddress) {
            return V4Response.failure(
                .unauthorized(
                    "Authentication error: no admin token is configured, so the management API answers loopback clients only"
                ))
        }
        return try await next(request, context)
    }

    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Compares without returning early, so timing says nothing about how much matched.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        switch address {
        case .v4(let v4)?:
            return v4.address.sin_addr.s_addr.bigEndian >> 24 == 127
        case .v6?:
            let ip = address?.ipAddress ?? ""
            return ip == "::1" || ip.hasPrefix("::ffff:127.")
        case .unixDomainSocket?:
            return true
        case nil:
            return false
        }
    }
}
