import CompressNIO
import Foundation
import NIOCore
import Testing

@testable import GatewayCore

/// The file destination's promises, on real files: members append to the open file, a file
/// is finished by name, and recovery cuts off whatever the cursor does not count as delivered.
@Suite("Logpush files")
struct LogpushFilesTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-logpush-\(UUID().uuidString)").path

    func files() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }

    func gzip(_ text: String) throws -> [UInt8] {
        var buffer = ByteBuffer(string: text)
        return Array(try buffer.compress(with: .gzip()).readableBytesView)
    }

    @Test("batches append as gzip members that read back as one stream; finishing renames the file")
    func appendAndFinish() throws {
        let destination = LogpushFiles(directory: directory, maxBytes: 1 << 20, maxAge: .seconds(60))
        _ = try destination.recover(nil)
        var cursor = try destination.append(try gzip("{\"ID\":\"a\"}\n"), to: nil)
        cursor = try destination.append(try gzip("{\"ID\":\"b\"}\n{\"ID\":\"c\"}\n"), to: cursor)
        #expect(cursor.file.hasSuffix(".ndjson.gz.partial"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(cursor.file))
        #expect(bytes.count == cursor.bytes)
        #expect(try LogpushFileReader.lines(Array(bytes)).map { String(decoding: $0, as: UTF8.self) } == [
            "{\"ID\":\"a\"}", "{\"ID\":\"b\"}", "{\"ID\":\"c\"}",
        ])
        try destination.finish(cursor)
        #expect(try files() == [String(cursor.file.dropLast(".partial".count))])
    }

    @Test("recovery cuts off bytes past the cursor and removes open files it does not name")
    func recovery() throws {
        let destination = LogpushFiles(directory: directory, maxBytes: 1 << 20, maxAge: .seconds(60))
        _ = try destination.recover(nil)
        let delivered = try destination.append(try gzip("{\"ID\":\"a\"}\n"), to: nil)
        // A batch written but never committed (the process died before the transaction).
        _ = try destination.append(try gzip("{\"ID\":\"b\"}\n"), to: delivered)
        // A new file begun and never committed.
        _ = try destination.append(try gzip("{\"ID\":\"c\"}\n"), to: nil, now: Date().addingTimeInterval(1))
        #expect(try files().count == 2)
        let resumed = try destination.recover(delivered)
        #expect(resumed == delivered)
        #expect(try files() == [delivered.file])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(delivered.file))
        #expect(try LogpushFileReader.lines(Array(bytes)).count == 1)
        // Renamed to its final name just before a crash: nothing is open any more.
        try destination.finish(delivered)
        #expect(try destination.recover(delivered) == nil)
    }

    @Test("a file is due once it reaches its size or its age")
    func rotation() {
        let destination = LogpushFiles(directory: directory, maxBytes: 100, maxAge: .seconds(60))
        let now = Date()
        #expect(!destination.isDue(LogpushFileCursor(file: "f", bytes: 99, openedAt: now), now: now))
        #expect(destination.isDue(LogpushFileCursor(file: "f", bytes: 100, openedAt: now), now: now))
        #expect(destination.isDue(LogpushFileCursor(file: "f", bytes: 1, openedAt: now.addingTimeInterval(-60)), now: now))
    }

    @Test("a cut-off file is an error that says so, not a short read")
    func truncated() throws {
        let member = try gzip(String(repeating: "{\"ID\":\"x\"}\n", count: 50))
        #expect(throws: LogpushError.self) { try LogpushFileReader.lines(Array(member.prefix(member.count / 2))) }
    }
}
