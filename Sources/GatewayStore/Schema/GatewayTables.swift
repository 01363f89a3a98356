import AIGateway
import Foundation
import GatewayCore

/// The tables of gateways and their credentials, for both stores: definitions, statements
/// (`?` placeholders; PostgreSQL's store numbers them) and row reading. What differs between
/// the databases is the dialect's; how a gateway is deleted with everything it owns is each
/// store's own (triggers in SQLite, one transaction in PostgreSQL).
enum GatewayTables {
    // MARK: Gateways

    static func createGateways(_ dialect: SQLDialect) -> String {
        """
        CREATE TABLE gateways (
            id TEXT PRIMARY KEY,
            settings \(dialect.typeName(.json)) NOT NULL,
            created_at \(dialect.typeName(.bigInteger)) NOT NULL,
            modified_at \(dialect.typeName(.bigInteger)) NOT NULL
        )
        """
    }

    static func selectGateways(_ dialect: SQLDialect) -> String {
        "SELECT \(dialect.jsonText("settings")) AS settings FROM gateways ORDER BY id"
    }

    /// Creates a gateway unless one has its id; returns the id when it did.
    static func insertGateway(_ dialect: SQLDialect) -> String {
        "INSERT INTO gateways (id, settings, created_at, modified_at) VALUES (?, ?\(dialect.jsonCast), ?, ?) "
            + "ON CONFLICT (id) DO NOTHING RETURNING id"
    }

    /// Creates or replaces a gateway.
    static func upsertGateway(_ dialect: SQLDialect) -> String {
        "INSERT INTO gateways (id, settings, created_at, modified_at) VALUES (?, ?\(dialect.jsonCast), ?, ?) "
            + "ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, modified_at = excluded.modified_at"
    }

    /// The values of ``insertGateway(_:)`` and ``upsertGateway(_:)``.
    static func gatewayValues(_ settings: GatewaySettings) throws -> [StoreValue] {
        [
            .text(settings.id), .text(String(decoding: try settingsEncoder.encode(settings), as: UTF8.self)),
            .integer(milliseconds(settings.createdAt)), .integer(milliseconds(settings.modifiedAt)),
        ]
    }

    static func gateway(_ row: some StoreRow) throws -> GatewaySettings? {
        guard let text = row.text("settings") else { return nil }
        return try settingsDecoder.decode(GatewaySettings.self, from: Data(text.utf8))
    }

    static let settingsEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        // Sealed secrets (an exporter's headers) are kept; the API never shows them.
        encoder.userInfo[OTelExporter.storageKey] = true
        return encoder
    }()

    static let settingsDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    // MARK: Run tokens (SHA-256 digests)

    static func createRunTokens(_ dialect: SQLDialect) -> String {
        """
        CREATE TABLE run_tokens (
            id TEXT PRIMARY KEY,
            gateway_id TEXT NOT NULL,
            name TEXT NOT NULL,
            digest TEXT NOT NULL,
            created_at \(dialect.typeName(.bigInteger)) NOT NULL
        )
        """
    }

    static let selectRunTokens = "SELECT id, gateway_id, name, digest, created_at FROM run_tokens ORDER BY id"
    static let insertRunToken = "INSERT INTO run_tokens (id, gateway_id, name, digest, created_at) VALUES (?, ?, ?, ?, ?)"
    static let deleteRunToken = "DELETE FROM run_tokens WHERE id = ? AND gateway_id = ? RETURNING id"

    static func runTokenValues(_ token: RunToken) -> [StoreValue] {
        [.text(token.id), .text(token.gatewayID), .text(token.name), .text(token.digest), .integer(milliseconds(token.createdAt))]
    }

    static func runToken(_ row: some StoreRow) -> RunToken {
        RunToken(
            id: row.text("id") ?? "", gatewayID: row.text("gateway_id") ?? "", name: row.text("name") ?? "",
            digest: row.text("digest") ?? "", createdAt: date(row.integer("created_at")))
    }

    // MARK: Provider keys (AES-GCM sealed boxes)

    static func createProviderKeys(_ dialect: SQLDialect) -> String {
        """
        CREATE TABLE provider_keys (
            id TEXT PRIMARY KEY,
            gateway_id TEXT NOT NULL,
            alias TEXT NOT NULL,
            provider_slug TEXT NOT NULL,
            sealed \(dialect.typeName(.bytes)) NOT NULL,
            default_config \(dialect.typeName(.boolean)) NOT NULL,
            created_at \(dialect.typeName(.bigInteger)) NOT NULL,
            UNIQUE (gateway_id, provider_slug, alias)
        )
        """
    }

    static let selectProviderKeys =
        "SELECT id, gateway_id, alias, provider_slug, sealed, default_config, created_at FROM provider_keys ORDER BY id"
    static let insertProviderKey =
        "INSERT INTO provider_keys (id, gateway_id, alias, provider_slug, sealed, default_config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    static let deleteProviderKey = "DELETE FROM provider_keys WHERE id = ? AND gateway_id = ? RETURNING id"

    static func providerKeyValues(_ key: StoredProviderKey) -> [StoreValue] {
        [
            .text(key.id), .text(key.gatewayID), .text(key.alias), .text(key.providerSlug), .bytes(Array(key.sealed)),
            .bool(key.defaultConfig), .integer(milliseconds(key.createdAt)),
        ]
    }

    static func providerKey(_ row: some StoreRow) -> StoredProviderKey {
        StoredProviderKey(
            id: row.text("id") ?? "", gatewayID: row.text("gateway_id") ?? "", alias: row.text("alias") ?? "",
            providerSlug: row.text("provider_slug") ?? "", sealed: Data(row.bytes("sealed") ?? []),
            defaultConfig: row.boolean("default_config") ?? false, createdAt: date(row.integer("created_at")))
    }

    // MARK: Times

    /// A time as stored: milliseconds since 1970.
    static func milliseconds(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1000).rounded()) }

    static func date(_ milliseconds: Int?) -> Date { Date(timeIntervalSince1970: Double(milliseconds ?? 0) / 1000) }
}

// MARK: Documents a gateway owns (datasets, evaluations), kept as JSON

extension GatewayTables {
    static func createDocuments(_ dialect: SQLDialect) -> String {
        """
        CREATE TABLE gateway_documents (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            gateway_id TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at \(dialect.typeName(.bigInteger)) NOT NULL,
            PRIMARY KEY (kind, id)
        )
        """
    }

    static let documentsIndex = "CREATE INDEX gateway_documents_gateway ON gateway_documents (gateway_id, kind, created_at)"
    static let selectDocuments =
        "SELECT kind, id, gateway_id, body, created_at FROM gateway_documents WHERE kind = ? AND gateway_id = ? ORDER BY created_at DESC, id DESC"
    /// Every gateway's documents of one kind (`?`: the kind).
    static let selectDocumentsOfKind =
        "SELECT kind, id, gateway_id, body, created_at FROM gateway_documents WHERE kind = ? ORDER BY gateway_id, created_at DESC, id DESC"
    static let upsertDocument =
        "INSERT INTO gateway_documents (kind, id, gateway_id, body, created_at) VALUES (?, ?, ?, ?, ?) "
        + "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body"
    static let deleteDocument = "DELETE FROM gateway_documents WHERE kind = ? AND id = ? AND gateway_id = ? RETURNING id"

    static func documentValues(_ document: GatewayDocument) -> [StoreValue] {
        [
            .text(document.kind), .text(document.id), .text(document.gatewayID), .text(document.body),
            .integer(milliseconds(document.createdAt)),
        ]
    }

    static func document(_ row: some StoreRow) -> GatewayDocument {
        GatewayDocument(
            kind: row.text("kind") ?? "", id: row.text("id") ?? "", gatewayID: row.text("gateway_id") ?? "",
            body: row.text("body") ?? "{}", createdAt: date(row.integer("created_at")))
    }
}
