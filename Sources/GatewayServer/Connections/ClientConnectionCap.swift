import HummingbirdCore
import Logging

/// The cap on open client connections: at `maximum`, the server stops accepting (newcomers
/// wait in the kernel's backlog) until one closes, and says so in the process log once each
/// time the cap is reached.
struct ClientConnectionCap: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    private var open = 0

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open == maximum {
            logger.warning(
                "client connection cap reached: no new connection is accepted until one closes",
                metadata: ["max_connections": "\(maximum)"])
        }
    }

    mutating func connectionClosed() {
        open -= 1
    }

    func isAcceptingNewConnections() -> Bool {
        open < maximum
    }
}
