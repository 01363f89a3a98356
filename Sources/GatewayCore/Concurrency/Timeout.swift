/// The operation did not finish in time.
public struct TimedOut: Error, CustomStringConvertible {
    public let after: Duration
    public var description: String { "no answer within \(after)" }
}

/// Runs `operation`, throwing ``TimedOut`` (and cancelling it) if it takes longer than `limit`.
public func withTimeout<Value: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(after: limit)
        }
        defer { group.cancelAll() }
        // The first child to finish decides: a value, or an error (the operation's or TimedOut).
        return try await group.next()!
    }
}
