import Foundation

/// One OpenTelemetry exporter of a gateway (`otel` in its settings, SPEC section 11): where
/// the gateway's spans go over OTLP/HTTP, with Cloudflare's field names.
///
/// The header values and the authorization may be credentials: the API shows them as
/// `[redacted]`, and the store keeps them only sealed with the master key
/// (``sealedSecrets``), never in clear.
public struct OTelExporter: Sendable, Hashable, Codable {
    /// The OTLP/HTTP traces endpoint, e.g. `https://collector.example/v1/traces`.
    public var url: String
    /// Extra headers sent with every export. Values are `[redacted]` once sealed.
    public var headers: [String: String]
    /// The `Authorization` header's value, `[redacted]` once sealed, or nil for none.
    public var authorization: String?
    /// `json` (the default) or `protobuf`.
    public var contentType: String?
    /// ``headers`` and ``authorization`` in clear, sealed with the master key; nil when there
    /// are none, or when the exporter comes from the configuration file (whose values are
    /// the file's own).
    public var sealedSecrets: Data?

    /// What the API shows in place of a secret.
    public static let redacted = "[redacted]"

    /// An exporter to `url`.
    public init(
        url: String, headers: [String: String] = [:], authorization: String? = nil, contentType: String? = nil,
        sealedSecrets: Data? = nil
    ) {
        self.url = url
        self.headers = headers
        self.authorization = authorization
        self.contentType = contentType
        self.sealedSecrets = sealedSecrets
    }

    /// Whether spans go as OTLP protobuf (else OTLP JSON).
    public var usesProtobuf: Bool { contentType == "protobuf" }

    enum CodingKeys: String, CodingKey {
        case url, headers, authorization
        case contentType = "content_type"
        case sealedSecrets = "sealed_secrets"
    }

    /// Writes the exporter with its secrets redacted. The sealed secrets are written only
    /// for the store (``storageKey`` in the encoder's user info).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url, forKey: .url)
        try container.encode(headers.mapValues { _ in Self.redacted }, forKey: .headers)
        try container.encodeIfPresent(authorization.map { _ in Self.redacted }, forKey: .authorization)
        try container.encodeIfPresent(contentType, forKey: .contentType)
        if encoder.userInfo[Self.storageKey] as? Bool == true {
            try container.encodeIfPresent(sealedSecrets, forKey: .sealedSecrets)
        }
    }

    /// Set to `true` in an encoder's user info when it writes settings for the store.
    public static let storageKey = CodingUserInfoKey(rawValue: "aigw.storage")!
}
