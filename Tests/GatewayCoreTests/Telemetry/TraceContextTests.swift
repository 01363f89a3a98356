import HTTPTypes
import PropertyBased
import Synchronization
import TestSupport
import Testing

@testable import GatewayCore

/// Where a request's spans sit: the caller's trace from `cf-aig-otel-*` or `traceparent`,
/// else a new one; a malformed `traceparent` is ignored, a malformed `cf-aig-otel-*` refused.
@Suite("Trace context")
struct TraceContextTests {
    @Test("a valid traceparent is read, and written back with the gateway's span as parent")
    func traceparent() throws {
        let context = try #require(TraceContext.parse(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(context.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.parentSpanID?.hexString == "00f067aa0ba902b7")
        let span: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        #expect(context.traceparent(spanID: span) == "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01")
    }

    @Test(
        "malformed traceparent values are ignored",
        arguments: [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ])
    func malformed(value: String) {
        #expect(TraceContext.parse(traceparent: value) == nil)
    }

    @Test("cf-aig-otel-* win over traceparent; neither gives a new trace")
    func precedence() throws {
        var headers = HTTPFields()
        headers[TraceContext.traceparentHeader] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        headers[HTTPField.Name("cf-aig-otel-trace-id")!] = "0af7651916cd43dd8448eb211c80319c"
        let directives = try RequestDirectives(headers: headers)
        #expect(TraceContext.of(directives: directives, headers: headers).traceID.hexString == "0af7651916cd43dd8448eb211c80319c")
        #expect(TraceContext.of(directives: directives, headers: headers).parentSpanID == nil)
        let fresh = TraceContext.of(directives: RequestDirectives(), headers: HTTPFields())
        #expect(fresh.traceID.count == 16 && fresh.parentSpanID == nil && fresh.traceID.contains { $0 != 0 })
    }

    @Test("a cf-aig-otel header that is not hex of the right length is a 400 naming it")
    func badDirective() {
        let cases = [
            ("cf-aig-otel-trace-id", "xyz"), ("cf-aig-otel-parent-span-id", "00000000000000000"),
            ("cf-aig-otel-trace-id", String(repeating: "0", count: 32)),
        ]
        for (name, value) in cases {
            var headers = HTTPFields()
            headers[HTTPField.Name(name)!] = value
            do {
                _ = try RequestDirectives(headers: headers)
                Issue.record("\(name): \(value) was accepted")
            } catch let error as GatewayError {
                #expect(error.httpStatus == 400 && error.message.contains(name))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    static let versions = ["00", "01", "ff", "0", "zz", " 00"]
    static let traceIDs = ["4bf92f3577b34da6a3ce929d0e0e4736", "00000000000000000000000000000000", "4BF92F3577B34DA6A3CE929D0E0E4736", "4bf9", "g" + String(repeating: "0", count: 31)]
    static let spanIDs = ["00f067aa0ba902b7", "0000000000000000", "00f067aa0ba902b", "00F067AA0BA902B7", "x0f067aa0ba902b7"]
    static let flags = ["01", "00", "1", "zz", "01 ", "01\t"]

    @Test("any traceparent parses to ids of the right lengths, not all zero, that write back unchanged, or to nothing; both happen")
    func fuzz() async {
        let reached = Mutex((parsed: 0, ignored: 0))
        await propertyCheck(count: FuzzInputs.count, input: Gen.int(in: 0...10_000).array(of: 4...6)) { choices in
            var fields = [
                Self.versions[choices[0] % Self.versions.count], Self.traceIDs[choices[1] % Self.traceIDs.count],
                Self.spanIDs[choices[2] % Self.spanIDs.count], Self.flags[choices[3] % Self.flags.count],
            ]
            if choices.count > 4 { fields.append(choices[4] % 2 == 0 ? "extra" : "") }
            let value = fields.joined(separator: "-")
            guard let context = TraceContext.parse(traceparent: value) else {
                reached.withLock { $0.ignored += 1 }
                return
            }
            reached.withLock { $0.parsed += 1 }
            #expect(context.traceID.count == 16 && context.traceID.contains { $0 != 0 })
            #expect(context.parentSpanID?.count == 8 && context.parentSpanID!.contains { $0 != 0 })
            let written = context.traceparent(spanID: context.parentSpanID!)
            let expected = value.trimmingHTTPWhitespace.split(separator: "-", omittingEmptySubsequences: false)[1...3].joined(separator: "-")
            #expect(written.dropFirst(3) == expected[...], "\(value)")
        }
        #expect(reached.withLock { $0.parsed > 0 && $0.ignored > 0 })
    }
}
