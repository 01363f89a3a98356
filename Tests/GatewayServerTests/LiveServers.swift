import AIGateway
import AsyncHTTPClient
import Foundation
import GatewayCore
import GatewayServer
import GatewayStore
import Hummingbird
import Logging
import MockUpstream
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import TestSupport

/// A real gateway and a real mock upstream, each listening on a free loopback port, with
/// every provider of the gateway pointed at the mock and logs in a fresh SQLite file.
struct LiveServers: Sendable {
    let gatewayPort: Int
    let mockPort: Int
    let parts: GatewayApplication.Parts
    let databasePath: String

    var gateway: String { "http://127.0.0.1:\(gatewayPort)" }
    var mock: String { "http://127.0.0.1:\(mockPort)" }

    /// The URL of a provider path through gateway `gateway`.
    func url(_ providerPath: String, gateway: String = "test-gw") -> String {
        "\(self.gateway)/v1/local/\(gateway)/\(providerPath)"
    }

    /// Starts both servers, runs `body`, then shuts both down gracefully (writing every log).
    static func with(
        configure: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        retryClock: any RetryClock = SystemRetryClock(),
        _ body: @Sendable (LiveServers) async throws -> Void
    ) async throws {
        let logger = Logger.quietUnlessAsked()
        let mock = MockUpstreamServer()
        let (mockPorts, mockPortSink) = AsyncStream.makeStream(of: Int.self)
        let mockApp = mock.application(port: 0, logger: logger) { port in mockPortSink.yield(port) }
        let mockGroup = ServiceGroup(configuration: .init(services: [mockApp], logger: logger))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await mockGroup.run() }
            var mockIterator = mockPorts.makeAsyncIterator()
            guard let mockPort = await mockIterator.next() else { return }

            let databasePath = FileManager.default.temporaryDirectory
                .appendingPathComponent("aigw-e2e-\(UUID().uuidString).sqlite").path
            var configuration = GatewayConfiguration()
            configuration.port = 0
            configuration.database = "sqlite:" + databasePath
            configuration.logQueue.flushIntervalMs = 5
            for (slug, base) in MockUpstreamServer.providerBaseURLs(origin: "http://127.0.0.1:\(mockPort)") {
                configuration.providers[slug] = ProviderOverride(baseURL: base)
            }
            configure(&configuration)

            let (gatewayPorts, gatewayPortSink) = AsyncStream.makeStream(of: Int.self)
            let (application, parts) = try await GatewayApplication.build(
                configuration: configuration, logger: logger, retryClock: retryClock, onServerRunning: { gatewayPortSink.yield($0) })
            let gatewayGroup = ServiceGroup(configuration: .init(services: [application], logger: logger))
            tasks.addTask { try await gatewayGroup.run() }
            var gatewayIterator = gatewayPorts.makeAsyncIterator()
            guard let gatewayPort = await gatewayIterator.next() else { return }

            let servers = LiveServers(
                gatewayPort: gatewayPort, mockPort: mockPort, parts: parts, databasePath: databasePath)
            do {
                try await body(servers)
            } catch {
                await gatewayGroup.triggerGracefulShutdown()
                await mockGroup.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await gatewayGroup.triggerGracefulShutdown()
            await mockGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    // MARK: - Requests

    /// A whole response.
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        var logID: String? { headers["cf-aig-log-id"] }
    }

    /// POSTs and reads the whole answer.
    func send(_ url: String, headers: [String: String] = [:], body: String? = nil) async throws -> Answer {
        try await send(.POST, url, headers: headers, body: body)
    }

    /// Sends a request and reads the whole answer.
    func send(
        _ method: NIOHTTP1.HTTPMethod, _ url: String, headers: [String: String] = [:], body: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            if headers["content-type"] == nil { request.headers.add(name: "content-type", value: "application/json") }
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        var flat: [String: String] = [:]
        for (name, value) in response.headers { flat[name.lowercased()] = value }
        return Answer(status: Int(response.status.code), headers: flat, body: String(buffer: bytes))
    }

    /// A streamed chat completion through the gateway, with extra (mock fault) headers.
    func streamingRequest(_ providerPath: String, headers: [String: String] = [:]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(providerPath))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: #"{"model":"gpt-4o","stream":true,"messages":[]}"#))
        return request
    }

    /// The log with this id, once the writer has stored it (waiting a bounded while).
    func storedLog(_ id: String?, gateway: String = "test-gw") async throws -> AIGatewayLog? {
        guard let id else { return nil }
        var log: AIGatewayLog?
        _ = try await eventually {
            log = try await parts.store.log(id: id, gatewayID: gateway)
            return log != nil
        }
        return log
    }

    /// What the mock recorded (latest requests first is not guaranteed; in arrival order).
    func mockRequests() async throws -> [[String: Any]] {
        let answer = try await send(.GET, "\(mock)/_mock/requests")
        return (try JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [[String: Any]] ?? []
    }

    /// How many requests reached the mock.
    func mockCount() async throws -> Int {
        try await send(.GET, "\(mock)/_mock/stats").json["total"] as? Int ?? -1
    }

    /// The mock's answers being worked on now, and those whose caller went away.
    func mockOpenAndAbandoned() async throws -> (open: Int, abandoned: Int) {
        let stats = try await send(.GET, "\(mock)/_mock/stats").json
        return (stats["open"] as? Int ?? -1, stats["abandoned"] as? Int ?? -1)
    }

    /// Every stored log of a gateway, oldest first, once the writer has stored what it accepted.
    func storedLogs(gateway: String = "test-gw") async throws -> [AIGatewayLog] {
        await parts.writer.flush()
        var query = LogQuery()
        query.perPage = 1000
        query.descending = false
        return try await parts.store.logs(gatewayID: gateway, query: query).logs
    }
}

/// A retry clock that records every wait the gateway asks for and returns at once.
final class RecordingRetryClock: RetryClock {
    private let waits = Mutex<[Duration]>([])

    /// The waits asked for so far, in order.
    var recorded: [Duration] { waits.withLock { $0 } }

    func sleep(for duration: Duration) async throws {
        waits.withLock { $0.append(duration) }
    }
}
