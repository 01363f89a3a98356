import AIGateway
import Synchronization

/// Each gateway's DLP settings compiled once (patterns compile when the settings change, not
/// per request).
public final class ProtectionCache: Sendable {
    private let scanners = Mutex<[String: (settings: DLPSettings, scanner: DLPScanner?)]>([:])

    public init() {}

    /// The scanner of the gateway's current DLP settings, or nil when it has none.
    func scanner(for gateway: GatewaySettings) -> DLPScanner? {
        guard let settings = gateway.dlp else { return nil }
        if let cached = scanners.withLock({ $0[gateway.id] }), cached.settings == settings { return cached.scanner }
        let scanner = DLPScanner(settings)
        scanners.withLock { $0[gateway.id] = (settings, scanner) }
        return scanner
    }
}
