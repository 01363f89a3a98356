import AIGateway
import Foundation
import NIOCore
import Testing

@testable import GatewayCore

@Suite("Guardrails: reading guards' answers, the text screened, long content in pieces, streams screened across events")
struct GuardrailTests {
    func verdict(_ json: String) -> [String]? { GuardVerdict.categories(in: Array(json.utf8)) }

    @Test("Llama Guard's text and object forms, an OpenAI-style answer, and prompt guard labels")
    func guardAnswers() {
        #expect(verdict(#"{"result":{"response":"safe"},"success":true}"#) == [])
        #expect(verdict(#"{"result":{"response":"unsafe\nS1,S10"},"success":true}"#) == ["S1", "S10"])
        #expect(verdict(#"{"result":{"response":{"safe":false,"categories":["s3"]}}}"#) == ["S3"])
        #expect(verdict(#"{"choices":[{"message":{"role":"assistant","content":"unsafe\nS13"}}]}"#) == ["S13"])
        #expect(verdict(#"{"result":{"response":"JAILBREAK"}}"#) == ["P1"])
        #expect(verdict(#"{"result":{"response":"BENIGN"}}"#) == [])
        #expect(verdict(#"{"result":{"response":"I cannot say"}}"#) == nil)
        #expect(verdict("not json") == nil)
        #expect(verdict(#"{"results":[{"flagged":true,"categories":{"hate":true,"harassment":true,"violence":false,"sexual/minors":true}}]}"#) == ["S10", "S4"])
        #expect(verdict(#"{"results":[{"flagged":false,"categories":{"hate":false}}]}"#) == [])
    }

    @Test("the text screened is the content of messages, prompts and stream events, not roles or ids")
    func screenedText() {
        let request = #"{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi there"}]}]}"#
        #expect(ScreenedText.extract(Array(request.utf8), contentType: "application/json") == "be brief\nhi there")
        let stream = "data: {\"choices\":[{\"delta\":{\"content\":\"4111 \"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"1111\"}}]}\n\ndata: [DONE]\n\n"
        #expect(ScreenedText.extract(Array(stream.utf8), contentType: "text/event-stream") == "4111 1111")
    }

    @Test("long content reaches the guard in overlapping pieces of at most 8,000 characters")
    func pieces() {
        #expect(GatewayPipeline.pieces(of: "short") == ["short"])
        let long = String(repeating: "abcdefghij", count: 2000)
        let pieces = GatewayPipeline.pieces(of: long)
        #expect(pieces.count == 3 && pieces.allSatisfy { $0.count <= GatewayPipeline.guardPiece })
        #expect(pieces.joined().count >= long.count)
    }

    @Test("a card number split across stream events is found; events are held until enough text follows them")
    func streamAcrossEvents() throws {
        let scanner = try #require(DLPScanner(DLPSettings(policies: [DLPPolicy(id: "b", action: "BLOCK", check: ["RESPONSE"], profiles: ["credit_card"])])))
        var filter = DLPStreamFilter(scanner: scanner)
        func event(_ text: String) -> ByteBuffer { ByteBuffer(string: "data: {\"choices\":[{\"delta\":{\"content\":\"\(text)\"}}]}\n\n") }
        #expect(filter.pass(event("card 4111 "))?.readableBytes == 0, "held: too little text follows")
        #expect(filter.pass(event("1111 1111 ")) != nil)
        #expect(filter.pass(event("1111 end")) == nil, "the completed number blocks")
        #expect(filter.findings.map(\.profile) == ["credit_card"] && filter.action == "BLOCK")

        var flagging = DLPStreamFilter(scanner: DLPScanner(DLPSettings(policies: [DLPPolicy(id: "f", action: "FLAG", check: ["RESPONSE"], profiles: ["email"])]))!)
        var out = ""
        for piece in ["write to ", "ada@exam", "ple.com ", "today"] { out += String(buffer: flagging.pass(event(piece))!) }
        out += String(buffer: flagging.finish()!)
        #expect(out.contains("ada@exam") && flagging.findings.count == 1)
    }
}
