import Synchronization

/// A record that belongs to one gateway and has an id (a run token, a stored key).
public protocol GatewayScopedRecord: Sendable {
    var id: String { get }
    var gatewayID: String { get }
}

/// Records grouped by gateway, in memory for the request path: loaded from the store at
/// start and changed by the management API alongside it.
public final class GatewayRecords<Record: GatewayScopedRecord>: Sendable {
    private let records: Mutex<[String: [Record]]>

    /// A list holding `records`.
    public init(_ records: [Record] = []) {
        self.records = Mutex(Dictionary(grouping: records, by: \.gatewayID))
    }

    /// A gateway's records, oldest first (ids are ULIDs).
    public func list(gatewayID: String) -> [Record] {
        records.withLock { ($0[gatewayID] ?? []).sorted { $0.id < $1.id } }
    }

    /// A gateway's records in no particular order (what the request path reads: no sorting).
    public func unordered(gatewayID: String) -> [Record] {
        records.withLock { $0[gatewayID] ?? [] }
    }

    /// The first of a gateway's records that matches.
    public func first(gatewayID: String, where matches: (Record) -> Bool) -> Record? {
        records.withLock { $0[gatewayID]?.first(where: matches) }
    }

    /// Adds a record.
    /// Every record, of every gateway.
    public func everyRecord() -> [Record] {
        records.withLock { $0.values.flatMap { $0 } }
    }

    public func add(_ record: Record) {
        records.withLock { $0[record.gatewayID, default: []].append(record) }
    }

    /// Removes a record; false when the gateway has no such record.
    public func remove(id: String, gatewayID: String) -> Bool {
        records.withLock { records in
            guard let index = records[gatewayID]?.firstIndex(where: { $0.id == id }) else { return false }
            records[gatewayID]?.remove(at: index)
            return true
        }
    }

    /// Replaces every record with `records` (what the store holds now, for another process's changes).
    public func replaceAll(_ records: [Record]) {
        let grouped = Dictionary(grouping: records, by: \.gatewayID)
        self.records.withLock { $0 = grouped }
    }

    /// Forgets every record of a deleted gateway.
    public func removeAll(gatewayID: String) {
        _ = records.withLock { $0.removeValue(forKey: gatewayID) }
    }
}
