import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Builds the gateway server from its configuration: opens the store (a bad database is an
/// error here), makes the upstream client, log writer and metrics registry, and mounts the
/// routes. The store runs as the group's first service; before the port opens, the schema
/// is migrated and the gateways, run tokens and provider keys it holds are read.
///
/// ```swift
/// let app = try await GatewayApplication.build(configuration: configuration, environment: env)
/// try await app.runService()   // stops gracefully on SIGTERM / SIGINT, writing every accepted log
/// ```
public enum GatewayApplication {
    /// The parts of a built gateway that callers (the CLI, tests) may want to reach.
    public struct Parts: Sendable {
        public let pipeline: GatewayPipeline
        public let store: any DataStore
        public let writer: LogWriter
        public let registry: PrometheusCollectorRegistry
    }

    /// Builds the application. `onServerRunning` receives the bound port (useful with port 0);
    /// `retryClock` waits between retried attempts (tests pass one that records the waits).
    public static func build(
        configuration: GatewayConfiguration, environment: [String: String] = [:],
        logger: Logger = Logger(label: "aigw"), retryClock: any RetryClock = SystemRetryClock(),
        extraServices: [any Service] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> (application: some ApplicationProtocol, parts: Parts) {
        try configuration.validate()
        let store = try await openStore(configuration.database, logger: logger)
        do {
            return try await build(
                configuration: configuration, environment: environment, store: store, logger: logger, retryClock: retryClock,
                extraServices: extraServices, onServerRunning: onServerRunning)
        } catch {
            // Whatever was opened before the failure is closed: nothing is left to crash on.
            try? await store.close()
            throw error
        }
    }

    /// The rest of ``build(configuration:environment:logger:retryClock:onServerRunning:)``, over an open store.
    private static func build(
        configuration: GatewayConfiguration, environment: [String: String], store: any DataStore, logger: Logger,
        retryClock: any RetryClock, extraServices: [any Service], onServerRunning: @escaping @Sendable (Int) async -> Void
    ) async throws -> (application: some ApplicationProtocol, parts: Parts) {

        let registry = PrometheusCollectorRegistry()
        let metrics = GatewayMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let prices = try PriceTable.shipped().overriding(configuration.prices)
        let gateways = GatewayDirectory(
            autoCreate: configuration.autoCreateGateways, maximumGateways: configuration.maximumGateways)
        let logManagement = LogManagement(store: store, metrics: metrics) { gateways.settings($0) }
        let writer = LogWriter(
            store: store, settings: configuration.logQueue, metrics: metrics, logger: logger, prices: prices,
            management: logManagement)
        let upstream = try UpstreamClient(
            connectionsPerHost: configuration.upstreamConnectionsPerHost,
            idleConnectionsPerHost: configuration.upstreamIdleConnectionsPerHost)
        let features = try features(configuration: configuration, store: store, prices: prices, metrics: metrics, logger: logger)
        let providers = try ProviderTable(
            overrides: configuration.providers, environment: environment, accountID: configuration.accountID,
            custom: features.customProviders)
        let pipeline = GatewayPipeline(
            configuration: configuration, providers: providers, gateways: gateways, upstream: upstream, logs: writer,
            metrics: metrics, features: features, retryClock: retryClock)

        // The port actually bound (it differs from the configured one when that is 0).
        let boundPort = Mutex<Int?>(nil)
        let publicURL: @Sendable () -> String = {
            var shown = configuration
            if let port = boundPort.withLock({ $0 }) { shown.port = port }
            return shown.effectivePublicURL
        }
        let router = try managementRouter(
            configuration: configuration, store: store, writer: writer, registry: registry, gateways: gateways,
            features: features, providers: providers, publicURL: publicURL)


        let retention = LogRetention(store: store, management: logManagement, logger: logger) { gateways.all() }
        let storeReady = ReadyGate()
        let services = try services(
            configuration: configuration, store: store, writer: writer, gateways: gateways, features: features,
            upstream: upstream, metrics: metrics, logger: logger, storeReady: storeReady) + [retention]
        // Hummingbird accepts connections; what happens on each is the gateway's own (GatewayHTTPChannel).
        let responder = GatewayResponder(
            providers: ProviderRoute(pipeline: pipeline), router: router.buildResponder(), logger: logger)
        let connections = GatewayHTTPChannel(
            responder: responder, deadlines: ClientDeadlines.Limits(configuration.clients),
            maxBodyBytes: configuration.maxRequestBodyBytes, logger: logger)
        var application = Application(
            responder: router.buildResponder(),  // unused: GatewayHTTPChannel answers every request
            server: HTTPServerBuilder { _ in connections },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil,
                availableConnectionsDelegate: ClientConnectionCap(maximum: configuration.clients.maxConnections, logger: logger)),
            // Extra services (the process's tracer) stop last: the spans of the shutdown are sent.
            services: extraServices + services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                boundPort.withLock { $0 = port }
                await onServerRunning(port)
            },
            logger: logger)
        application.beforeServerStarts {
            try await store.migrate()
            try await load(configuration: configuration, store: store, into: gateways, features: features)
            storeReady.open()
            let unopenable = features.providerKeys.unopenable()
            if !unopenable.isEmpty {
                logger.warning(
                    "\(unopenable.count) stored provider keys cannot be opened: \(configuration.masterKey == nil ? "no master key is set" : "the master key is not the one they were stored with"); requests that need one get error 2041 (start with the right AIGW_MASTER_KEY, or store them again)",
                    metadata: ["gateways": "\(Set(unopenable.map(\.gatewayID)).sorted().joined(separator: ", "))"])
            }
            let exporting = gateways.all().filter(\.logpush).map(\.id).sorted()
            if configuration.logpush == nil, !exporting.isEmpty {
                logger.warning(
                    "gateways have logpush on but this process has no logpush destination: their logs wait in the store until one has (README, Log export)",
                    metadata: ["gateways": "\(exporting.joined(separator: ", "))"])
            }
        }
        return (application, Parts(pipeline: pipeline, store: store, writer: writer, registry: registry))
    }

    /// The services that run beside the server. Shutdown runs in reverse order: the server
    /// stops taking requests and finishes those in flight, then the upstream pool closes,
    /// then auto-created gateways and every accepted log are written, then the store closes.
    static func services(
        configuration: GatewayConfiguration, store: any DataStore, writer: LogWriter, gateways: GatewayDirectory,
        features: GatewayFeatures, upstream: UpstreamClient, metrics: GatewayMetrics, logger: Logger, storeReady: ReadyGate
    ) throws -> [any Service] {
        // Logpush, when this process delivers: it stops after the log writer, so that the
        // logs the writer stores last are exported before the open file is finished.
        let logpush = try configuration.logpush.map { destination in
            try LogpushExport(
                store: store, settings: destination, gateways: { gateways.settings($0) }, status: features.logpush,
                metrics: metrics, logger: logger, ready: storeReady)
        }
        let services: [(any Service)?] = [
            store,
            // Stops just before the store closes: spend not yet written is written.
            ShutdownAction(name: "spend counters") { await features.spendLimiter.ledger.flush() },
            logpush,
            // Stops after the log writer: the spans of the last logs it writes are still sent.
            features.spans,
            writer,
            GatewayPersistence(directory: gateways, store: store, logger: logger),
            ShutdownAction(name: "upstream client") { try await upstream.shutdown() },
            ResponseCache.Eviction(cache: features.cache, interval: .milliseconds(configuration.cache.evictionIntervalMs)),
            FreedMemoryReturn(logger: logger),
            store.makeStateSync(directory: gateways, features: features, logger: logger),
        ]
        return services.compactMap { $0 }
    }

    /// The pipeline's features, each as the store can provide it: with a store several
    /// processes share, rate limits and the shared cache tier live in it.
    /// Run tokens and provider keys are read in when the store runs (``load(configuration:store:into:features:)``).
    static func features(
        configuration: GatewayConfiguration, store: any DataStore, prices: PriceTable, metrics: GatewayMetrics, logger: Logger
    ) throws -> GatewayFeatures {
        let cipher = try configuration.masterKey.map(ProviderKeyCipher.init(masterKey:))
        return GatewayFeatures(
            rateLimiter: store.makeRateLimiter(logger: logger),
            runTokens: RunTokens(),
            providerKeys: ProviderKeys(cipher: cipher),
            cache: ResponseCache(
                maxBytes: configuration.cache.maxBytes, maxEntryBytes: configuration.cache.maxEntryBytes,
                shared: configuration.cache.shared ? store.makeSharedCacheTier() : nil),
            spendLimiter: SpendLimiter(
                ledger: store.makeSpendLedger(logger: logger), prices: prices,
                failClosed: configuration.spendLimitsFailClosed, logger: logger),
            spans: try SpanExporter(
                cipher: cipher, metrics: metrics, logger: logger, version: GatewayVersion.current,
                capacity: configuration.spanExport.queueCapacity, capacityBytes: configuration.spanExport.queueBytes,
                batchSize: configuration.spanExport.batchSize,
                interval: .milliseconds(configuration.spanExport.intervalMs), timeout: .milliseconds(configuration.spanExport.timeoutMs)))
    }

    /// Everything but the provider calls: health, metrics, the management REST API and the dashboard.
    static func managementRouter(
        configuration: GatewayConfiguration, store: any DataStore, writer: LogWriter, registry: PrometheusCollectorRegistry,
        gateways: GatewayDirectory, features: GatewayFeatures, providers: ProviderTable,
        publicURL: @escaping @Sendable () -> String
    ) throws -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        HealthRoutes(store: store, writer: writer).register(on: router)
        MetricsRoute(registry: registry).register(on: router)
        // One for the API and the dashboard: their changes to gateways take turns.
        let gatewayEndpoints = GatewayEndpoints(directory: gateways, store: store, writer: writer, features: features)
        let credentialEndpoints = CredentialEndpoints(directory: gateways, store: store, features: features, providers: providers)
        let datasetEndpoints = DatasetEndpoints(directory: gateways, store: store, writer: writer)
        let routeEndpoints = RouteEndpoints(
            directory: gateways, store: store, providers: providers, routes: features.routes, accountID: configuration.accountID)
        Dashboard(
            configuration: configuration, directory: gateways, store: store, writer: writer, gatewayChanges: gatewayEndpoints,
            credentialChanges: credentialEndpoints, datasets: datasetEndpoints, routeChanges: routeEndpoints, features: features,
            providers: providers,
            templates: try DashboardTemplates.shipped()
        ).register(on: router)
        ManagementAPI(
            configuration: configuration,
            gateways: gatewayEndpoints,
            logs: LogEndpoints(
                directory: gateways, store: store, writer: writer, providers: providers, configuration: configuration,
                publicURL: publicURL),
            credentials: credentialEndpoints,
            analytics: AnalyticsEndpoints(directory: gateways, store: store, writer: writer),
            datasets: datasetEndpoints,
            customProviders: CustomProviderEndpoints(store: store, providers: providers, cipher: features.providerKeys.cipher),
            routes: routeEndpoints
        ).register(on: router)
        return router
    }

    /// Reads what the store holds into the running gateway: the gateways to serve (those
    /// stored, then those of the configuration file, which win and are stored at every start,
    /// so the file stays the source of what it names), the run tokens and the provider keys.
    static func load(
        configuration: GatewayConfiguration, store: any DataStore, into gateways: GatewayDirectory, features: GatewayFeatures
    ) async throws {
        let stored = try await store.gateways()
        for settings in stored { gateways.put(settings) }
        for var settings in configuration.gateways.values.sorted(by: { $0.id < $1.id }) {
            if let previous = stored.first(where: { $0.id == settings.id }) { settings.createdAt = previous.createdAt }
            try await store.saveGateway(settings)
            gateways.put(settings)
        }
        features.runTokens.records.replaceAll(try await store.runTokens())
        features.providerKeys.records.replaceAll(try await store.providerKeys())
        try await features.spendLimiter.ledger.load()
        try await features.routes.load(from: store, gatewayIDs: [])
        let unusable = features.customProviders.replaceAll(
            try await store.customProviders(), cipher: features.providerKeys.cipher)
        if !unusable.isEmpty {
            throw ConfigurationError(
                "custom providers \(unusable.joined(separator: ", ")) have sealed headers this master key cannot open (is AIGW_MASTER_KEY the one they were stored with?)")
        }
    }

    /// Opens the store a database setting names: `postgres://...`, or `sqlite:PATH`, `sqlite://PATH` or a plain path.
    public static func openStore(_ database: String, logger: Logger) async throws -> any DataStore {
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            return try await PostgresStore.open(url: database, logger: logger)
        }
        var path = database
        for prefix in ["sqlite://", "sqlite:"] where path.hasPrefix(prefix) {
            path = String(path.dropFirst(prefix.count))
            break
        }
        guard !path.isEmpty else { throw ConfigurationError("database: no SQLite file path given") }
        do {
            return try await SQLiteStore.open(path: path, logger: logger)
        } catch {
            throw ConfigurationError("database: the SQLite file \(path) cannot be opened (is its directory there, and writable?): \(error)")
        }
    }
}

/// A service that does nothing until graceful shutdown, then runs one action: how
/// resources that are not services themselves take their place in the shutdown order.
struct ShutdownAction: Service {
    let name: String
    let action: @Sendable () async throws -> Void

    func run() async throws {
        try? await gracefulShutdown()
        try await action()
    }
}
