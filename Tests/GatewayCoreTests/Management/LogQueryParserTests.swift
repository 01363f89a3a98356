import GatewayCore
import Testing

@Suite("Logs API query parameters: every form Cloudflare's clients send, and clear errors")
struct LogQueryParserTests {
    func query(_ text: String) throws -> LogQuery {
        try LogQueryParser.query(QueryParameters(text))
    }

    func expectBadInput(_ text: String, naming field: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try query(text)
            Issue.record("'\(text)' was accepted", sourceLocation: sourceLocation)
        } catch let error as ManagementError {
            #expect(error.httpStatus == 400, sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(field), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("no parameters: newest first, page 1 of 20")
    func defaults() throws {
        let parsed = try query("")
        #expect(parsed.conditions.isEmpty && parsed.page == 1 && parsed.perPage == 20)
        #expect(parsed.orderBy == .createdAt && parsed.descending)
    }

    @Test("the Python client's dotted form with one filter and several values")
    func dottedOneFilter() throws {
        let parsed = try query("filters.key=provider&filters.operator=eq&filters.value=openai&filters.value=groq")
        #expect(parsed.conditions == [LogCondition(.provider, .equals, [.text("openai"), .text("groq")])])
    }

    @Test("the dotted form with several filters pairs keys, operators and values by position")
    func dottedSeveralFilters() throws {
        let parsed = try query(
            "filters.key=success&filters.operator=eq&filters.value=true&filters.key=duration&filters.operator=gt&filters.value=250")
        #expect(
            parsed.conditions == [
                LogCondition(.success, .equals, [.bool(true)]), LogCondition(.duration, .greaterThan, [.number(250)]),
            ])
    }

    @Test("the dotted form with several filters and values that cannot be paired is a 400 that says so")
    func dottedUnpairable() {
        expectBadInput(
            "filters.key=provider&filters.operator=eq&filters.value=a&filters.value=b&filters.key=model&filters.operator=eq&filters.value=c",
            naming: "filters")
    }

    @Test("the indexed form, with indexed and bare values")
    func indexed() throws {
        let parsed = try query(
            "filters%5B0%5D%5Bkey%5D=model&filters[0][operator]=contains&filters[0][value][0]=gpt&filters[1][key]=feedback&filters[1][operator]=eq&filters[1][value]=1"
        )
        #expect(
            parsed.conditions == [
                LogCondition(.model, .contains, [.text("gpt")]), LogCondition(.feedback, .equals, [.number(1)]),
            ])
    }

    @Test("a JSON array in one parameter, with null meaning 'absent'")
    func jsonArray() throws {
        let parsed = try query(
            #"filters=[{"key":"cost","operator":"lt","value":[0.5]},{"key":"feedback","operator":"eq","value":[null]}]"#)
        #expect(
            parsed.conditions == [
                LogCondition(.cost, .lessThan, [.number(0.5)]), LogCondition(.feedback, .equals, [.null]),
            ])
    }

    @Test("the older flat parameters become conditions; dates are ISO 8601")
    func flatParameters() throws {
        let parsed = try query(
            "provider=openai&success=false&cached=true&feedback=0&min_cost=0.01&max_duration=900&start_date=2025-01-01T00:00:00Z&end_date=2025-01-02&min_total_tokens=10")
        #expect(
            parsed.conditions == [
                LogCondition(.provider, .equals, [.text("openai")]), LogCondition(.success, .equals, [.bool(false)]),
                LogCondition(.cached, .equals, [.bool(true)]), LogCondition(.feedback, .equals, [.number(-1)]),
                LogCondition(.cost, .atLeast, [.number(0.01)]), LogCondition(.duration, .atMost, [.number(900)]),
                LogCondition(.createdAt, .atLeast, [.date(1_735_689_600_000)]),
                LogCondition(.createdAt, .atMost, [.date(1_735_776_000_000)]),
                LogCondition(.tokens, .atLeast, [.number(10)]),
            ])
    }

    @Test("paging, ordering and search")
    func pagingAndOrder() throws {
        let parsed = try query("page=3&per_page=50&order_by=cost&order_by_direction=asc&search=user%20123")
        #expect(parsed.page == 3 && parsed.perPage == 50 && parsed.orderBy == .cost && !parsed.descending)
        #expect(parsed.search == "user 123")
    }

    @Test("Python's microsecond timestamps are read")
    func microseconds() {
        #expect(Timestamp.milliseconds(iso8601: "2025-01-01T00:00:00.123456+00:00") == 1_735_689_600_123)
        #expect(Timestamp.milliseconds(iso8601: "yesterday") == nil)
    }

    @Test("bad input: each a 400 naming the parameter")
    func badInput() {
        expectBadInput("filters.key=colour&filters.operator=eq&filters.value=red", naming: "filters.key")
        expectBadInput("filters.key=provider&filters.operator=like&filters.value=x", naming: "filters.operator")
        expectBadInput("filters.key=provider&filters.operator=eq", naming: "filters.value")
        expectBadInput("filters.key=provider&filters.value=x", naming: "filters")
        expectBadInput("filters.key=duration&filters.operator=gt&filters.value=fast", naming: "filters.value")
        expectBadInput("filters.key=success&filters.operator=contains&filters.value=t", naming: "filters.operator")
        expectBadInput("filters.key=provider&filters.operator=lt&filters.value=a", naming: "filters.operator")
        expectBadInput("filters=[oops", naming: "filters")
        expectBadInput("filters[0][colour]=x", naming: "filters[0][colour]")
        expectBadInput("page=0", naming: "page")
        expectBadInput("per_page=5000", naming: "per_page")
        expectBadInput("order_by=metadata", naming: "order_by")
        expectBadInput("order_by_direction=up", naming: "order_by_direction")
        expectBadInput("start_date=last%20week", naming: "start_date")
        expectBadInput("success=maybe", naming: "success")
        expectBadInput("colour=red", naming: "colour")
    }

    @Test("deletion: filters, limit and order; unknown parameters refused")
    func deletion() throws {
        let parsed = try LogQueryParser.deletion(
            QueryParameters("filters.key=success&filters.operator=eq&filters.value=false&limit=10&order_by=created_at"))
        #expect(parsed.conditions == [LogCondition(.success, .equals, [.bool(false)])])
        #expect(parsed.limit == 10 && parsed.orderBy == .createdAt && !parsed.descending)
        #expect(throws: ManagementError.self) { try LogQueryParser.deletion(QueryParameters("limit=0")) }
        #expect(throws: ManagementError.self) { try LogQueryParser.deletion(QueryParameters("page=2")) }
    }
}
