import AIGateway
import Foundation

/// An exporter's credentials in clear: what the span exporter sends, and what the management
/// API seals before the store sees it.
public struct OTelExporterSecrets: Sendable, Equatable, Codable {
    /// The `Authorization` header's value, if any.
    public var authorization: String?
    /// Extra headers, lowercase names to values.
    public var headers: [String: String]

    /// Secrets with these values.
    public init(authorization: String?, headers: [String: String]) {
        self.authorization = authorization
        self.headers = headers
    }

    /// What a sealed box is bound to: the gateway, so a box cannot be moved to another one.
    static func context(gatewayID: String) -> Data { Data("aigw otel exporter \(gatewayID)".utf8) }

    /// Seals these secrets for `gatewayID`'s exporters.
    func sealed(gatewayID: String, cipher: ProviderKeyCipher) throws -> Data {
        let json = try JSONEncoder().encode(self)
        return try cipher.seal(String(decoding: json, as: UTF8.self), context: Self.context(gatewayID: gatewayID))
    }

    /// The secrets of `exporter`: opened from its sealed box, or, for an exporter of the
    /// configuration file (nothing sealed), its values as written there.
    public static func of(_ exporter: OTelExporter, gatewayID: String, cipher: ProviderKeyCipher?) throws -> OTelExporterSecrets {
        guard let sealed = exporter.sealedSecrets else {
            return OTelExporterSecrets(authorization: exporter.authorization, headers: exporter.headers)
        }
        guard let cipher else { throw ConfigurationError("the exporter's headers are sealed: the master key is needed to send them") }
        let json = try cipher.open(sealed, context: context(gatewayID: gatewayID))
        return try JSONDecoder().decode(OTelExporterSecrets.self, from: Data(json.utf8))
    }
}
