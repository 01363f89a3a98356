import AIGateway
import Foundation
import PropertyBased
import Testing

/// Fuzzing the strict JSON reader against Foundation's, which is more lenient: what the
/// strict reader accepts, Foundation reads to the same value; what it refuses, it places
/// within the text.
@Suite("Fuzz: strict JSON")
struct JSONReaderFuzzTests {
    static let count = Int(ProcessInfo.processInfo.environment["AIGW_FUZZ_COUNT"] ?? "") ?? 1000

    static let pieces = [
        "{", "}", "[", "]", ",", ":", "\"", "\"a\"", "\"b\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\n\"",
        "\"\\x\"", "true", "false", "null", "0", "-0", "1", "-1.5e-3", "1E+2", "01", "1.", ".5", "-", "1e999", " ", "\n", "\t",
        "\u{0}", "\u{1}", "//", "/*", "'a'", "NaN", "é", "\u{FEFF}",
    ]

    static func text(length: ClosedRange<Int>) -> Generator<[UInt8], some SendableSequenceType> {
        Gen.int(in: 0...(pieces.count + 255)).array(of: length).map { choices in
            choices.flatMap { $0 < pieces.count ? Array(pieces[$0].utf8) : [UInt8($0 - pieces.count)] }
        }
    }

    @Test("accepted text reads to what Foundation reads; refused text is placed within it")
    func againstFoundation() async {
        await propertyCheck(count: Self.count, input: Self.text(length: 0...20)) { bytes in
            do {
                let value = try JSONReader.parse(bytes)
                let foundation = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
                #expect(foundation == value, "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
                // What the gateway writes back out reads again to the same value.
                #expect(try JSONReader.parse(value.jsonData()) == value)
            } catch let failure as JSONReader.Failure {
                #expect((0...bytes.count).contains(failure.offset) && failure.line >= 1 && failure.column >= 1)
            } catch {
                Issue.record("not a JSONReader.Failure: \(error)")
            }
        }
    }

    @Test("objects and arrays nested to any depth are read or refused, never a crash")
    func nesting() async {
        await propertyCheck(count: max(1, Self.count / 10), input: Gen.int(in: 0...400), Gen.int(in: 0...1)) { depth, kind in
            let (open, close) = kind == 0 ? ("[", "]") : ("{\"k\":", "}")
            let text = String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
            let accepted = (try? JSONReader.parse(Array(text.utf8))) != nil
            #expect(accepted == (depth <= JSONReader.maximumDepth))
        }
    }
}
