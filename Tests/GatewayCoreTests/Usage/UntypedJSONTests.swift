import Foundation
import Testing

@testable import GatewayCore

/// The usage parsers' JSON reader: Swift values out of the slices the log writer cuts.
@Suite("Untyped JSON: well-formed values read as Swift values, anything else as nil")
struct UntypedJSONTests {
    func parse(_ text: String) -> Any? {
        UntypedJSON.parse(Array(text.utf8)[...])
    }

    @Test("objects, arrays, numbers, booleans; null is absent")
    func kinds() throws {
        let object = try #require(
            parse(#" { "a": 1, "b": -2.5, "c": [true, false, null, "x"], "d": {"e": {}}, "f": null, "g": [] } "#)
                as? [String: Any])
        #expect(object["a"] as? Int == 1)
        #expect(object["b"] as? Double == -2.5)
        let array = try #require(object["c"] as? [Any])
        #expect(array.count == 3)
        #expect(array[0] as? Bool == true)
        #expect(array[1] as? Bool == false)
        #expect(array[2] as? String == "x")
        #expect((object["d"] as? [String: Any])?["e"] is [String: Any])
        #expect(object["f"] == nil)
        #expect((object["g"] as? [Any])?.isEmpty == true)
        #expect(parse("null") == nil)
    }

    @Test("whole numbers that fit are Int; fractions, exponents and larger numbers are Double")
    func numbers() {
        #expect(parse("0") as? Int == 0)
        #expect(parse("-17") as? Int == -17)
        #expect(parse("9223372036854775807") as? Int == Int.max)
        #expect(parse("9223372036854775808") as? Double == 9_223_372_036_854_775_808)
        #expect(parse("1.5e3") as? Double == 1500)
        #expect(parse("2E-2") as? Double == 0.02)
        #expect(parse("1e+2") as? Double == 100)
        #expect(UntypedJSON.int(parse("12.9")) == 12)
        #expect(UntypedJSON.int(parse("1e300")) == nil)
        #expect(UntypedJSON.int(parse("\"12\"")) == nil)
    }

    @Test("strings: every escape, \\u escapes with surrogate pairs, raw UTF-8")
    func strings() {
        #expect(parse(#""plain""#) as? String == "plain")
        #expect(parse(#""q\" b\\ s\/ \b\f\n\r\t""#) as? String == "q\" b\\ s/ \u{8}\u{c}\n\r\t")
        #expect(parse(#""caf\u00e9 \u00E9""#) as? String == "café é")
        #expect(parse(#""\ud83d\ude00""#) as? String == "😀")
        #expect(parse("\"déjà 😀\"") as? String == "déjà 😀")
    }

    @Test("malformed input reads as nil, never as part of a value")
    func malformed() {
        let bad = [
            "", "   ", "{", "[", "{\"a\": 1", "{\"a\" 1}", "{\"a\": 1,}", "[1,]", "[1 2]", "{a: 1}", "{\"a\": 1} x",
            "\"unterminated", "\"bad \\x escape\"", "\"lone \\ud83d surrogate\"", "\"\\u12\"", "\"tab\there\"",
            "01", "-", "1.", "1e", ".5", "+1", "tru", "nul", "falsey", "NaN",
        ]
        for text in bad {
            #expect(parse(text) == nil, "\(text)")
        }
    }

    @Test("nesting is bounded: 64 levels read, deeper refused")
    func depth() {
        let deep = { (levels: Int) in String(repeating: "[", count: levels) + String(repeating: "]", count: levels) }
        #expect(parse(deep(UntypedJSON.maximumDepth)) is [Any])
        #expect(parse(deep(UntypedJSON.maximumDepth + 1)) == nil)
        #expect(parse(deep(100_000)) == nil)
    }

    @Test("reads what JSONSerialization reads, on providers' usage objects")
    func agreesWithFoundation() throws {
        let samples = [
            #"{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#,
            #"{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"service_tier":"standard"}"#,
            #"{"promptTokenCount":8,"candidatesTokenCount":12,"totalTokenCount":20,"promptTokensDetails":[{"modality":"TEXT","tokenCount":8}]}"#,
            #"{"response":"Hello \"there\"\n","usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}"#,
        ]
        for sample in samples {
            let ours = try #require(parse(sample) as? NSDictionary, "\(sample)")
            let foundation = try #require(
                try JSONSerialization.jsonObject(with: Data(sample.utf8)) as? NSDictionary, "\(sample)")
            #expect(ours == foundation, "\(sample)")
        }
    }
}
