import AIGateway
import Crypto
import Foundation

/// A provider key stored for a gateway (BYOK), sealed: the secret exists in clear only in
/// the request that uses it. Never returned by the API, never logged.
public struct StoredProviderKey: GatewayScopedRecord, Equatable {
    /// The key's id (a ULID).
    public var id: String
    public var gatewayID: String
    /// The name requests pick it by (`cf-aig-byok-alias`); `default` when they name none.
    public var alias: String
    /// The provider it is for.
    public var providerSlug: String
    /// AES-GCM sealed box (nonce, ciphertext, tag) of the secret, bound to gateway, provider and alias.
    public var sealed: Data
    /// Cloudflare's `default_config` flag, kept as given.
    public var defaultConfig: Bool
    public var createdAt: Date

    /// A stored key with these fields.
    public init(
        id: String, gatewayID: String, alias: String, providerSlug: String, sealed: Data, defaultConfig: Bool,
        createdAt: Date
    ) {
        self.id = id
        self.gatewayID = gatewayID
        self.alias = alias
        self.providerSlug = providerSlug
        self.sealed = sealed
        self.defaultConfig = defaultConfig
        self.createdAt = createdAt
    }

    /// What the sealed box is bound to: moved to another gateway, provider or alias, it does not open.
    var context: Data { Data("\(gatewayID)\u{0}\(providerSlug)\u{0}\(alias)".utf8) }
}

/// Seals and opens provider secrets with a key derived from the configured master key
/// (HKDF-SHA256), so that a copy of the database alone reveals no secret.
public struct ProviderKeyCipher: Sendable {
    /// The derived key's bytes (`SymmetricKey` itself is not `Sendable`).
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A cipher for `masterKey` (at least 16 characters; 32 random bytes in base64 is best).
    public init(masterKey: String) throws {
        guard masterKey.count >= 16 else {
            throw ConfigurationError("master_key (AIGW_MASTER_KEY) must be at least 16 characters; use 32 random bytes in base64")
        }
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(masterKey.utf8)), salt: Data("aigw provider keys".utf8),
            info: Data("aes-gcm-256 v1".utf8), outputByteCount: 32)
        keyBytes = derived.withUnsafeBytes { Data($0) }
    }

    /// Seals a secret for a stored key's context.
    func seal(_ secret: String, context: Data) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key, authenticating: context).combined else {
            throw ConfigurationError("AES-GCM produced no sealed box")
        }
        return combined
    }

    /// Opens a sealed secret; throws when the key or the context is not the one it was sealed with.
    func open(_ sealed: Data, context: Data) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: key, authenticating: context), as: UTF8.self)
    }
}

/// Every gateway's stored provider keys, sealed, in memory for the request path (loaded from
/// the store at start, changed by the management API alongside the store).
public struct ProviderKeys: Sendable {
    /// The keys (sealed), by gateway.
    public let records: GatewayRecords<StoredProviderKey>
    /// Nil when no master key is configured: then no key can be stored or used.
    public let cipher: ProviderKeyCipher?

    /// A directory of `keys`, opened with `cipher`.
    public init(_ keys: [StoredProviderKey] = [], cipher: ProviderKeyCipher?) {
        self.records = GatewayRecords(keys)
        self.cipher = cipher
    }

    /// Seals a new key for a gateway. Throws (a 400 for the API) without a master key.
    public func make(
        gatewayID: String, alias: String, providerSlug: String, secret: String, defaultConfig: Bool, now: Date = Date()
    ) throws -> StoredProviderKey {
        guard let cipher else {
            throw ManagementError.badInput(
                "secret", "cannot be stored: no master key is configured (set AIGW_MASTER_KEY or master_key)")
        }
        var key = StoredProviderKey(
            id: ULID(date: now).description, gatewayID: gatewayID, alias: alias, providerSlug: providerSlug,
            sealed: Data(), defaultConfig: defaultConfig, createdAt: now)
        key.sealed = try cipher.seal(secret, context: key.context)
        return key
    }

    /// The secret for a request: the gateway's key for `provider` under `alias` (`default`
    /// when the request names none). Nil when the request named no alias and there is no
    /// default; a named alias that does not exist is a 400, code 2040.
    public func secret(gatewayID: String, provider: String, alias: String?) throws -> String? {
        let wanted = alias ?? "default"
        let found = records.first(gatewayID: gatewayID) { $0.providerSlug == provider && $0.alias == wanted }
        guard let found else {
            if alias == nil { return nil }
            throw GatewayError(
                code: 2040, httpStatus: 400,
                message: "unknown key alias '\(wanted)' for provider '\(provider)' on gateway '\(gatewayID)' (cf-aig-byok-alias)")
        }
        guard let cipher, let secret = try? cipher.open(found.sealed, context: found.context) else {
            throw GatewayError(
                code: 2041, httpStatus: 503,
                message: "the gateway's stored '\(provider)' key (alias '\(wanted)') cannot be opened: "
                    + (cipher == nil ? "no master key is set" : "the master key is not the one it was stored with")
                    + "; start aigw with that master key (AIGW_MASTER_KEY), or store the key again, or send the provider's key with the request")
        }
        return secret
    }

    /// The stored keys this process cannot open: no master key, or another one than they were
    /// sealed with (said at start, so that a wrong key is found before a request needs one).
    public func unopenable() -> [StoredProviderKey] {
        records.everyRecord().filter { key in
            guard let cipher else { return true }
            return (try? cipher.open(key.sealed, context: key.context)) == nil
        }
    }

    /// Whether the gateway already has a key for this provider and alias.
    public func contains(gatewayID: String, providerSlug: String, alias: String) -> Bool {
        records.first(gatewayID: gatewayID) { $0.providerSlug == providerSlug && $0.alias == alias } != nil
    }
}
