import Testing

@testable import GatewayCore

/// Reading chosen top-level values out of a JSON object without parsing the rest.
@Suite("JSON top-level values: only the keys asked for, whatever the rest holds")
struct JSONTopLevelTests {
    func values(_ text: String, _ keys: Set<String>) -> [String: String]? {
        JSONTopLevel.values(in: Array(text.utf8)[...], keys: keys).map { found in
            Dictionary(found.map { ($0.key, String(decoding: $0.value, as: UTF8.self)) }, uniquingKeysWith: { a, _ in a })
        }
    }

    @Test("values of every kind, after strings holding braces, quotes and escapes")
    func kinds() {
        let json = #"""
            { "id": "a \"quoted\" } ] { [ text", "choices": [{"message": {"content": "}}}"}}],
              "usage" : {"prompt_tokens": 9, "details": {"x": [1, 2]}}, "n": -1.5e3, "ok": true, "none": null,
              "model":"gpt-4o" }
            """#
        #expect(
            values(json, ["usage", "n", "ok", "none", "model"]) == [
                "usage": #"{"prompt_tokens": 9, "details": {"x": [1, 2]}}"#, "n": "-1.5e3", "ok": "true", "none": "null",
                "model": #""gpt-4o""#,
            ])
        #expect(values(json, ["absent"]) == [:])
        #expect(values("{}", ["usage"]) == [:])
    }

    @Test("not an object, or malformed: nil, so the caller can fall back to a full parse")
    func malformed() {
        for bad in ["", "[1, 2]", "\"text\"", "{\"usage\": {\"a\": 1}", "{\"usage\" {}}", "{\"a\": \"unterminated}", "{\"a\": 1 \"b\": 2}", "{usage: 1}"] {
            #expect(values(bad, ["usage"]) == nil, "\(bad)")
        }
    }

    @Test("the model of a request body, with or without escapes; none when absent or not a string")
    func model() {
        #expect(UsageExtractor.model(inRequestBody: Array(#"{"messages":[{"content":"\"model\": \"x\""}],"model":"gpt-4o-mini"}"#.utf8)) == "gpt-4o-mini")
        #expect(UsageExtractor.model(inRequestBody: Array(#"{"model":"org\/model-\u00e9"}"#.utf8)) == "org/model-é")
        #expect(UsageExtractor.model(inRequestBody: Array(#"{"model": 42}"#.utf8)) == nil)
        #expect(UsageExtractor.model(inRequestBody: Array(#"{"prompt":"hi"}"#.utf8)) == nil)
        #expect(UsageExtractor.model(inRequestBody: Array("not json".utf8)) == nil)
    }
}
