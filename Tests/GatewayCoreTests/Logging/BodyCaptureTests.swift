import NIOCore
import Testing

@testable import GatewayCore

@Suite("Body capture: a capped copy that keeps a stream's end")
struct BodyCaptureTests {
    @Test("keeps everything under the cap")
    func underCap() {
        var capture = BodyCapture(cap: 100)
        capture.append(ByteBuffer(string: "hello "))
        capture.append(ByteBuffer(string: "world"))
        #expect(String(buffer: capture.head) == "hello world")
        #expect(capture.isComplete)
        #expect(capture.totalBytes == 11)
    }

    @Test("a first chunk that fits is shared, not copied; a small slice of a large buffer is copied out")
    func firstChunkShared() {
        let answer = ByteBuffer(string: #"{"id":"cached answer"}"#)
        let capture = BodyCapture(cap: 100, body: answer)
        #expect(capture.head == answer)
        capture.head.withUnsafeReadableBytes { head in
            answer.withUnsafeReadableBytes { #expect(head.baseAddress == $0.baseAddress) }
        }
        var storage = ByteBuffer(repeating: 7, count: 64 * 1024)
        let slice = storage.readSlice(length: 10)!
        let copied = BodyCapture(cap: 100, body: slice)
        #expect(copied.head == slice && copied.head.storageCapacity < 1024)
    }

    @Test("past the cap it keeps the head and the latest bytes, so a final usage event survives")
    func overCap() {
        var capture = BodyCapture(cap: 10)
        capture.append(ByteBuffer(string: "0123456789abcdef"))
        for _ in 0..<5000 { capture.append(ByteBuffer(string: "data: {\"x\":1}\n\n")) }
        capture.append(ByteBuffer(string: "data: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"))
        #expect(capture.head.readableBytes == 10)
        #expect(!capture.isComplete)
        #expect(capture.tail.count <= 2 * BodyCapture.tailLimit)
        let usage = UsageExtractor.usage(in: capture.scannableBytes, contentType: "text/event-stream", parser: OpenAIUsageParser())
        #expect(usage.totalInput == 3)
        #expect(usage.output == 4)
    }
}
