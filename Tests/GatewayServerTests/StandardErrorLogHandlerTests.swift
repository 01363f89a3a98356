import GatewayServer
import Logging
import Synchronization
import Testing

@Suite("The process's log handler")
struct StandardErrorLogHandlerTests {
    /// Collects the lines a handler writes.
    final class Lines: TextOutputStream, Sendable {
        private let written = Mutex<[String]>([])
        var all: [String] { written.withLock { $0 } }
        func write(_ string: String) { written.withLock { $0.append(string) } }
    }

    func logger(writingTo lines: Lines, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "aigw.test") { label in
            StandardErrorLogHandler(label: label) { label, provider in
                StreamLogHandler(label: label, stream: lines, metadataProvider: provider)
            }
        }
        logger.logLevel = level
        return logger
    }

    @Test("a line carries the logger's metadata, set before the line, and the line's own")
    func metadataOnLine() {
        let lines = Lines()
        var logger = logger(writingTo: lines)
        logger[metadataKey: "hb.request.id"] = "42"
        logger.info("upstream refused", metadata: ["provider": "openai"])
        #expect(lines.all.count == 1)
        let line = lines.all.first ?? ""
        #expect(line.contains("info aigw.test: hb.request.id=42 provider=openai"), "\(line)")
        #expect(line.hasSuffix("upstream refused\n"))
    }

    @Test("metadata changed or removed after a copy does not reach the copy's lines")
    func metadataIsPerLogger() {
        let lines = Lines()
        var first = logger(writingTo: lines)
        first[metadataKey: "a"] = "1"
        var second = first
        second[metadataKey: "a"] = nil
        second[metadataKey: "b"] = "2"
        first.notice("first")
        second.notice("second")
        #expect(lines.all.count == 2)
        #expect(lines.all.first?.contains("a=1") == true)
        #expect(lines.all.first?.contains("b=2") == false)
        #expect(lines.all.last?.contains("b=2") == true)
        #expect(lines.all.last?.contains("a=1") == false)
    }

    @Test("lines below the level are not written")
    func level() {
        let lines = Lines()
        let logger = logger(writingTo: lines, level: .notice)
        logger.info("quiet")
        logger.debug("quieter")
        logger.error("loud")
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains("error aigw.test: [GatewayServerTests] loud") == true, "\(lines.all)")
    }
}
