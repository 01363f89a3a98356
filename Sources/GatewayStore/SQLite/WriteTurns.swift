/// Gives writers one turn each, in arrival order, without blocking a thread.
///
/// The SQLite store uses it for every write: SQLite allows one writer at a time, and two
/// connections of one process waiting on each other through SQLite's busy timeout would park
/// threads of the small shared thread pool that sqlite-nio runs statements on, while the
/// statement that would release the lock waits for a thread: a stall. Taking turns here
/// first means no write ever waits inside SQLite. The management API uses it to apply
/// gateway changes one at a time (read, change, store), so concurrent edits lose nothing.
public actor WriteTurns {
    /// No turn taken yet.
    public init() {}

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` when no other turn is running.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
