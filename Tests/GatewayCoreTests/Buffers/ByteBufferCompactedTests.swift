import GatewayCore
import NIOCore
import Testing

@Suite("Bodies kept past the request hold only their own bytes")
struct ByteBufferCompactedTests {
    @Test("a small slice of a large storage is copied into storage of its own size")
    func sliceOfLargeStorage() throws {
        var read = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        read.writeString("POST /v1/... {\"model\":\"m\"}")
        read.moveReaderIndex(forwardBy: 13)
        let slice = read.readSlice(length: 13)
        let body = try #require(slice)
        #expect(body.storageCapacity >= 64 * 1024)
        let kept = body.compacted()
        #expect(kept == body)
        #expect(kept.storageCapacity < 1024)
    }

    @Test("a buffer that fills its storage, or nearly, is kept as it is")
    func tightBuffer() {
        let body = ByteBuffer(string: String(repeating: "x", count: 3000))
        let kept = body.compacted()
        #expect(kept == body)
        #expect(kept.storageCapacity == body.storageCapacity)
        #expect(ByteBuffer().compacted().readableBytes == 0)
    }
}
