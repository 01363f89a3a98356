import AIGateway
import Foundation
import PropertyBased
import Synchronization
import TestSupport
import Testing

@testable import GatewayCore

/// Fuzzing the management API's reader of `otel` exporters with bodies built from their own
/// fields and hostile values: the answer is exporters whose URLs the upstream client reads and
/// whose credentials are sealed (never in clear), or a 400 naming the field. Both are reached.
@Suite("Fuzz: otel exporter bodies")
struct TelemetryInputFuzzTests {
    static let cipher = try! ProviderKeyCipher(masterKey: "fuzzing master key, 32 characters")
    static let urls: [JSONValue] = [
        "http://127.0.0.1:4318/v1/traces", "https://collector.example/v1/traces", "ftp://x", "http://", "http://a b/",
        "http://user@host/", "http://h:99999/", "https://h/#frag", "", .null, 5, .string(String(repeating: "h", count: 3000)),
    ]
    static let headers: [JSONValue] = [
        [:], ["x-key": "secret-value"], ["bad name": "v"], ["x-key": "line\r\nbreak"], ["host": "h"], ["x": 1], "not an object",
        .null, ["x-key": "[redacted]"],
    ]
    static let authorizations: [JSONValue] = ["Bearer secret-token", "", "a\nb", .null, 7, "[redacted]"]
    static let contentTypes: [JSONValue] = ["json", "protobuf", "xml", .null, true]

    static func body(_ choices: [Int]) -> JSONValue {
        var builder = SettingsInputFuzzTests.Builder(choices: choices)
        let count = builder.pick(8)
        var exporters: [JSONValue] = []
        for _ in 0..<count {
            if builder.pick(6) == 0 {
                exporters.append(builder.value(["x", 1, .null]))
                continue
            }
            var exporter = builder.object([
                "url": urls, "headers": headers, "authorization": authorizations, "content_type": contentTypes,
            ], extra: ["endpoint", ""])
            if builder.pick(3) != 0, case .object(var members) = exporter {
                members["url"] = members["url"] ?? "http://127.0.0.1:4318/v1/traces"
                exporter = .object(members)
            }
            exporters.append(exporter)
        }
        return builder.pick(10) == 0 ? builder.value(["otel", 1, ["url": "x"]]) : .array(exporters)
    }

    @Test("any otel body gives usable exporters with sealed credentials, or a 400 naming otel")
    func exporters() async {
        let reached = Mutex((parsed: 0, refused: 0))
        await propertyCheck(count: FuzzInputs.count, input: Gen.int(in: 0...10_000).array(of: 1...40)) { choices in
            let body = Self.body(choices)
            do {
                guard let exporters = try TelemetryInput.exporters(body, gatewayID: "g", previous: nil, cipher: Self.cipher) else {
                    return
                }
                reached.withLock { $0.parsed += 1 }
                #expect(exporters.count <= TelemetryInput.maximumExporters)
                for exporter in exporters {
                    #expect(TelemetryInput.urlProblem(exporter.url) == nil)
                    #expect(["json", "protobuf", nil].contains(exporter.contentType))
                    #expect(exporter.headers.values.allSatisfy { $0 == OTelExporter.redacted })
                    #expect(exporter.authorization == nil || exporter.authorization == OTelExporter.redacted)
                    let encoded = String(decoding: try JSONEncoder().encode(exporter), as: UTF8.self)
                    #expect(!encoded.contains("secret"), "\(encoded)")
                    let secrets = try OTelExporterSecrets.of(exporter, gatewayID: "g", cipher: Self.cipher)
                    #expect(secrets.headers.keys.sorted() == exporter.headers.keys.sorted())
                }
            } catch let error as ManagementError {
                reached.withLock { $0.refused += 1 }
                #expect(error.httpStatus == 400 && error.message.hasPrefix("otel"), "\(error)")
            }
        }
        #expect(reached.withLock { $0.parsed > 0 && $0.refused > 0 })
    }
}
