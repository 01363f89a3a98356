import AIGateway
import Testing

@Suite("Server-sent events: split correctly however the bytes are chunked")
struct ServerSentEventParserTests {
    let stream = "event: message_start\ndata: {\"a\":1}\n\n: a comment\ndata: line one\ndata: line two\r\n\r\ndata: [DONE]\n\n"

    @Test("whole, and fed one byte at a time, give the same events")
    func chunking() {
        var whole = ServerSentEventParser()
        let expected = whole.feed(Array(stream.utf8))
        #expect(
            expected == [
                ServerSentEvent(event: "message_start", data: #"{"a":1}"#), ServerSentEvent(data: "line one\nline two"),
                ServerSentEvent(data: "[DONE]"),
            ])
        #expect(expected.last?.isDone == true)
        var bytewise = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in stream.utf8 { events += bytewise.feed([byte]) }
        #expect(events == expected)
    }

    @Test("an event without a closing blank line is delivered at the end of the stream")
    func unterminated() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: tail".utf8)).isEmpty)
        #expect(parser.finish() == ServerSentEvent(data: "tail"))
    }
}
