import AIGateway
import GatewayCore

/// Where logs live. The SQLite store is the embedded default; the batch writer is the
/// only thing that writes, the management API and tests read.
public protocol LogStore: Sendable {
    /// Brings the schema to the newest version; run before the server opens its port.
    func migrate() async throws
    /// Writes a batch of logs in one transaction: all of them, or none.
    func insert(_ logs: [StoredLog]) async throws
    /// One log of a gateway, or nil.
    func log(id: String, gatewayID: String) async throws -> AIGatewayLog?
    /// The stored request and response bodies of a log (nil where not kept).
    func bodies(id: String) async throws -> (request: [UInt8]?, response: [UInt8]?)
    /// How many logs there are, in one gateway or in all.
    func count(gatewayID: String?) async throws -> Int
    /// Succeeds when the database answers (for `/readyz`).
    func ping() async throws
    /// Releases the database.
    func close() async throws
}
