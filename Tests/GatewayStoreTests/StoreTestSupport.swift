import Foundation
import GatewayCore
import NIOCore

@testable import GatewayStore

/// A fresh SQLite file in a temporary folder.
func temporaryDatabasePath() -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("logs.sqlite").path
}

/// A finished log record like the pipeline makes for an OpenAI chat request.
func sampleRecord(gateway: String = "g", index: Int = 0, storePayload: Bool = true) -> LogRecord {
    var record = LogRecord(
        id: ULID().description, gatewayID: gateway, provider: "openai", path: "chat/completions",
        createdAt: Date(), captureCap: 1024 * 1024)
    record.statusCode = 200
    record.success = true
    record.durationMs = 12
    record.metadata = ["user": .string("u\(index)"), "n": .number(Double(index))]
    record.eventID = "evt-\(index)"
    record.storePayload = storePayload
    record.requestContentType = "application/json"
    record.responseContentType = "application/json"
    record.requestBody = ByteBuffer(string: #"{"model":"gpt-4o-mini","messages":[]}"#)
    record.response = BodyCapture(
        cap: 1024 * 1024,
        body: ByteBuffer(string: #"{"usage":{"prompt_tokens":11,"completion_tokens":7}}"#))
    return record
}
