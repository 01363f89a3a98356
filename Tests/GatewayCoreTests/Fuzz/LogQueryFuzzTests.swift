import PropertyBased
import TestSupport
import Testing

@testable import GatewayCore

/// Fuzzing the logs API's query string in all its forms (dotted, indexed, JSON, flat).
@Suite("Fuzz: log filters in every form")
struct LogQueryFuzzTests {
    static let pieces = [
        "filters.key=", "filters.operator=", "filters.value=", "filters[0][key]=", "filters[1][operator]=",
        "filters[0][value][0]=", "filters=", "search=", "page=", "per_page=", "order_by=", "direction=", "limit=",
        "provider", "model", "success", "cost", "created_at", "metadata.key", "metadata.value", "eq", "neq", "contains",
        "lt", "gt", "null", "true", "1e308", "-1", "2025-01-31T12:00:00Z", "&", "=", "%5B", "%7B%22key%22%3A", "%00",
    ]

    @Test("a query is read or refused with a 400 naming a parameter; every text it will match is free of NUL")
    func queries() async {
        await propertyCheck(count: FuzzInputs.count, input: FuzzInputs.text(Self.pieces, length: 0...12)) { query in
            let parameters = QueryParameters(query)
            do {
                let read = try LogQueryParser.query(parameters)
                for condition in read.conditions {
                    for case .text(let text) in condition.values {
                        #expect(!text.utf8.contains(0) && text.utf8.count <= LogQueryParser.maximumTextBytes)
                    }
                    if condition.comparison == .contains { #expect(!condition.values.contains(.null)) }
                }
                #expect(!(read.search ?? "").utf8.contains(0))
            } catch let error as ManagementError {
                #expect(error.httpStatus == 400, "\(error.message)")
            } catch {
                Issue.record("not a ManagementError: \(error)")
            }
            do {
                _ = try LogQueryParser.deletion(parameters)
            } catch let error as ManagementError {
                #expect(error.httpStatus == 400)
            } catch {
                Issue.record("not a ManagementError: \(error)")
            }
        }
    }

    static let analyticsPieces =
        pieces + [
            "start=", "end=", "interval=", "group_by=", "minute", "hour", "day", "status", "cached", "2025-01-31",
            "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        ]

    @Test("an analytics query is read or refused with a 400; a read one has a range of at most the maximum of buckets")
    func analyticsQueries() async {
        await propertyCheck(count: FuzzInputs.count, input: FuzzInputs.text(Self.analyticsPieces, length: 0...12)) { query in
            do {
                let read = try AnalyticsQueryParser.query(QueryParameters(query), now: 1_796_083_200_000)
                #expect(read.start < read.end)
                #expect((read.end - read.start) / read.interval.milliseconds + 2 <= Int64(AnalyticsQuery.maximumBuckets))
                #expect(!(read.search ?? "").utf8.contains(0))
            } catch let error as ManagementError {
                #expect(error.httpStatus == 400, "\(error.message)")
            } catch {
                Issue.record("not a ManagementError: \(error)")
            }
        }
    }
}
