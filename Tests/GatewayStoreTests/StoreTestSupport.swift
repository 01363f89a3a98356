import Foundation
import Logging
import GatewayCore
import NIOCore
import TestSupport
import Testing

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

/// The databases the shared store tests run against: SQLite always, PostgreSQL when
/// `AIGW_TEST_POSTGRES_URL` names a server (`bash scripts/postgres start` prints it). Under
/// CI (`CI` set) PostgreSQL is always among them, so a missing server fails the run instead
/// of skipping its tests.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    static var all: [StoreKind] {
        let environment = ProcessInfo.processInfo.environment
        let postgresWanted = environment["AIGW_TEST_POSTGRES_URL"] != nil || environment["CI"] != nil
        return postgresWanted ? [.sqlite, .postgres] : [.sqlite]
    }

    var testDescription: String { rawValue }

    /// Runs `body` with a new, empty, migrated store (a fresh SQLite file, or a fresh
    /// PostgreSQL database), the store running while it does.
    func withStore<Result: Sendable>(_ body: (any DataStore) async throws -> Result) async throws -> Result {
        let store: any DataStore
        switch self {
        case .sqlite: store = try await SQLiteStore.open(path: temporaryDatabasePath(), logger: .quietUnlessAsked())
        case .postgres: store = try await PostgresStore.open(url: try await Self.freshPostgresDatabase(), logger: .quietUnlessAsked())
        }
        return try await store.whileRunning {
            try await store.migrate()
            return try await body(store)
        }
    }

    /// Creates a database of its own for one test on the test server and returns its URL.
    static func freshPostgresDatabase() async throws -> String {
        guard let url = ProcessInfo.processInfo.environment["AIGW_TEST_POSTGRES_URL"] else {
            throw ConfigurationError(
                "AIGW_TEST_POSTGRES_URL is not set: the PostgreSQL store tests need a server (eval \"$(bash scripts/postgres start)\")")
        }
        let name = "aigw_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try await PostgresStore.open(url: url, logger: .quietUnlessAsked())
        try await admin.whileRunning { _ = try await admin.rows("CREATE DATABASE \(name)") }
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return components.string!
    }
}
