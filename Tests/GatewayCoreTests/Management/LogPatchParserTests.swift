import AIGateway
import Foundation
import GatewayCore
import Testing

@Suite("PATCH bodies for a log: feedback, score, metadata, each checked")
struct LogPatchParserTests {
    func parse(_ json: String) throws -> LogPatch {
        try LogPatchParser.parse(Data(json.utf8))
    }

    func expectBadInput(_ json: String, naming field: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(json)
            Issue.record("\(json) was accepted", sourceLocation: sourceLocation)
        } catch let error as ManagementError {
            #expect(error.httpStatus == 400 && error.message.hasPrefix(field), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("any subset; null clears")
    func subsets() throws {
        #expect(try parse(#"{"feedback": 1}"#) == LogPatch(feedback: 1))
        #expect(try parse(#"{"feedback": -1, "score": 0}"#) == LogPatch(feedback: -1, score: 0))
        #expect(try parse(#"{"score": null, "metadata": null}"#) == LogPatch(score: nil, metadata: nil))
        #expect(try parse(#"{"metadata": {"user": "123", "n": 2, "ok": true}}"#) == LogPatch(metadata: ["user": "123", "n": 2, "ok": true]))
    }

    @Test("bad input names the field")
    func badInput() {
        expectBadInput(#"{"feedback": 2}"#, naming: "feedback")
        expectBadInput(#"{"feedback": 0}"#, naming: "feedback")
        expectBadInput(#"{"feedback": "1"}"#, naming: "feedback")
        expectBadInput(#"{"score": 101}"#, naming: "score")
        expectBadInput(#"{"score": 50.5}"#, naming: "score")
        expectBadInput(#"{"metadata": {"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}}"#, naming: "metadata")
        expectBadInput(#"{"metadata": {"user": {"id": 1}}}"#, naming: "metadata.user")
        expectBadInput(#"{"metadata": [1]}"#, naming: "metadata")
        expectBadInput(#"{"rating": 5}"#, naming: "rating")
        expectBadInput(#"{}"#, naming: "body")
        expectBadInput(#"[1]"#, naming: "body")
        expectBadInput("not json", naming: "body")
    }

    @Test("the binding's body holds only what changes")
    func bindingBody() throws {
        let body = LogPatch(feedback: 1, score: nil).jsonBody()
        #expect(String(decoding: body, as: UTF8.self) == #"{"feedback":1,"score":null}"#)
        #expect(try parse(String(decoding: body, as: UTF8.self)) == LogPatch(feedback: 1, score: nil))
    }
}
