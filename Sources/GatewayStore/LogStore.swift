import Foundation
import AIGateway
import GatewayCore
import Logging
import ServiceLifecycle

/// What the log writer needs of a store: writing a batch.
public protocol LogBatchStore: Sendable {
    /// Writes a batch of logs in one transaction: all of them, or none. Idempotent: a batch
    /// written twice (a retry after a lost acknowledgement) is stored once.
    func insert(_ logs: [StoredLog]) async throws

    /// Whether `error`, thrown by ``insert(_:)``, says the store refused a value some record
    /// holds (a constraint, a value out of range or too large), rather than that it could not
    /// write at all (unreachable, busy, full). The writer then looks for the records at fault
    /// instead of retrying the whole batch forever.
    func isRefusal(_ error: any Error) -> Bool
}

extension LogBatchStore {
    /// No error is a refusal unless the store says so.
    public func isRefusal(_ error: any Error) -> Bool { false }
}

/// Where logs live. The batch writer is the only thing that inserts; the management API
/// reads, patches and deletes.
public protocol LogStore: LogBatchStore, LogLimitStore {
    /// Brings the schema to the newest version; run before the server opens its port.
    func migrate() async throws
    /// One log of a gateway, or nil.
    func log(id: String, gatewayID: String) async throws -> AIGatewayLog?
    /// One page of a gateway's logs, and how many match in all.
    func logs(gatewayID: String, query: LogQuery) async throws -> LogPage
    /// The analytics API's figures over the logs of one gateway (of all, for nil) that
    /// `query` selects, computed by the database (``AnalyticsSQL``).
    func analytics(gatewayID: String?, query: AnalyticsQuery) async throws -> GatewayAnalytics
    /// Applies `patch` to one log in a single statement (so concurrent patches of different
    /// fields all land) and returns the log as it now is, or nil when there is no such log.
    func patchLog(id: String, gatewayID: String, patch: LogPatch) async throws -> AIGatewayLog?
    /// Deletes the logs (and their bodies) `deletion` selects; returns how many.
    func deleteLogs(gatewayID: String, deletion: LogDeletion) async throws -> Int
    /// The bodies of a log stored apart from its row (`log_bodies`): nil where not kept, and
    /// where the log's head holds the body exactly. ``bodies(of:)`` gives the bodies either way.
    func separateBodies(id: String) async throws -> (request: [UInt8]?, response: [UInt8]?)
    /// How the logged requests of a gateway's dynamic route went since `since`: each version and
    /// path (element ids joined by `>`) with its count, the most taken first (at most 100).
    func routePaths(gatewayID: String, route: String, since: Date) async throws -> [(version: String, path: String, count: Int)]
    /// How many logs there are, in one gateway or in all.
    func count(gatewayID: String?) async throws -> Int
    /// Succeeds when the database answers (for `/readyz`).
    func ping() async throws
    /// Releases the database.
    func close() async throws
}

extension LogStore {
    /// The request and response bodies of `log` as they were sent (capped), nil where not
    /// kept: stored apart, or else the head, when the head is all of the body. (A head is
    /// only left without a separate copy when its text is the body byte for byte.)
    public func bodies(of log: AIGatewayLog) async throws -> (request: [UInt8]?, response: [UInt8]?) {
        let separate = try await separateBodies(id: log.id)
        let request = separate.request ?? (log.requestHeadComplete ? log.requestHead.map { Array($0.utf8) } : nil)
        let response = separate.response ?? (log.responseHeadComplete ? log.responseHead.map { Array($0.utf8) } : nil)
        return (request, response)
    }
}

/// One page of logs and the number matching the query across all pages.
public struct LogPage: Sendable {
    /// The logs of this page.
    public var logs: [AIGatewayLog]
    /// How many logs match the query, across all pages.
    public var totalCount: Int

    /// A page holding `logs` of `totalCount` matches.
    public init(logs: [AIGatewayLog], totalCount: Int) {
        self.logs = logs
        self.totalCount = totalCount
    }
}

/// Where gateways and their settings live, so that gateways created through the API or on
/// first use survive a restart.
public protocol GatewayRecordStore: Sendable {
    /// Every stored gateway.
    func gateways() async throws -> [GatewaySettings]
    /// Inserts a gateway unless one with its id exists; returns whether it did.
    func createGateway(_ settings: GatewaySettings) async throws -> Bool
    /// Inserts or replaces a gateway.
    func saveGateway(_ settings: GatewaySettings) async throws
    /// Deletes a gateway and its logs; false when there was no such gateway.
    func deleteGateway(id: String) async throws -> Bool
}

/// Where run tokens (as digests) and provider keys (sealed) live. Neither holds a secret in clear.
public protocol CredentialStore: Sendable {
    /// Every run token of every gateway.
    func runTokens() async throws -> [RunToken]
    /// Stores a new run token.
    func saveRunToken(_ token: RunToken) async throws
    /// Revokes a run token; false when the gateway has no such token.
    func deleteRunToken(id: String, gatewayID: String) async throws -> Bool
    /// Every stored provider key of every gateway.
    func providerKeys() async throws -> [StoredProviderKey]
    /// Stores a new provider key.
    func saveProviderKey(_ key: StoredProviderKey) async throws
    /// Deletes a provider key; false when the gateway has no such key.
    func deleteProviderKey(id: String, gatewayID: String) async throws -> Bool
}

/// A document a gateway owns (a dataset, an evaluation), which the store keeps as JSON text
/// and deletes with its gateway.
public struct GatewayDocument: Sendable, Equatable {
    /// What it is: `dataset`, `evaluation`.
    public var kind: String
    public var id: String
    public var gatewayID: String
    /// The document as JSON.
    public var body: String
    public var createdAt: Date

    public init(kind: String, id: String, gatewayID: String, body: String, createdAt: Date) {
        self.kind = kind
        self.id = id
        self.gatewayID = gatewayID
        self.body = body
        self.createdAt = createdAt
    }
}

/// Where gateways' documents live.
public protocol GatewayDocumentStore: Sendable {
    /// A gateway's documents of one kind, newest first.
    func documents(kind: String, gatewayID: String) async throws -> [GatewayDocument]
    /// Every gateway's documents of one kind.
    func documents(kind: String) async throws -> [GatewayDocument]
    /// Stores a document, replacing the body of one with the same kind and id.
    func saveDocument(_ document: GatewayDocument) async throws
    /// Deletes a document; false when the gateway has no such document.
    func deleteDocument(kind: String, id: String, gatewayID: String) async throws -> Bool
}

/// What a store adds so that several gateway processes sharing it act as one. A store one
/// process owns (SQLite) adds nothing: the defaults count rate limits in the process, keep
/// the cache in memory only, and have nothing to sync.
public protocol ProcessSharing: Sendable {
    /// The rate limiter of the gateways this store holds.
    func makeRateLimiter(logger: Logger) -> any RateLimiting
    /// Where spend-limit counters are kept: shared by every process for a shared store.
    func makeSpendLedger(logger: Logger) -> any SpendLedger
    /// A cache tier every process shares (`cache.shared`), or nil.
    func makeSharedCacheTier() -> (any SharedCacheTier)?
    /// A service that applies other processes' changes (gateways, run tokens, provider keys)
    /// to this one's `directory` and `features`, or nil.
    func makeStateSync(directory: GatewayDirectory, features: GatewayFeatures, logger: Logger) -> (any Service)?
}

extension ProcessSharing {
    public func makeRateLimiter(logger: Logger) -> any RateLimiting { RateLimiter() }
    public func makeSpendLedger(logger: Logger) -> any SpendLedger { LocalSpendLedger() }
    public func makeSharedCacheTier() -> (any SharedCacheTier)? { nil }
    public func makeStateSync(directory: GatewayDirectory, features: GatewayFeatures, logger: Logger) -> (any Service)? { nil }
}

/// A store of logs, gateways and credentials: what a running gateway needs. It is a service
/// of the gateway's group, the first (so it stops last): its `run()` holds what the store
/// needs while it is used (PostgreSQL's connection pool) and closes it at graceful shutdown.
/// Used on its own, run it around the work with ``whileRunning(_:)``.
public typealias DataStore = LogStore & GatewayRecordStore & CredentialStore & GatewayDocumentStore & ProcessSharing & LogpushStore & Service

extension Service {
    /// Runs this service while `body` runs, then stops it: for a store used outside a
    /// service group (a command, a test).
    public func whileRunning<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
