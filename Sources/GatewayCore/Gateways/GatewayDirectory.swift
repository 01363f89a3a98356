import AIGateway
import Synchronization

/// The gateways this process serves, looked up on every request without waiting.
///
/// Gateways named in the configuration are here from the start; others are created with
/// default settings on first use unless auto-creation is off (SPEC section 1).
public final class GatewayDirectory: Sendable {
    private let gateways: Mutex<[String: GatewaySettings]>
    private let autoCreate: Bool

    /// A directory holding `gateways`, creating others on first use when `autoCreate` is true.
    public init(gateways: [GatewaySettings] = [], autoCreate: Bool = true) {
        self.gateways = Mutex(Dictionary(gateways.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last }))
        self.autoCreate = autoCreate
    }

    /// The gateway with this id, created now if it is new and auto-creation is on.
    /// Throws 2001 for an unknown gateway when auto-creation is off, 400 for a malformed id.
    public func resolve(_ id: String) throws -> GatewaySettings {
        if let found = gateways.withLock({ $0[id] }) { return found }
        try Self.validate(id: id)
        guard autoCreate else {
            throw GatewayError.gatewayNotFound(
                "gateway '\(id)' does not exist (auto-creation is off: create it in the configuration or the API)")
        }
        return gateways.withLock { table in
            if let raced = table[id] { return raced }
            let created = GatewaySettings(id: id)
            table[id] = created
            return created
        }
    }

    /// Every gateway, sorted by id.
    public func all() -> [GatewaySettings] {
        gateways.withLock { Array($0.values) }.sorted { $0.id < $1.id }
    }

    /// Gateway ids are 1 to 64 characters of letters, digits, `-` and `_`.
    public static func validate(id: String) throws {
        let valid =
            !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { byte in
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        guard valid else {
            throw GatewayError.badPath(
                "gateway id '\(id)' is invalid: use 1 to 64 letters, digits, '-' or '_'")
        }
    }
}
