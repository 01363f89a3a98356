import NIOCore

extension ByteBuffer {
    /// The same bytes in storage of their own size when this buffer is a small view into a
    /// much larger storage; otherwise the buffer itself.
    ///
    /// A request body collected from one read is a slice of the connection's read buffer.
    /// Kept (by a queued log record, a retry, the cache), such a slice holds the whole read
    /// buffer in memory, and the read side cannot reuse it. Bodies kept past the request
    /// are compacted first.
    public func compacted() -> ByteBuffer {
        guard storageCapacity - readableBytes > Self.tolerableWaste else { return self }
        return ByteBuffer(bytes: readableBytesView)
    }

    /// Unused storage not worth a copy to free.
    static let tolerableWaste = 1024
}
