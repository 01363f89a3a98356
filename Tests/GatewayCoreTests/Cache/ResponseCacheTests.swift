import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import GatewayCore

@Suite("Response cache: keys, TTL, byte-bounded LRU, and answers shared while in flight")
struct ResponseCacheTests {
    func key(_ body: String, gateway: String = "g", customKey: String? = nil, credential: String? = "k") -> CacheKey {
        CacheKey(
            gatewayID: gateway, method: "POST", provider: "openai", path: "chat/completions", query: nil,
            credentials: Array((credential ?? "").utf8), body: ByteBuffer(string: body), customKey: customKey)
    }

    /// Leads a request for `key` and records `chunks` as its 2xx answer.
    func store(_ cache: ResponseCache, _ key: CacheKey, _ chunks: [String], ttl: Int = 60) {
        guard case .lead(let leader) = cache.lookup(key, ttlSeconds: ttl) else {
            Issue.record("expected to lead")
            return
        }
        leader.begin(status: 200, headers: [.contentType: "text/event-stream"])
        for chunk in chunks { leader.append(ByteBuffer(string: chunk)) }
        leader.finish()
    }

    @Test("the key: every field counts, fields cannot run into each other, a custom key replaces the body")
    func keys() {
        #expect(key("a") == key("a"))
        #expect(key("a") != key("b") && key("a") != key("a", gateway: "h") && key("a") != key("a", credential: "other"))
        let split1 = CacheKey(gatewayID: "g", method: "POST", provider: "ab", path: "c", query: nil, credentials: [], body: ByteBuffer(), customKey: nil)
        let split2 = CacheKey(gatewayID: "g", method: "POST", provider: "a", path: "bc", query: nil, credentials: [], body: ByteBuffer(), customKey: nil)
        #expect(split1 != split2)
        #expect(key("a", customKey: "x") == key("b", customKey: "x") && key("a", customKey: "x") != key("a"))
    }

    @Test("a stored answer is a hit with its chunks until its TTL runs out")
    func ttl() {
        let clock = ManualClock(0)
        let cache = ResponseCache(maxBytes: 1000, maxEntryBytes: 1000, now: { clock.now })
        store(cache, key("q"), ["data: 1\n\n", "data: 2\n\n"], ttl: 10)
        guard case .hit(let entry) = cache.lookup(key("q"), ttlSeconds: 10) else {
            Issue.record("expected a hit")
            return
        }
        #expect(entry.chunks.map { String(buffer: $0) } == ["data: 1\n\n", "data: 2\n\n"] && entry.status == 200)
        clock.advance(10)
        #expect(cache.evictExpired() == 1 && cache.size.entries == 0)
        if case .hit = cache.lookup(key("q"), ttlSeconds: 10) { Issue.record("expired entry served") }
    }

    @Test("past max_bytes the least recently used go; an answer over max_entry_bytes is not kept")
    func lru() {
        let cache = ResponseCache(maxBytes: 100, maxEntryBytes: 40)
        store(cache, key("a"), [String(repeating: "a", count: 30)])
        store(cache, key("b"), [String(repeating: "b", count: 30)])
        _ = cache.lookup(key("a"), ttlSeconds: 60)  // a is now more recently used than b
        store(cache, key("c"), [String(repeating: "c", count: 30)])
        store(cache, key("d"), [String(repeating: "d", count: 30)])  // 120 > 100: evict down to 90
        #expect(cache.size.bytes <= 90)
        if case .hit = cache.lookup(key("b"), ttlSeconds: 60) { Issue.record("b should have gone first") }
        if case .hit = cache.lookup(key("d"), ttlSeconds: 60) {} else { Issue.record("d should be kept") }
        store(cache, key("big"), [String(repeating: "x", count: 41)])
        if case .hit = cache.lookup(key("big"), ttlSeconds: 60) { Issue.record("an answer over max_entry_bytes was kept") }
    }

    @Test("while one request leads, identical ones follow its answer chunk by chunk; a failure frees them")
    func inFlight() async {
        let cache = ResponseCache(maxBytes: 1000, maxEntryBytes: 1000)
        guard case .lead(let leader) = cache.lookup(key("q"), ttlSeconds: 60),
            case .follow(let following) = cache.lookup(key("q"), ttlSeconds: 60)
        else {
            Issue.record("expected a leader and a follower")
            return
        }
        let follower = Task { () -> [String] in
            guard await following.head() != nil else { return ["no head"] }
            var got: [String] = []
            var index = 0
            while case .chunk(let chunk) = await following.next(index) {
                got.append(String(buffer: chunk))
                index += 1
            }
            following.followerLeft()
            return got
        }
        leader.begin(status: 200, headers: [:])
        leader.append(ByteBuffer(string: "one"))
        leader.append(ByteBuffer(string: "two"))
        leader.finish()
        #expect(await follower.value == ["one", "two"])
        if case .hit = cache.lookup(key("q"), ttlSeconds: 60) {} else { Issue.record("the finished answer should be kept") }

        guard case .lead(let failing) = cache.lookup(key("r"), ttlSeconds: 60),
            case .follow(let waiting) = cache.lookup(key("r"), ttlSeconds: 60)
        else { return }
        let freed = Task { await waiting.head() == nil }
        failing.fail()
        #expect(await freed.value)
        if case .lead = cache.lookup(key("r"), ttlSeconds: 60) {} else { Issue.record("a failed answer must not be kept") }
    }

    @Test("a leader whose relay is dropped without running frees its followers and leaves nothing in flight")
    func droppedLeader() async {
        let cache = ResponseCache(maxBytes: 1000, maxEntryBytes: 1000)
        guard case .lead(let leader) = cache.lookup(key("d"), ttlSeconds: 60),
            case .follow(let following) = cache.lookup(key("d"), ttlSeconds: 60)
        else {
            Issue.record("expected a leader and a follower")
            return
        }
        leader.begin(status: 200, headers: [:])
        var relayGuard: InFlightAnswer.SettleGuard? = InFlightAnswer.SettleGuard(leader)
        let follower = Task { () -> Bool in
            guard await following.head() != nil else { return false }
            if case .failed = await following.next(0) { return true }
            return false
        }
        #expect(relayGuard != nil)
        relayGuard = nil  // the server dropped the leader's response without writing its body
        #expect(await follower.value)
        if case .lead = cache.lookup(key("d"), ttlSeconds: 60) {} else { Issue.record("the dead leader is still in flight") }
    }

    @Test("clearing a gateway drops its entries only")
    func removeAll() {
        let cache = ResponseCache(maxBytes: 1000, maxEntryBytes: 1000)
        store(cache, key("a", gateway: "one"), ["x"])
        store(cache, key("a", gateway: "two"), ["y"])
        cache.removeAll(gatewayID: "one")
        #expect(cache.size.entries == 1)
        if case .hit = cache.lookup(key("a", gateway: "two"), ttlSeconds: 60) {} else { Issue.record("two's entry should stay") }
    }
}
