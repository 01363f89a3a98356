import CompressNIO
import Foundation
import NIOCore

/// Reads a Logpush file back: its gzip members one after another, split into NDJSON lines.
public enum LogpushFileReader {
    /// The lines of the gzip NDJSON `bytes` (one or more gzip members), without newlines.
    public static func lines(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var compressed = ByteBuffer(bytes: bytes)
        var plain: [UInt8] = []
        while compressed.readableBytes > 0 {
            let before = compressed.readableBytes
            let member: ByteBuffer
            do {
                member = try compressed.decompress(with: .gzip())
            } catch {
                throw LogpushError("the file is not gzip, or is cut short (\(before) bytes left unread): \(error)")
            }
            // Every batch ends with a newline: a member that does not was cut short.
            guard member.readableBytesView.last == UInt8(ascii: "\n") else {
                throw LogpushError("the file is cut short: its last batch ends in the middle of a line")
            }
            plain += member.readableBytesView
            guard compressed.readableBytes < before else { break }
        }
        return plain.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map(Array.init)
    }
}
