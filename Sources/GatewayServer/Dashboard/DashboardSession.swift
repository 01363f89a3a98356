import Crypto
import Foundation
import GatewayCore

/// A signed-in dashboard session, carried by the browser in an HttpOnly, SameSite=Strict
/// cookie: `<expiry>.<nonce>.<signature>`, signed with a key derived from the admin token.
/// The token itself never reaches the browser; any process that knows the token (every
/// process of one deployment on PostgreSQL) can check a session, and changing the token ends
/// every session. Each session has its own CSRF token, derived from it, which every form that
/// changes something carries.
struct DashboardSession: Equatable {
    /// Seconds since 1970 after which the session is over.
    let expiry: Int
    /// Random, hex: what makes two sessions differ.
    let nonce: String

    /// The cookie's name.
    static let cookieName = "aigw_session"
    /// How long a session lasts.
    static let lifetime = 12 * 3600

    /// A new session, starting now.
    static func start(now: Date = Date()) -> DashboardSession {
        let random = (0..<16).map { _ in UInt8.random(in: 0...255) }
        return DashboardSession(expiry: Int(now.timeIntervalSince1970) + lifetime, nonce: random.hexString)
    }

    /// The cookie value for this session.
    func cookieValue(adminToken: String) -> String {
        "\(expiry).\(nonce).\(Self.sign("session|\(expiry)|\(nonce)", adminToken: adminToken))"
    }

    /// The session a cookie value carries, if its signature holds and it has not expired.
    static func verify(_ value: String, adminToken: String, now: Date = Date()) -> DashboardSession? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int(parts[0]), expiry > Int(now.timeIntervalSince1970) else { return nil }
        let nonce = String(parts[1])
        guard nonce.count == 32, nonce.allSatisfy(\.isHexDigit) else { return nil }
        let expected = sign("session|\(expiry)|\(nonce)", adminToken: adminToken)
        guard AdminAccess.constantTimeEquals(Array(parts[2].utf8), Array(expected.utf8)) else { return nil }
        return DashboardSession(expiry: expiry, nonce: nonce)
    }

    /// The CSRF token forms of this session carry.
    func csrfToken(adminToken: String) -> String {
        Self.sign("csrf|\(nonce)", adminToken: adminToken)
    }

    /// Whether `presented` is this session's CSRF token.
    func acceptsCSRF(_ presented: String?, adminToken: String) -> Bool {
        guard let presented else { return false }
        return AdminAccess.constantTimeEquals(Array(presented.utf8), Array(csrfToken(adminToken: adminToken).utf8))
    }

    /// HMAC-SHA256 of `message` under a key derived from the admin token (never the token itself).
    private static func sign(_ message: String, adminToken: String) -> String {
        let key = SymmetricKey(data: SHA256.hash(data: Data(("aigw dashboard|" + adminToken).utf8)))
        return Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)).hexString
    }
}
