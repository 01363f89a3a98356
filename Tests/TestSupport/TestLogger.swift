import Foundation
import Logging

extension Logger {
    /// The logger the suites give servers and stores: silent, so that the errors fault tests
    /// provoke on purpose do not read as failures in the test output. `AIGW_TEST_LOG=debug`
    /// (or any level) prints them, on standard error, from that level up.
    public static func quietUnlessAsked(_ label: String = "test") -> Logger {
        guard let level = ProcessInfo.processInfo.environment["AIGW_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) else {
            return Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }
}
