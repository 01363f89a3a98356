import AIGateway
import Foundation
import GatewayCore
import Logging
import Testing
import TestSupport

@testable import GatewayStore

@Suite("Spend counters in the stores: kept across a restart (SQLite), shared by processes (PostgreSQL)")
struct SpendLedgerTests {
    func key(_ rule: String, partition: String = "", gateway: String = "g") -> SpendCounterKey {
        let start = Int(Date().timeIntervalSince1970) / 3600 * 3600
        return SpendCounterKey(gatewayID: gateway, ruleID: rule, partition: partition, windowSeconds: 3600, windowStart: start)
    }

    @Test("charges made through one ledger are read by a new ledger on the same database, partitions apart", arguments: StoreKind.all)
    func chargesOutliveTheLedger(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let logger = Logger.quietUnlessAsked()
            let first = store.makeSpendLedger(logger: logger)
            let keys = [key("daily", partition: "user=ada"), key("daily", partition: "user=bob"), key("hourly")]
            for _ in 0..<10 { first.charge(0.25, to: [keys[0], keys[2]]) }
            first.charge(1, to: [keys[1]])
            // This process sees its own charges at once.
            let own = try await first.totals(of: keys)
            #expect(own[keys[0]] == 2.5 && own[keys[1]] == 1 && own[keys[2]] == 2.5)
            // Another process (PostgreSQL), or this one restarted (SQLite), sees them once written.
            let read = await eventually {
                let second = store.makeSpendLedger(logger: logger)
                try? await second.load()
                let totals = (try? await second.totals(of: keys)) ?? [:]
                return totals[keys[0]] == 2.5 && totals[keys[1]] == 1 && totals[keys[2]] == 2.5
            }
            #expect(read)
        }
    }

    @Test("a process reads its own charges exactly while its writes are under way: none missed, none counted twice", arguments: StoreKind.all)
    func ownChargesExactly(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let ledger = store.makeSpendLedger(logger: Logger.quietUnlessAsked())
            let counted = key("exact")
            var readings: [Double] = []
            for _ in 1...100 {
                ledger.charge(0.5, to: [counted])
                readings.append(try await ledger.totals(of: [counted])[counted] ?? 0)
            }
            #expect(readings == (1...100).map { Double($0) * 0.5 })
            // Charged from many tasks at once, read back in full once written.
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<50 { group.addTask { ledger.charge(1, to: [counted]) } }
            }
            #expect(try await ledger.totals(of: [counted])[counted] == 100)
            await ledger.flush()
            let fresh = store.makeSpendLedger(logger: Logger.quietUnlessAsked())
            try await fresh.load()
            #expect(try await fresh.totals(of: [counted])[counted] == 100)
        }
    }

    @Test("deleting a gateway deletes its spend counters", arguments: StoreKind.all)
    func gatewayDeletion(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let logger = Logger.quietUnlessAsked()
            _ = try await store.createGateway(GatewaySettings(id: "gone"))
            let ledger = store.makeSpendLedger(logger: logger)
            let counted = key("r", gateway: "gone")
            ledger.charge(3, to: [counted])
            #expect(await eventually {
                let fresh = store.makeSpendLedger(logger: logger)
                try? await fresh.load()
                return (try? await fresh.totals(of: [counted]))?[counted] == 3
            })
            #expect(try await store.deleteGateway(id: "gone"))
            let fresh = store.makeSpendLedger(logger: logger)
            try await fresh.load()
            #expect(try await fresh.totals(of: [counted])[counted] == nil)
        }
    }
}
