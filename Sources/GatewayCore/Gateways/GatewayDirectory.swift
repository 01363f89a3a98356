import AIGateway
import Synchronization

/// The gateways this process serves, looked up on every request without waiting.
///
/// It is filled at start from the store and the configuration, changed by the management
/// API, and grows on first use of an unknown gateway unless auto-creation is off (SPEC
/// section 1). Gateways created on first use are announced on ``autoCreated`` so that a
/// service can store them off the request path.
public final class GatewayDirectory: Sendable {
    private let gateways: Mutex<[String: GatewaySettings]>
    private let autoCreate: Bool
    private let maximumGateways: Int
    private let announce: AsyncStream<GatewaySettings>.Continuation

    /// Gateways created on first use, in the order they were created.
    public let autoCreated: AsyncStream<GatewaySettings>

    /// A directory holding `gateways`, creating others on first use when `autoCreate` is
    /// true, up to `maximumGateways` in all.
    public init(gateways: [GatewaySettings] = [], autoCreate: Bool = true, maximumGateways: Int = 10_000) {
        self.gateways = Mutex(Dictionary(gateways.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last }))
        self.autoCreate = autoCreate
        self.maximumGateways = maximumGateways
        (autoCreated, announce) = AsyncStream.makeStream(of: GatewaySettings.self)
    }

    /// The gateway with this id, created now if it is new and auto-creation is on.
    /// Throws 2001 for an unknown gateway when auto-creation is off (or the directory is
    /// full), 400 for a malformed id.
    public func resolve(_ id: String) throws -> GatewaySettings {
        if let found = gateways.withLock({ $0[id] }) { return found }
        try Self.validate(id: id)
        guard autoCreate else {
            throw GatewayError.gatewayNotFound(
                "gateway '\(id)' does not exist (auto-creation is off: create it in the configuration or the API)")
        }
        let created = gateways.withLock { table -> (GatewaySettings, isNew: Bool)? in
            if let raced = table[id] { return (raced, false) }
            guard table.count < maximumGateways else { return nil }
            let created = GatewaySettings(id: id)
            table[id] = created
            return (created, true)
        }
        guard let (settings, isNew) = created else {
            throw GatewayError.gatewayNotFound(
                "gateway '\(id)' does not exist and the limit of \(maximumGateways) gateways is reached")
        }
        if isNew { announce.yield(settings) }
        return settings
    }

    /// The gateway with this id, if it exists (never creates one).
    public func settings(_ id: String) -> GatewaySettings? {
        gateways.withLock { $0[id] }
    }

    /// Whether an unknown gateway would be created on first use.
    public var createsOnFirstUse: Bool { autoCreate }

    /// Every gateway, sorted by id.
    public func all() -> [GatewaySettings] {
        gateways.withLock { Array($0.values) }.sorted { $0.id < $1.id }
    }

    /// Adds or replaces a gateway (from the store or the management API).
    public func put(_ settings: GatewaySettings) {
        gateways.withLock { $0[settings.id] = settings }
    }

    /// Removes a gateway; returns whether it was there.
    @discardableResult
    public func remove(_ id: String) -> Bool {
        gateways.withLock { $0.removeValue(forKey: id) != nil }
    }

    /// Ends ``autoCreated`` (at shutdown, once no request can create a gateway).
    public func finishAnnouncements() {
        announce.finish()
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
