import NIOCore

/// A capped copy of a body as it streams past: the first `cap` bytes, and once past the
/// cap, the last 64 KiB as well, so that a stream's final usage event is never lost.
public struct BodyCapture: Sendable {
    /// How many bytes of the head are kept.
    public let cap: Int
    /// The first `cap` bytes.
    public private(set) var head: ByteBuffer
    /// The latest bytes past the cap (at most twice ``tailLimit``, trimmed to it).
    public private(set) var tail: [UInt8] = []
    /// Every byte that went past, kept or not.
    public private(set) var totalBytes = 0

    static let tailLimit = 64 * 1024

    /// An empty capture keeping at most `cap` bytes of head.
    public init(cap: Int) {
        self.cap = max(0, cap)
        self.head = ByteBuffer()
    }

    /// A capture of a body already whole in memory.
    public init(cap: Int, body: ByteBuffer) {
        self.init(cap: cap)
        append(body)
    }

    /// Records one chunk.
    public mutating func append(_ chunk: ByteBuffer) {
        totalBytes += chunk.readableBytes
        let room = cap - head.readableBytes
        if room >= chunk.readableBytes {
            guard head.readableBytes > 0 else {
                // The first chunk is shared, not copied (a cached answer's bytes are already in
                // memory); compacted, so that a slice cannot hold a larger read buffer.
                head = chunk.compacted()
                return
            }
            var chunk = chunk
            head.writeBuffer(&chunk)
            return
        }
        var rest = chunk
        if room > 0, let part = rest.readSlice(length: room) {
            head.writeImmutableBuffer(part)
        }
        tail.append(contentsOf: rest.readableBytesView)
        if tail.count > 2 * Self.tailLimit {
            tail.removeFirst(tail.count - Self.tailLimit)
        }
    }

    /// Whether the head holds the whole body.
    public var isComplete: Bool { totalBytes == head.readableBytes }

    /// The bytes worth scanning for usage: the head, then the tail when there is one.
    public var scannableBytes: [UInt8] {
        var bytes = Array(head.readableBytesView)
        if !tail.isEmpty {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: tail)
        }
        return bytes
    }
}
