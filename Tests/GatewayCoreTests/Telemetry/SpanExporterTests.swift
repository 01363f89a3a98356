import AIGateway
import Foundation
import Logging
import TestSupport
import Testing

@testable import GatewayCore

/// The span exporter's queue bounds, without a collector: what does not fit is dropped and
/// counted, never waited for, whether the bound reached is the count or the bytes.
@Suite("Span exporter queue")
struct SpanExporterTests {
    static let exporter = OTelExporter(url: "http://127.0.0.1:9/v1/traces")

    func span(textBytes: Int) -> ExportedSpan {
        ExportedSpan(
            traceID: Array(repeating: 1, count: 16), spanID: Array(repeating: 2, count: 8), parentSpanID: nil, name: "s",
            kind: .client, startNanos: 1, endNanos: 2,
            attributes: [SpanAttribute("gen_ai.prompt_json", .string(String(repeating: "x", count: textBytes)))])
    }

    func exporter(capacity: Int, capacityBytes: Int) throws -> SpanExporter {
        try SpanExporter(
            cipher: nil, metrics: .discarding, logger: .quietUnlessAsked(), version: "test", capacity: capacity,
            capacityBytes: capacityBytes)
    }

    @Test("a queue holds at most its count of spans; the rest are dropped and counted")
    func countBound() throws {
        let spans = try exporter(capacity: 3, capacityBytes: 1 << 30)
        spans.submit((0..<5).map { _ in span(textBytes: 10) }, gatewayID: "g", exporters: [Self.exporter])
        let status = try #require(spans.status(gatewayID: "g").first)
        #expect(status.queued == 3 && status.dropped == 2)
        #expect(!spans.hasRoom(gatewayID: "g", exporters: [Self.exporter]))
    }

    @Test("a queue holds at most its bytes of spans: large prompts cannot grow it past them")
    func byteBound() throws {
        let spans = try exporter(capacity: 4096, capacityBytes: 10_000)
        spans.submit((0..<10).map { _ in span(textBytes: 3000) }, gatewayID: "g", exporters: [Self.exporter])
        let status = try #require(spans.status(gatewayID: "g").first)
        #expect(status.queued == 3 && status.dropped == 7)
        // A small span still fits in what is left.
        spans.submit([span(textBytes: 10)], gatewayID: "g", exporters: [Self.exporter])
        #expect(spans.status(gatewayID: "g").first?.queued == 4)
    }
}
