import Foundation
import HTTPTypes
import NIOCore

/// A cache tier that several gateway processes share (behind each one's in-memory cache):
/// an answer one process kept can be served by the others without calling the provider.
public protocol SharedCacheTier: Sendable {
    /// The fresh entry for `key`, or nil (also when the tier does not answer in time).
    func entry(for key: CacheKey) async -> ResponseCache.Entry?
    /// Keeps an entry (called off the request path).
    func store(_ entry: ResponseCache.Entry, for key: CacheKey) async
    /// Drops a gateway's entries.
    func removeAll(gatewayID: String) async
    /// Drops expired entries.
    func evictExpired() async
}

extension CacheKey {
    /// The key's digest as hex, for a shared tier's table.
    public var hex: String { digest.hexString }
}

extension ResponseCache.Entry {
    /// An entry read back from a shared tier.
    public init(status: Int, headers: HTTPFields, chunks: [ByteBuffer], expiresAt: Date) {
        self.init(
            status: status, headers: headers, chunks: chunks, bytes: chunks.reduce(0) { $0 + $1.readableBytes },
            expiresAt: expiresAt)
    }

    /// The headers as `[[name, value], ...]` JSON.
    public var headersJSON: String {
        let pairs = headers.map { [$0.name.rawName, $0.value] }
        return (try? String(decoding: JSONEncoder().encode(pairs), as: UTF8.self)) ?? "[]"
    }

    /// Headers from `[[name, value], ...]` JSON.
    public static func headers(fromJSON json: String) -> HTTPFields {
        var fields = HTTPFields()
        for pair in (try? JSONDecoder().decode([[String]].self, from: Data(json.utf8))) ?? [] where pair.count == 2 {
            if let name = HTTPField.Name(pair[0]) { fields.append(HTTPField(name: name, value: pair[1])) }
        }
        return fields
    }

    /// The chunks in one buffer, each behind its length (4 bytes, big-endian), so a stream
    /// replays with its chunk boundaries.
    public var packedChunks: ByteBuffer {
        var packed = ByteBuffer()
        for chunk in chunks {
            packed.writeInteger(UInt32(chunk.readableBytes))
            packed.writeImmutableBuffer(chunk)
        }
        return packed
    }

    /// Chunks unpacked from ``packedChunks``.
    public static func chunks(fromPacked packed: ByteBuffer) -> [ByteBuffer] {
        var packed = packed
        var chunks: [ByteBuffer] = []
        while let length = packed.readInteger(as: UInt32.self), let chunk = packed.readSlice(length: Int(length)) {
            chunks.append(chunk)
        }
        return chunks
    }
}
