import AIGateway
import GatewayCore
import Logging
import ServiceLifecycle

/// Stores gateways created on first use, off the request path: the directory announces
/// them and this service writes each one. At graceful shutdown it writes what is announced
/// and returns.
public struct GatewayPersistence: Service {
    let directory: GatewayDirectory
    let store: any GatewayRecordStore
    let logger: Logger

    /// A service storing `directory`'s auto-created gateways in `store`.
    public init(directory: GatewayDirectory, store: any GatewayRecordStore, logger: Logger) {
        self.directory = directory
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await settings in directory.autoCreated {
                await save(settings)
            }
        } onGracefulShutdown: {
            // The server has stopped by now (it shuts down first): nothing more will be created.
            directory.finishAnnouncements()
        }
    }

    private func save(_ settings: GatewaySettings) async {
        for attempt in 1...5 {
            do {
                // Only if the API has not written it meanwhile: never overwrite settings with defaults.
                _ = try await store.createGateway(settings)
                return
            } catch {
                logger.error(
                    "gateway not stored; will retry",
                    metadata: ["gateway": "\(settings.id)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }
}
