import AIGateway
import Foundation
import GatewayCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// Logs, gateways and credentials in PostgreSQL, shared by every gateway process that
/// points at the same database.
///
/// The store is a `Service`: its connection pool (`PostgresClient`) runs in ``run()``, as the
/// first service of the gateway's group (it stops last, after every log is written); a
/// query waits until it runs. Logs arrive in batches from the writer: one transaction each,
/// one `INSERT` of up to 1,000 rows.
/// Migrations are versioned and run under an advisory lock, so processes starting together
/// apply each one once.
public final class PostgresStore: DataStore {
    let client: PostgresClient
    let logger: Logger
    /// The URL without its password, for messages.
    public let description: String

    /// Rows per INSERT: 32 columns each stays under PostgreSQL's 65,535 bound parameters.
    static let rowsPerStatement = 1000

    private init(client: PostgresClient, logger: Logger, description: String) {
        self.client = client
        self.logger = logger
        self.description = description
    }

    /// Runs the connection pool until graceful shutdown (or cancellation).
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.client.run() }
    }

    /// Connects to `postgres://user:password@host:port/database` (`?sslmode=disable|prefer|require`).
    /// Fails with a clear message when the server cannot be reached.
    public static func open(url: String, logger: Logger = Logger(label: "aigw.postgres")) async throws -> PostgresStore {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw ConfigurationError("database: '\(Self.redacted(url))' is not a postgres://user:password@host:port/database URL")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? (Self.isLoopback(host) ? "disable" : "prefer")
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw ConfigurationError("database: sslmode '\(mode)' is not one of disable, prefer, require")
        }
        let database = String(components.path.drop { $0 == "/" })
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = 20
        configuration.options.connectTimeout = .seconds(5)
        let description = Self.redacted(url)
        // A refused or unroutable address fails here at once; the pool would keep retrying it.
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5)).connect(host: host, port: components.port ?? 5432).get()
            try await channel.close()
        } catch {
            throw ConfigurationError("database: cannot reach \(description): \(error)")
        }
        // Credentials and database are checked now, on a connection of their own: the pool
        // runs only once the store runs as a service.
        let check = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? nil : database,
            tls: try Self.connectionTLS(mode))
        do {
            try await withTimeout(.seconds(15)) {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: check, id: 0, logger: logger)
                do {
                    _ = try await connection.query("SELECT 1", logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
            }
        } catch {
            throw ConfigurationError("database: cannot use \(description): \(String(reflecting: error))")
        }
        return PostgresStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger,
            description: description)
    }

    /// The TLS of the one-off connection that checks the credentials, as `sslmode` says.
    private static func connectionTLS(_ mode: String) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case "disable": .disable
        case "prefer", "allow": .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    static func isLoopback(_ host: String) -> Bool { ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) }

    /// The URL with its password hidden (in errors, and in `aigw serve`'s banner).
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    // MARK: - Statements

    /// A statement with `?` placeholders, numbered for PostgreSQL (`$1`, `$2`, ...).
    static func query(_ sql: String, _ values: [StoreValue]) -> PostgresQuery {
        var numbered = ""
        numbered.reserveCapacity(sql.utf8.count + values.count * 3)
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                numbered += "$\(index)"
            } else {
                numbered.append(character)
            }
        }
        var binds = PostgresBindings(capacity: values.count)
        for value in values { binds.append(value) }
        return PostgresQuery(unsafeSQL: numbered, binds: binds)
    }

    /// Runs a statement and returns its rows.
    func rows(_ sql: String, _ values: [StoreValue] = []) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await client.query(Self.query(sql, values), logger: logger) {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }

    /// Runs statements in one transaction.
    func transaction(_ body: (PostgresConnection) async throws -> Void) async throws {
        try await client.withConnection { connection in
            _ = try await connection.query("BEGIN", logger: logger)
            do {
                try await body(connection)
                _ = try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    public func ping() async throws {
        _ = try await rows("SELECT 1 AS one")
    }

    // MARK: - Several processes as one

    /// Rate limits counted in the database, so that they hold across processes.
    public func makeRateLimiter(logger: Logger) -> any RateLimiting {
        PostgresRateLimiter(store: self, logger: logger)
    }

    public func makeSharedCacheTier() -> (any SharedCacheTier)? {
        PostgresSharedCache(store: self)
    }

    /// Spend counters in the database, so that budgets hold across processes.
    public func makeSpendLedger(logger: Logger) -> any SpendLedger {
        PostgresSpendLedger(store: self, logger: logger)
    }

    /// Other processes' changes apply here within a second (read back every 500 ms).
    public func makeStateSync(directory: GatewayDirectory, features: GatewayFeatures, logger: Logger) -> (any Service)? {
        SharedStateSync(store: self, directory: directory, features: features, interval: .milliseconds(500), logger: logger)
    }

    /// Nothing to do: the pool closes when ``run()`` ends.
    public func close() async throws {}
}

extension PostgresBindings {
    mutating func append(_ value: StoreValue) {
        switch value {
        case .text(let text): append(text)
        case .integer(let number): append(number)
        case .double(let number): append(number)
        case .bool(let flag): append(flag)
        case .bytes(let bytes): append(ByteBuffer(bytes: bytes))
        case .null: appendNull()
        }
    }
}

extension PostgresRandomAccessRow: StoreRow {
    /// A column's value, nil when NULL or absent.
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) -> T? {
        guard contains(column) else { return nil }
        let cell = self[column]
        guard cell.bytes != nil else { return nil }
        return try? cell.decode(T.self)
    }

    func text(_ column: String) -> String? { value(column) }
    func integer(_ column: String) -> Int? { value(column) }
    func double(_ column: String) -> Double? { value(column) }
    func boolean(_ column: String) -> Bool? { value(column) }
    func bytes(_ column: String) -> [UInt8]? { value(column, as: ByteBuffer.self).map { Array($0.readableBytesView) } }
}
