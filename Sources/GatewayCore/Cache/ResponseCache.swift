import Foundation
import HTTPTypes
import NIOCore
import ServiceLifecycle
import Synchronization

/// Answers kept for exact repeats of a request (SPEC section 7): only 2xx answers, whole or
/// streamed (kept chunk by chunk and replayed as the same stream), each for its TTL.
///
/// - Memory is bounded by bytes: past `maxBytes` the least recently used entries go (down
///   to 90%, so eviction is not paid on every insert); an answer over `maxEntryBytes` is
///   served but not kept.
/// - Identical requests in flight at once make one upstream call: the first leads, the
///   others follow its ``InFlightAnswer`` as it arrives.
/// - Expired entries are dropped when met, and by ``Eviction`` in the background.
public final class ResponseCache: Sendable {
    /// A kept answer.
    public struct Entry: Sendable {
        public var status: Int
        /// The headers sent to the client, without the gateway's own and without a length.
        public var headers: HTTPFields
        public var chunks: [ByteBuffer]
        public var bytes: Int
        public var expiresAt: Date
        var lastUsed: UInt64 = 0
    }

    /// What a lookup found.
    public enum Lookup: Sendable {
        /// A fresh entry: answer from it.
        case hit(Entry)
        /// The same request is being answered: follow it.
        case follow(InFlightAnswer)
        /// Nothing: call the provider, recording the answer into this.
        case lead(InFlightAnswer)
    }

    struct State {
        var entries: [CacheKey: Entry] = [:]
        var inFlight: [CacheKey: InFlightAnswer] = [:]
        var bytes = 0
        var tick: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The most bytes kept in all.
    public let maxBytes: Int
    /// The largest answer kept.
    public let maxEntryBytes: Int
    private let now: @Sendable () -> Date
    /// The tier shared with other gateway processes, behind this one, when configured.
    public let shared: (any SharedCacheTier)?

    /// A cache of at most `maxBytes`, reading the time from `now`, with an optional shared tier behind it.
    public init(
        maxBytes: Int, maxEntryBytes: Int, shared: (any SharedCacheTier)? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.maxBytes = maxBytes
        self.maxEntryBytes = min(maxEntryBytes, maxBytes)
        self.shared = shared
        self.now = now
    }

    /// Finds a fresh entry, or an answer in flight, or makes this request the leader whose
    /// answer (if it ends well) is kept for `ttlSeconds`.
    public func lookup(_ key: CacheKey, ttlSeconds: Int) -> Lookup {
        let time = now()
        return state.withLock { state in
            if var entry = state.entries[key] {
                if entry.expiresAt > time {
                    state.tick += 1
                    entry.lastUsed = state.tick
                    state.entries[key] = entry
                    return .hit(entry)
                }
                state.entries[key] = nil
                state.bytes -= entry.bytes
            }
            if let leader = state.inFlight[key] { return .follow(leader) }
            let leader = InFlightAnswer { [weak self] answer, succeeded, fromShared in
                self?.settle(key, answer, succeeded: succeeded, fromShared: fromShared, ttlSeconds: ttlSeconds)
            }
            state.inFlight[key] = leader
            return .lead(leader)
        }
    }

    /// A leader's answer ended: kept if it went well and fits, and no longer in flight.
    private func settle(_ key: CacheKey, _ answer: InFlightAnswer, succeeded: Bool, fromShared: Bool, ttlSeconds: Int) {
        let recorded = succeeded ? answer.recorded : nil
        let expiresAt = now().addingTimeInterval(Double(ttlSeconds))
        let kept: Entry? = state.withLock { state in
            if state.inFlight[key] === answer { state.inFlight[key] = nil }
            guard let recorded, (200..<300).contains(recorded.status), recorded.bytes <= maxEntryBytes else { return nil }
            state.tick += 1
            let entry = Entry(
                status: recorded.status, headers: recorded.headers, chunks: recorded.chunks, bytes: recorded.bytes,
                expiresAt: expiresAt, lastUsed: state.tick)
            if let replaced = state.entries.updateValue(entry, forKey: key) { state.bytes -= replaced.bytes }
            state.bytes += entry.bytes
            if state.bytes > maxBytes { Self.evictLeastRecentlyUsed(&state, downTo: maxBytes / 10 * 9) }
            return entry
        }
        // Other processes get it too, written off the request path.
        if let kept, !fromShared, let shared { Task { await shared.store(kept, for: key) } }
    }

    private static func evictLeastRecentlyUsed(_ state: inout State, downTo target: Int) {
        for (key, entry) in state.entries.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            guard state.bytes > target else { return }
            state.entries[key] = nil
            state.bytes -= entry.bytes
        }
    }

    /// Drops every entry of a gateway (its settings changed with `cache_invalidate_on_update`, or it was deleted).
    public func removeAll(gatewayID: String) {
        state.withLock { state in
            for (key, entry) in state.entries where key.gatewayID == gatewayID {
                state.entries[key] = nil
                state.bytes -= entry.bytes
            }
        }
        if let shared { Task { await shared.removeAll(gatewayID: gatewayID) } }
    }

    /// Drops expired entries; returns how many.
    @discardableResult
    public func evictExpired() -> Int {
        let time = now()
        return state.withLock { state in
            let expired = state.entries.filter { $0.value.expiresAt <= time }
            for (key, entry) in expired {
                state.entries[key] = nil
                state.bytes -= entry.bytes
            }
            return expired.count
        }
    }

    /// Entries and bytes kept now.
    public var size: (entries: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.bytes) } }

    /// Drops expired entries every `interval` until graceful shutdown.
    public struct Eviction: Service {
        let cache: ResponseCache
        let interval: Duration

        /// An eviction loop for `cache`.
        public init(cache: ResponseCache, interval: Duration) {
            self.cache = cache
            self.interval = interval
        }

        public func run() async throws {
            try? await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    cache.evictExpired()
                    await cache.shared?.evictExpired()
                }
            }
        }
    }
}
