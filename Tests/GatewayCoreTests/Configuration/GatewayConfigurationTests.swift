import Foundation
import Testing

@testable import GatewayCore

@Suite("Configuration: file, environment, validation")
struct GatewayConfigurationTests {
    @Test("an empty file gives every default")
    func defaults() throws {
        let configuration = try GatewayConfiguration.decode(Data("{}".utf8), source: "test")
        #expect(configuration == GatewayConfiguration())
        #expect(configuration.host == "127.0.0.1" && configuration.port == 8787)
        #expect(configuration.accountID == "local")
        #expect(configuration.autoCreateGateways)
        #expect(configuration.effectivePublicURL == "http://127.0.0.1:8787")
    }

    @Test("a full file is read, gateways taking their ids from their keys")
    func full() throws {
        let json = """
            {"account_id": "acct", "public_url": "https://ai.example.com/", "listen": {"host": "0.0.0.0", "port": 9000},
             "database": "sqlite:/tmp/x.sqlite", "auto_create_gateways": false, "max_request_body_bytes": 1000,
             "providers": {"openai": {"base_url": "http://mock/v1"}},
             "gateways": {"prod": {"collect_logs": false, "cache_ttl": 60}},
             "log_queue": {"capacity": 10, "batch_size": 5}, "upstream_idle_connections_per_host": 7}
            """
        let configuration = try GatewayConfiguration.decode(Data(json.utf8), source: "test")
        #expect(configuration.accountID == "acct")
        #expect(configuration.effectivePublicURL == "https://ai.example.com")
        #expect(configuration.host == "0.0.0.0" && configuration.port == 9000)
        #expect(!configuration.autoCreateGateways)
        #expect(configuration.providers["openai"]?.baseURL == "http://mock/v1")
        #expect(configuration.gateways["prod"]?.id == "prod")
        #expect(configuration.gateways["prod"]?.collectLogs == false)
        #expect(configuration.gateways["prod"]?.cacheTTL == 60)
        #expect(configuration.logQueue.capacity == 10 && configuration.logQueue.batchSize == 5)
        #expect(configuration.logQueue.flushIntervalMs == LogQueueSettings().flushIntervalMs)
        #expect(configuration.upstreamIdleConnectionsPerHost == 7)
    }

    @Test("a misspelt setting is an error that names it, not a silent no-op")
    func unknownKey() {
        #expect {
            try GatewayConfiguration.decode(Data(#"{"acount_id": "x"}"#.utf8), source: "aigw.json")
        } throws: { error in
            "\(error)".contains("acount_id") && "\(error)".contains("aigw.json")
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.decode(Data(#"{"log_queue": {"capacty": 1}}"#.utf8), source: "t")
        }
    }

    @Test("a value of the wrong type names its key")
    func wrongType() {
        #expect {
            try GatewayConfiguration.decode(Data(#"{"listen": {"port": "eighty"}}"#.utf8), source: "t")
        } throws: { error in
            "\(error)".contains("listen.port")
        }
    }

    @Test("the environment wins over the file")
    func environment() throws {
        var configuration = try GatewayConfiguration.decode(Data(#"{"account_id": "file"}"#.utf8), source: "t")
        try configuration.applyEnvironment([
            "AIGW_ACCOUNT_ID": "env", "AIGW_PUBLIC_URL": "https://p", "AIGW_ADMIN_TOKEN": "t",
            "AIGW_DATABASE": "sqlite:e.sqlite", "AIGW_PORT": "7000",
        ])
        #expect(configuration.accountID == "env")
        #expect(configuration.publicURL == "https://p")
        #expect(configuration.adminToken == "t")
        #expect(configuration.database == "sqlite:e.sqlite")
        #expect(configuration.port == 7000)
        #expect(throws: ConfigurationError.self) { try configuration.applyEnvironment(["AIGW_PORT": "x"]) }
    }

    @Test("values that make no sense are refused")
    func validation() throws {
        var configuration = GatewayConfiguration()
        configuration.maxRequestBodyBytes = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = GatewayConfiguration()
        configuration.gateways["bad id!"] = .init(id: "bad id!")
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = GatewayConfiguration()
        configuration.upstreamIdleConnectionsPerHost = -1
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test("telemetry settings that cannot work are refused at start, naming the key")
    func telemetrySettings() throws {
        let refused: [(String, String)] = [
            (#"{"logpush": {}}"#, "logpush"),
            (#"{"logpush": {"directory": "/tmp/x", "url": "https://logs.example"}}"#, "logpush"),
            (#"{"logpush": {"url": "ftp://logs.example"}}"#, "logpush.url"),
            (#"{"logpush": {"url": "https://logs.example", "headers": {"x-key": "a\r\nInjected: yes"}}}"#, "logpush.headers.x-key"),
            (#"{"logpush": {"url": "https://logs.example", "headers": {"bad name": "v"}}}"#, "logpush.headers.bad name"),
            (#"{"span_export": {"queue_bytes": 0}}"#, "queue_bytes"),
            (#"{"tracing": {"otlp_endpoint": "collector:4318"}}"#, "tracing.otlp_endpoint"),
        ]
        for (json, named) in refused {
            do {
                try GatewayConfiguration.decode(Data(json.utf8), source: "t").validate()
                Issue.record("accepted: \(json)")
            } catch let error as ConfigurationError {
                #expect(error.message.contains(named), "\(error.message)")
            }
        }
        let accepted = try GatewayConfiguration.decode(
            Data(#"{"logpush": {"url": "https://logs.example", "headers": {"authorization": "Bearer k"}}}"#.utf8), source: "t")
        try accepted.validate()
    }
}
