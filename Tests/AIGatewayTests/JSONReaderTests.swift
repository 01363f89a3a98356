import AIGateway
import Foundation
import Testing

@Suite("Strict JSON: RFC 8259 and nothing more, with the place of every refusal")
struct JSONReaderTests {
    func parse(_ text: String) throws(JSONReader.Failure) -> JSONValue { try JSONReader.parse(Array(text.utf8)) }

    @Test("values of every kind read as they are written")
    func reads() throws {
        #expect(
            try parse(#" {"a": [1, -2.5e3, 0, true, false, null], "b": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "c": {}} "#)
                == .object([
                    "a": [1, -2500, 0, true, false, nil], "b": "x\"\\/\u{8}\u{c}\n\r\té😀", "c": .object([:]),
                ]))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("\"é\"") == "é")
        #expect(try parse("0.5") == 0.5)
    }

    @Test(
        "what is not JSON is refused, saying what and where",
        arguments: [
            (#"{"score": 1,}"#, "trailing ','", 13),
            ("[1,]", "trailing ','", 4),
            ("{'a': 1}", "expected a string key", 2),
            (#"{"a" 1}"#, "expected ':'", 6),
            ("// c\n1", "expected a value", 1),
            ("01", "leading zero", 2),
            ("1.", "'.' in a number", 3),
            ("-", "must be followed by a digit", 2),
            ("NaN", "expected a value", 1),
            ("tru", "expected a value", 1),
            ("\"a\tb\"", "control character", 3),
            (#""\x""#, "not a JSON escape", 3),
            (#""\ud800""#, "low surrogate", 8),
            (#""\udc00""#, "lone low surrogate", 8),
            ("\"abc", "not closed", 5),
            ("1 2", "unexpected text after", 3),
            ("", "unexpected end", 1),
            (#"{"a": 1, "a": 2}"#, "appears twice", 10),
            ("1e999", "too large", 1),
        ])
    func refuses(text: String, problem: String, column: Int) {
        #expect {
            try parse(text)
        } throws: { error in
            let failure = error as! JSONReader.Failure
            return failure.problem.contains(problem) && failure.column == column && failure.line == 1
        }
    }

    @Test("lines and columns count from 1 across newlines")
    func position() {
        #expect {
            try parse("{\n  \"a\": 1,\n}")
        } throws: { error in
            let failure = error as! JSONReader.Failure
            return failure.line == 3 && failure.column == 1 && failure.offset == 12
                && failure.description == "a trailing ',' before '}' is not JSON at line 3, column 1"
        }
    }

    @Test("invalid UTF-8 in a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
    }

    @Test("nesting is limited to 128 levels, and reaching the limit is no crash")
    func depth() throws {
        let deep = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        _ = try parse(deep)
        #expect(throws: JSONReader.Failure.self) {
            try parse(String(repeating: "[", count: 129) + String(repeating: "]", count: 129))
        }
        #expect(throws: JSONReader.Failure.self) { try parse(String(repeating: "{\"a\":", count: 100_000)) }
    }

    @Test("JSONValue(json:) is this reader")
    func jsonValueUsesIt() {
        #expect(throws: JSONReader.Failure.self) { try JSONValue(json: Data(#"{"score": 1,}"#.utf8)) }
    }
}
