import Foundation

/// Where the file destination stands: the open file, how many of its bytes are delivered
/// (committed with the queue rows they hold), and when it was begun. Kept in the store.
public struct LogpushFileCursor: Sendable, Codable, Equatable {
    /// The open file's name (ending `.partial`) in the directory.
    public var file: String
    /// Bytes of it that are delivered; anything past them is from a batch that was not.
    public var bytes: Int
    /// When the file was begun.
    public var openedAt: Date
}

/// Logpush's file destination: gzip NDJSON files in a directory, each batch one gzip member
/// appended to the open file (`….ndjson.gz.partial`) and flushed to disk before the batch
/// counts as delivered; the file is renamed to `….ndjson.gz` when it reaches `maxBytes` or
/// `maxAge`, at shutdown, and is then complete. Concatenated gzip members are one valid gzip
/// stream (`zcat`, Python's `gzip` read them whole).
///
/// After a crash the cursor tells what is delivered: bytes past it, and `.partial` files it
/// does not name, hold batches whose logs are still queued, and are removed (``recover(_:)``),
/// so that files never hold a log twice.
public struct LogpushFiles: Sendable {
    /// Where the files are.
    public let directory: URL
    /// The size past which the open file is finished.
    public let maxBytes: Int
    /// The age past which the open file is finished.
    public let maxAge: Duration

    /// Files in `directory`, rotated at `maxBytes` or `maxAge`.
    public init(directory: String, maxBytes: Int, maxAge: Duration) {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    static let partialSuffix = ".partial"

    /// Makes the directory if needed and puts it back to what `cursor` says is delivered.
    /// Returns the cursor to go on from (nil when the open file was already finished).
    public func recover(_ cursor: LogpushFileCursor?) throws -> LogpushFileCursor? {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        for name in names where name.hasSuffix(Self.partialSuffix) && name != cursor?.file {
            try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        guard let cursor else { return nil }
        let url = directory.appendingPathComponent(cursor.file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            // Renamed to its final name just before a crash: it was complete.
            return nil
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        if try handle.seekToEnd() > UInt64(cursor.bytes) {
            try handle.truncate(atOffset: UInt64(cursor.bytes))
            try handle.synchronize()
        }
        return cursor
    }

    /// Whether the open file is due to be finished.
    public func isDue(_ cursor: LogpushFileCursor, now: Date = Date()) -> Bool {
        cursor.bytes >= maxBytes || now.timeIntervalSince(cursor.openedAt) >= Double(maxAge.components.seconds)
    }

    /// Appends one gzip member to the open file (or a new one), flushed to disk; returns the
    /// cursor that delivers it.
    public func append(_ member: [UInt8], to cursor: LogpushFileCursor?, now: Date = Date()) throws -> LogpushFileCursor {
        var cursor = cursor ?? LogpushFileCursor(file: Self.newName(now) + Self.partialSuffix, bytes: 0, openedAt: now)
        let url = directory.appendingPathComponent(cursor.file)
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw LogpushError("cannot create \(url.path)")
            }
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(cursor.bytes))
        try handle.seek(toOffset: UInt64(cursor.bytes))
        try handle.write(contentsOf: member)
        try handle.synchronize()
        cursor.bytes += member.count
        return cursor
    }

    /// Gives the open file its final name: it is complete.
    public func finish(_ cursor: LogpushFileCursor) throws {
        let from = directory.appendingPathComponent(cursor.file)
        guard FileManager.default.fileExists(atPath: from.path) else { return }
        let to = directory.appendingPathComponent(String(cursor.file.dropLast(Self.partialSuffix.count)))
        try FileManager.default.moveItem(at: from, to: to)
    }

    /// `aigw-logs-20261207T091500123Z-1a2b3c.ndjson.gz`: sorted by name, sorted by time.
    static func newName(_ date: Date) -> String {
        let stamp = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            .filter { $0 != "-" && $0 != ":" && $0 != "." }
        return "aigw-logs-\(stamp)-\(TraceContext.randomID(bytes: 3).hexString).ndjson.gz"
    }
}
