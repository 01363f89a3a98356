import AIGateway
import Foundation
import GatewayCore
import Testing

@testable import GatewayStore

/// The analytics figures, computed by each store's SQL, against the same figures computed
/// here from the seeded logs (an oracle that shares no code with the stores), and against a
/// direct SQL count.
@Suite("Analytics, SQLite and PostgreSQL alike: figures equal what the logs hold")
struct AnalyticsTests {
    /// 2026-12-01T00:00:00Z, a whole day in milliseconds.
    static let origin: Int64 = 1_796_083_200_000

    /// 60 logs in gateway `g` over three hours from the origin (one every 3 minutes):
    /// providers openai / groq / anthropic in turn, models by index, failures for every 7th,
    /// cache hits for every 5th, durations 1...60 ms shuffled, tokens and cost by index; a
    /// few without tokens or cost. Three in gateway `other`, one before the origin.
    static func seeded() -> [StoredLog] {
        var logs: [StoredLog] = []
        for index in 0..<60 {
            var stored = sampleRecord(index: index).finalized()
            var log = stored.log
            log.createdAt = Date(timeIntervalSince1970: Double(origin + Int64(index) * 180_000) / 1000)
            log.id = ULID(date: log.createdAt).description
            log.provider = ["openai", "groq", "anthropic"][index % 3]
            log.model = index % 4 == 0 ? "big" : "small"
            log.success = index % 7 != 3
            log.statusCode = log.success ? 200 : 502
            log.cached = index % 5 == 0
            log.duration = (index * 37) % 60 + 1
            log.tokensIn = index % 6 == 5 ? nil : index
            log.tokensOut = index % 6 == 5 ? nil : 2 * index
            log.cost = index % 8 == 7 ? nil : Double(index) / 1000
            stored.log = log
            logs.append(stored)
        }
        for index in 0..<3 {
            var stored = sampleRecord(gateway: "other", index: index).finalized()
            stored.log.createdAt = Date(timeIntervalSince1970: Double(origin + Int64(index) * 60_000) / 1000)
            logs.append(stored)
        }
        var early = sampleRecord(index: 99).finalized()
        early.log.createdAt = Date(timeIntervalSince1970: Double(origin - 1) / 1000)
        logs.append(early)
        return logs
    }

    /// The figures of `logs`, computed here. `binned`: the percentiles as the rollups give
    /// them, the upper bound of the histogram bin that holds the exact one.
    static func expected(_ logs: [AIGatewayLog], binned: Bool = false) -> AnalyticsFigures {
        let durations = logs.map(\.duration).sorted()
        func percentile(_ p: Int) -> Int? {
            guard !durations.isEmpty else { return nil }
            let exact = durations[(durations.count * p + 99) / 100 - 1]
            return binned ? LogRollups.value(ofBin: LogRollups.bin(exact)) : exact
        }
        return AnalyticsFigures(
            requests: logs.count, errors: logs.filter { !$0.success }.count, cached: logs.filter(\.cached).count,
            tokensIn: logs.compactMap(\.tokensIn).reduce(0, +), tokensOut: logs.compactMap(\.tokensOut).reduce(0, +),
            cost: logs.compactMap(\.cost).reduce(0, +), durationTotal: logs.map(\.duration).reduce(0, +),
            durationP50: percentile(50), durationP95: percentile(95))
    }

    func withSeededStore(_ kind: StoreKind, _ body: (any DataStore, [AIGatewayLog]) async throws -> Void) async throws {
        try await kind.withStore { store in
            let logs = Self.seeded()
            try await store.insert(logs)
            try await body(store, logs.map(\.log))
        }
    }

    /// Costs are sums of doubles: equal to a few ulps, not bit for bit.
    func same(_ got: AnalyticsFigures, _ expected: AnalyticsFigures, _ comment: Comment) {
        var got = got
        #expect(abs(got.cost - expected.cost) < 1e-9, comment)
        got.cost = expected.cost
        #expect(got == expected, comment)
    }

    @Test("totals, per-group and per-bucket figures equal the seeded logs' own", arguments: StoreKind.all)
    func figures(kind: StoreKind) async throws {
        try await withSeededStore(kind, figuresHold)
    }

    func figuresHold(store: any DataStore, logs: [AIGatewayLog]) async throws {
        var query = AnalyticsQuery(start: Self.origin, end: Self.origin + 3 * 3_600_000, interval: .hour, groupBy: .provider)
        let analytics = try await store.analytics(gatewayID: "g", query: query)
        let inRange = logs.filter { $0.gatewayID == "g" && $0.createdAt.timeIntervalSince1970 * 1000 >= Double(Self.origin) }
        #expect(inRange.count == 60)
        // A range of whole minutes: answered from the rollups (percentiles by histogram bin).
        same(analytics.totals, Self.expected(inRange, binned: true), "totals")
        #expect(analytics.groups.map(\.group).sorted() == ["anthropic", "groq", "openai"])
        for group in analytics.groups {
            same(group.figures, Self.expected(inRange.filter { $0.provider == group.group }, binned: true), "group \(group.group)")
        }
        // 3 hours × 3 providers, each bucket's logs those of its hour and provider.
        #expect(analytics.buckets.count == 9)
        for bucket in analytics.buckets {
            let from = bucket.start.timeIntervalSince1970
            let members = inRange.filter {
                $0.provider == bucket.group && $0.createdAt.timeIntervalSince1970 >= from
                    && $0.createdAt.timeIntervalSince1970 < from + 3600
            }
            same(bucket.figures, Self.expected(members, binned: true), "bucket \(bucket.start) \(bucket.group ?? "")")
        }
        #expect(analytics.buckets.map(\.start) == analytics.buckets.map(\.start).sorted())

        // Every gateway: the other gateway's logs count too; the log before the range does not.
        query.groupBy = nil
        let all = try await store.analytics(gatewayID: nil, query: query)
        #expect(all.totals.requests == 63)
        #expect(all.groups.isEmpty && all.buckets.allSatisfy { $0.group == nil })
        #expect(all.buckets.map(\.figures.requests).reduce(0, +) == 63)
    }

    @Test("a range off whole minutes is answered from the logs themselves, with exact percentiles, and equal sums", arguments: StoreKind.all)
    func fromTheLogs(kind: StoreKind) async throws {
        try await withSeededStore(kind, fromTheLogsHold)
    }

    func fromTheLogsHold(store: any DataStore, logs: [AIGatewayLog]) async throws {
        let query = AnalyticsQuery(start: Self.origin + 1, end: Self.origin + 3 * 3_600_000 + 1, interval: .hour, groupBy: .provider)
        let analytics = try await store.analytics(gatewayID: "g", query: query)
        let inRange = logs.filter {
            $0.gatewayID == "g" && $0.createdAt.timeIntervalSince1970 * 1000 >= Double(Self.origin + 1)
        }
        same(analytics.totals, Self.expected(inRange), "totals from the logs")
        for group in analytics.groups {
            same(group.figures, Self.expected(inRange.filter { $0.provider == group.group }), "group \(group.group)")
        }
    }

    @Test("deleted logs leave the rollups, a deleted gateway takes its own, and the migration's backfill rebuilds them", arguments: StoreKind.all)
    func rollupsFollow(kind: StoreKind) async throws {
        try await withSeededStore(kind, rollupsFollowHold)
    }

    func rollupsFollowHold(store: any DataStore, logs: [AIGatewayLog]) async throws {
        let query = AnalyticsQuery(start: Self.origin, end: Self.origin + 3 * 3_600_000, interval: .hour, groupBy: .provider)
        // A batch retried after its commit (half of it already stored) adds only what is new.
        var retried = logs.prefix(30).map { log -> StoredLog in
            var stored = sampleRecord().finalized()
            stored.log = log
            return stored
        }
        var extra = sampleRecord(index: 500).finalized()
        extra.log.createdAt = Date(timeIntervalSince1970: Double(Self.origin + 60_000) / 1000)
        retried.append(extra)
        try await store.insert(retried)
        let withExtra = logs + [extra.log]
        let afterRetry = try await store.analytics(gatewayID: "g", query: query)
        same(
            afterRetry.totals,
            Self.expected(withExtra.filter { $0.gatewayID == "g" && $0.createdAt.timeIntervalSince1970 * 1000 >= Double(Self.origin) }, binned: true),
            "after a retried batch")
        var deleteExtra = LogDeletion()
        deleteExtra.conditions = [LogCondition(.id, .equals, [.text(extra.log.id)])]
        #expect(try await store.deleteLogs(gatewayID: "g", deletion: deleteExtra) == 1)
        var deletion = LogDeletion()
        deletion.conditions = [LogCondition(.provider, .equals, [.text("groq")])]
        #expect(try await store.deleteLogs(gatewayID: "g", deletion: deletion) == 20)
        var remaining = logs.filter { $0.gatewayID == "g" && $0.provider != "groq" && $0.createdAt.timeIntervalSince1970 * 1000 >= Double(Self.origin) }
        var analytics = try await store.analytics(gatewayID: "g", query: query)
        same(analytics.totals, Self.expected(remaining, binned: true), "after deleting groq's logs")
        #expect(!analytics.groups.map(\.group).contains("groq"))

        // The oldest ten, by a limited delete.
        var oldest = LogDeletion()
        oldest.limit = 10
        oldest.descending = false
        #expect(try await store.deleteLogs(gatewayID: "g", deletion: oldest) == 10)
        remaining = Array(remaining.sorted { $0.createdAt < $1.createdAt }.dropFirst(9))  // the log before the range went first
        analytics = try await store.analytics(gatewayID: "g", query: query)
        same(analytics.totals, Self.expected(remaining, binned: true), "after deleting the oldest")
        // The per-minute table (minute buckets) agrees with the hourly one.
        let perMinute = AnalyticsQuery(start: Self.origin, end: Self.origin + 3 * 3_600_000, interval: .minute, groupBy: .provider)
        #expect(LogRollups.table(for: perMinute, now: Self.origin) == .minute && LogRollups.table(for: query, now: Self.origin) == .hour)
        let minutes = try await store.analytics(gatewayID: "g", query: perMinute)
        same(minutes.totals, Self.expected(remaining, binned: true), "from the per-minute rollups")
        #expect(minutes.buckets.count == remaining.count)  // a log every three minutes

        for table in LogRollups.Table.allCases {
            if let sqlite = store as? SQLiteStore {
                _ = try await sqlite.api.query("DELETE FROM \(table.name)")
                _ = try await sqlite.api.query(LogRollups.backfill(table))
            } else if let postgres = store as? PostgresStore {
                _ = try await postgres.rows("DELETE FROM \(table.name)")
                _ = try await postgres.rows(LogRollups.backfill(table))
            }
        }
        analytics = try await store.analytics(gatewayID: "g", query: query)
        same(analytics.totals, Self.expected(remaining, binned: true), "rebuilt by the backfill")

        try await store.saveGateway(GatewaySettings(id: "g"))
        #expect(try await store.deleteGateway(id: "g"))
        #expect(try await store.analytics(gatewayID: "g", query: query).totals.requests == 0)
        #expect(try await directCount(store, "SELECT COUNT(*) AS n FROM log_rollups WHERE gateway_id = 'g'") == 0)
        #expect(try await directCount(store, "SELECT COUNT(*) AS n FROM log_rollups_hourly WHERE gateway_id = 'g'") == 0)
    }

    @Test("logs filters narrow the figures as they narrow the logs list, and a direct SQL count agrees", arguments: StoreKind.all)
    func filtered(kind: StoreKind) async throws {
        try await withSeededStore(kind, filteredHold)
    }

    func filteredHold(store: any DataStore, logs: [AIGatewayLog]) async throws {
        var query = AnalyticsQuery(start: Self.origin, end: Self.origin + 3 * 3_600_000, interval: .minute, groupBy: .model)
        query.conditions = [LogCondition(.success, .equals, [.bool(true)]), LogCondition(.duration, .atLeast, [.number(10)])]
        let analytics = try await store.analytics(gatewayID: "g", query: query)
        let expected = logs.filter {
            $0.gatewayID == "g" && $0.createdAt.timeIntervalSince1970 * 1000 >= Double(Self.origin) && $0.success
                && $0.duration >= 10
        }
        same(analytics.totals, Self.expected(expected), "filtered totals")
        #expect(Set(analytics.groups.map(\.group)) == ["big", "small"])
        // Minute buckets: one per log here (the logs are three minutes apart).
        #expect(analytics.buckets.count == expected.count)

        var list = LogQuery()
        list.conditions = query.conditions + [
            LogCondition(.createdAt, .atLeast, [.date(Self.origin)]), LogCondition(.createdAt, .lessThan, [.date(query.end)]),
        ]
        #expect(try await store.logs(gatewayID: "g", query: list).totalCount == analytics.totals.requests)
        #expect(try await directCount(store, "SELECT COUNT(*) AS n FROM logs WHERE gateway_id = 'g' AND success AND duration >= 10 AND created_at >= \(Self.origin)") == analytics.totals.requests)
    }

    @Test("grouped by status and by cached state; an empty range has no buckets and zero totals", arguments: StoreKind.all)
    func groupingsAndEmpty(kind: StoreKind) async throws {
        try await withSeededStore(kind, groupingsHold)
    }

    func groupingsHold(store: any DataStore, logs: [AIGatewayLog]) async throws {
        let range = (Self.origin, Self.origin + 3 * 3_600_000)
        let status = try await store.analytics(
            gatewayID: "g", query: AnalyticsQuery(start: range.0, end: range.1, interval: .day, groupBy: .status))
        #expect(Dictionary(uniqueKeysWithValues: status.groups.map { ($0.group, $0.figures.requests) }) == ["200": 51, "502": 9])
        #expect(status.buckets.count == 2)  // one day, two statuses
        let cached = try await store.analytics(
            gatewayID: "g", query: AnalyticsQuery(start: range.0, end: range.1, interval: .day, groupBy: .cached))
        #expect(Dictionary(uniqueKeysWithValues: cached.groups.map { ($0.group, $0.figures.requests) }) == ["true": 12, "false": 48])

        let empty = try await store.analytics(
            gatewayID: "g", query: AnalyticsQuery(start: 0, end: 1000, interval: .minute, groupBy: .provider))
        #expect(empty.totals == AnalyticsFigures())
        #expect(empty.groups.isEmpty && empty.buckets.isEmpty)
    }

    func directCount(_ store: any DataStore, _ sql: String) async throws -> Int {
        if let sqlite = store as? SQLiteStore {
            return Int(try await sqlite.api.query(sql).first?.column("n")?.integer ?? -1)
        }
        if let postgres = store as? PostgresStore {
            return try await postgres.rows(sql).first?.value("n", as: Int.self) ?? -1
        }
        return -1
    }
}
