import AIGateway
import Foundation
import Testing

@testable import GatewayStore

@Suite("Metadata JSON: the text both stores keep for a log's metadata")
struct MetadataJSONTests {
    @Test("keys sorted, whole numbers without a fraction, no spaces")
    func shape() {
        let metadata: LogMetadata = ["user": "u1", "n": 3, "ratio": 0.25, "ok": true, "none": nil]
        #expect(MetadataJSON.encode(metadata) == #"{"n":3,"none":null,"ok":true,"ratio":0.25,"user":"u1"}"#)
        #expect(MetadataJSON.encode([:]) == "{}")
    }

    @Test("strings are escaped so that any text reads back the same, NUL as U+FFFD")
    func escaping() throws {
        let text = "quote \" backslash \\ slash / newline \n tab \t bell \u{7} ünï 😀"
        let metadata: LogMetadata = ["k\"ey": .string(text), "nul": .string("a\u{0}b"), "big": .number(1e20), "tiny": .number(-1.5e-7)]
        let json = MetadataJSON.encode(metadata)
        let decoded = try JSONDecoder().decode(LogMetadata.self, from: Data(json.utf8))
        #expect(decoded["k\"ey"] == .string(text))
        #expect(decoded["nul"] == .string("a\u{FFFD}b"))
        #expect(decoded["big"] == .number(1e20) && decoded["tiny"] == .number(-1.5e-7))
        #expect(!json.utf8.contains(0) && !json.contains("\\u0000"))
    }
}
