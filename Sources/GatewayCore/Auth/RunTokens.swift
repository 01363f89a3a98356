import AIGateway
import Crypto
import Foundation
import Synchronization

/// A token that may run requests through an authenticated gateway. Only its SHA-256
/// digest is kept: the token itself is shown once, when it is made.
public struct RunToken: GatewayScopedRecord, Equatable, Codable {
    /// The token's id (a ULID), used to list and revoke it.
    public var id: String
    /// The gateway it opens.
    public var gatewayID: String
    /// A name for people ("ci", "alice's laptop").
    public var name: String
    /// SHA-256 of the token, hex.
    public var digest: String
    public var createdAt: Date

    /// A token record with these fields.
    public init(id: String, gatewayID: String, name: String, digest: String, createdAt: Date) {
        self.id = id
        self.gatewayID = gatewayID
        self.name = name
        self.digest = digest
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case gatewayID = "gateway_id"
        case digest
        case createdAt = "created_at"
    }
}

/// The run tokens of every gateway: minting them, and checking the one a request brings.
public struct RunTokens: Sendable {
    /// The tokens (as digests), by gateway.
    public let records: GatewayRecords<RunToken>

    /// A directory holding `tokens`.
    public init(_ tokens: [RunToken] = []) {
        records = GatewayRecords(tokens)
    }

    /// A new token for a gateway: the secret to show once, and the record to keep.
    public static func mint(gatewayID: String, name: String, now: Date = Date()) -> (secret: String, record: RunToken) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secret = "aigw_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let record = RunToken(
            id: ULID(date: now).description, gatewayID: gatewayID, name: name, digest: digest(of: secret), createdAt: now)
        return (secret, record)
    }

    /// SHA-256 of a token, hex.
    public static func digest(of secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }

    /// Whether a `cf-aig-authorization` value (`Bearer TOKEN`) carries a live token of the
    /// gateway. Every token of the gateway is compared, each in constant time, so the time
    /// taken says nothing about how close a guess came.
    public func accepts(_ authorization: String?, gatewayID: String) -> Bool {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return false
        }
        let presented = Array(Self.digest(of: String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)).utf8)
        let candidates = records.unordered(gatewayID: gatewayID)
        var matched = false
        for candidate in candidates {
            let stored = Array(candidate.digest.utf8)
            guard stored.count == presented.count else { continue }
            var difference: UInt8 = 0
            for index in stored.indices { difference |= stored[index] ^ presented[index] }
            matched = matched || difference == 0
        }
        return matched
    }
}

extension GatewayError {
    /// 2009, HTTP 401: an authenticated gateway and no valid `cf-aig-authorization` token.
    public static func unauthorized(gatewayID: String, tokenGiven: Bool) -> GatewayError {
        GatewayError(
            code: 2009, httpStatus: 401,
            message: tokenGiven
                ? "Unauthorized: the cf-aig-authorization token is not valid for gateway '\(gatewayID)'"
                : "Unauthorized: gateway '\(gatewayID)' requires authentication; send cf-aig-authorization: Bearer <token>")
    }
}
