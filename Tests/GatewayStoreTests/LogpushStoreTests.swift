import Foundation
import GatewayCore
import Testing

@testable import GatewayStore

/// Logpush's queue in both stores: filled by the log batch's own transaction, read in the
/// order logs were stored, emptied with the cursor in one transaction.
@Suite("Logpush queue")
struct LogpushStoreTests {
    func stored(_ record: LogRecord, exported: Bool) -> StoredLog {
        var log = record.finalized()
        log.logpush = exported
        return log
    }

    @Test("only logs marked for export are queued, in the order they were stored", arguments: StoreKind.all)
    func queuedInOrder(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let batches = (0..<3).map { batch in
                (0..<4).map { index in stored(sampleRecord(gateway: "g", index: batch * 4 + index), exported: index != 3) }
            }
            for batch in batches { try await store.insert(batch) }
            // A retried batch is stored once, and queued once.
            try await store.insert(batches[0])
            let pending = try await store.logpushPending(limit: 100)
            let expected = batches.flatMap { $0.filter(\.logpush).map(\.log.id) }
            #expect(pending.map { $0.log?.id } == expected)
            #expect(pending.allSatisfy { $0.gatewayID == "g" })
            #expect(try await store.logpushBacklog().count == 9)
        }
    }

    @Test("delivered entries go with the cursor saved in the same transaction; deleted logs come back empty", arguments: StoreKind.all)
    func commitAndDeleted(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let logs = (0..<5).map { stored(sampleRecord(gateway: "g", index: $0), exported: true) }
            try await store.insert(logs)
            let first = try await store.logpushPending(limit: 2)
            try await store.logpushCommit(delivered: first.map(\.seq), cursor: #"{"file":"a.partial","bytes":10}"#)
            #expect(try await store.logpushCursor() == #"{"file":"a.partial","bytes":10}"#)
            var deletion = LogDeletion()
            deletion.conditions = [LogCondition(.id, .equals, [.text(logs[3].log.id)])]
            _ = try await store.deleteLogs(gatewayID: "g", deletion: deletion)
            let rest = try await store.logpushPending(limit: 10)
            #expect(rest.map { $0.log?.id } == [logs[2].log.id, nil, logs[4].log.id])
            try await store.logpushCommit(delivered: rest.map(\.seq), cursor: nil)
            #expect(try await store.logpushPending(limit: 10).isEmpty)
            #expect(try await store.logpushCursor() == nil)
            #expect(try await store.logpushBacklog().count == 0)
        }
    }

    @Test("on PostgreSQL one process at a time holds the export lease")
    func lease() async throws {
        guard StoreKind.all.contains(.postgres) else { return }
        try await StoreKind.postgres.withStore { store in
            let claims = [
                try await store.logpushClaim(holder: "a", seconds: 60),
                try await store.logpushClaim(holder: "a", seconds: 60),
                try await store.logpushClaim(holder: "b", seconds: 60),
                // Expired, it is anyone's.
                try await store.logpushClaim(holder: "a", seconds: -1),
                try await store.logpushClaim(holder: "b", seconds: 60),
            ]
            #expect(claims == [true, true, false, true, true])
            // Given up at shutdown, it is taken at once.
            try await store.logpushRelease(holder: "b")
            #expect(try await store.logpushClaim(holder: "a", seconds: 60))
        }
    }
}
