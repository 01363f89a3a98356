import Foundation
import Hummingbird
import Synchronization
import Testing

@testable import GatewayServer

@Suite("Management API: an internal failure never shows its cause to the client")
struct InternalErrorTests {
    struct DatabaseFailure: Error, CustomStringConvertible {
        var description: String { "SQLITE_ERROR: near \"(\": syntax error in SELECT * FROM logs WHERE secret_column" }
    }

    @Test("a store's error is a 500 with a generic message and an incident id, not the database's text")
    func concealed() async throws {
        let response = await ManagementAPI.answer { throw DatabaseFailure() }
        #expect(response.status == .internalServerError)
        let collected = Collected()
        try await response.body.write(CollectingWriter(collected: collected))
        let text = String(buffer: collected.buffer.withLock { $0 })
        #expect(!text.contains("SQLITE") && !text.contains("syntax") && !text.contains("secret_column"), "\(text)")
        #expect(text.contains("incident 01"), "\(text)")
    }
}

/// A response body as it was written.
final class Collected: Sendable {
    let buffer = Mutex(ByteBuffer())
}

/// Collects a response body written to it.
struct CollectingWriter: ResponseBodyWriter {
    let collected: Collected

    mutating func write(_ chunk: ByteBuffer) async throws {
        var chunk = chunk
        collected.buffer.withLock { _ = $0.writeBuffer(&chunk) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
