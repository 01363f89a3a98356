import Testing

@testable import GatewayCore

@Suite("Analytics query parameters")
struct AnalyticsQueryParserTests {
    static let now: Int64 = 1_796_083_200_000  // 2026-12-01T00:00:00Z

    func read(_ query: String) throws -> AnalyticsQuery {
        try AnalyticsQueryParser.query(QueryParameters(query), now: Self.now)
    }

    /// The parameter a refused query names.
    func refusal(_ query: String) -> String? {
        do {
            _ = try read(query)
            return nil
        } catch let error as ManagementError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("by default the last 24 hours, in the narrowest interval that fits: hours")
    func defaults() throws {
        let query = try read("")
        #expect(query.end == Self.now && query.start == Self.now - 86_400_000)  // now is a whole day
        let later = try AnalyticsQueryParser.query(QueryParameters(""), now: Self.now + 3_612_345)
        #expect(later.start == Self.now - 82_800_000, "the default start is the start of its hour bucket")
        let minutes = try AnalyticsQueryParser.query(QueryParameters("interval=minute"), now: Self.now + 61_000)
        #expect(minutes.start == Self.now - 86_400_000 + 60_000, "or of its minute")
        #expect(query.interval == .hour && query.groupBy == nil && query.conditions.isEmpty)
        #expect(try read("start=2026-11-30T23:00:00Z").interval == .minute)
        #expect(try read("start=2026-11-24").interval == .hour)
        #expect(try read("start=2026-10-01").interval == .day)
        // Asked for, minutes over a day are allowed: 1,440 buckets.
        #expect(try read("interval=minute").interval == .minute)
    }

    @Test("start, end, interval, group_by and logs filters in every form are read")
    func everything() throws {
        let query = try read(
            "start=2026-11-30T00:00:00Z&end=2026-11-30T06:00:00.000Z&interval=minute&group_by=model&provider=openai"
                + "&filters.key=success&filters.operator=eq&filters.value=false&min_cost=0.5&search=abc")
        #expect(query.start == Self.now - 86_400_000 && query.end == Self.now - 18 * 3_600_000)
        #expect(query.interval == .minute && query.groupBy == .model && query.search == "abc")
        #expect(
            Set(query.conditions) == [
                LogCondition(.success, .equals, [.bool(false)]), LogCondition(.provider, .equals, [.text("openai")]),
                LogCondition(.cost, .atLeast, [.number(0.5)]),
            ])
    }

    @Test("what cannot be used is a 400 naming the parameter", arguments: [
        ("start=yesterday", "start"), ("end=2026-13-01", "end"), ("interval=week", "interval"), ("group_by=user", "group_by"),
        ("start=2026-12-01&end=2026-11-01", "start"), ("start=2026-01-01&interval=minute", "interval"),
        ("colour=blue", "colour"), ("filters.key=nope&filters.operator=eq&filters.value=1", "filters"),
        ("search=%00", "search"),
    ])
    func refused(query: String, parameter: String) {
        let message = refusal(query)
        #expect(message?.contains(parameter) == true, "\(message ?? "read")")
    }
}
