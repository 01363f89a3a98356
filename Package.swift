// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "aigw",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AIGateway", targets: ["AIGateway"]),
        .executable(name: "aigw", targets: ["aigw"]),
        .executable(name: "seed-example", targets: ["SeedExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Property-based tests of every parser of untrusted bytes (Tests/*/Fuzz).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // The dashboard's HTML templates (escaping by default).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // The process's own traces (off by default): OTLP over HTTP only, no gRPC.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // gzip for Logpush files (zlib underneath).
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        // The client library (the binding) and the wire types the server shares with it.
        .target(
            name: "AIGateway",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Providers, the request pipeline, usage parsing, logging records: no HTTP framework.
        .target(
            name: "GatewayCore",
            dependencies: [
                "AIGateway",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            resources: [.copy("Cost/prices.json")]
        ),
        // Stores (SQLite, PostgreSQL) and the batch writer that feeds them off the request path.
        .target(
            name: "GatewayStore",
            dependencies: [
                "GatewayCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The two glibc heap calls Swift's Glibc module leaves out (free bytes, malloc_trim).
        .target(name: "CHeap"),
        // Hummingbird routes, request context and the application builder.
        .target(
            name: "GatewayServer",
            dependencies: [
                "CHeap",
                "GatewayCore",
                "GatewayStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            resources: [.copy("Dashboard/Assets")]
        ),
        // A fake of every provider family, streamed and not, with injected faults.
        .target(
            name: "MockUpstream",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The command line: serve, mock-upstream, and logs/gateways/url over the management API.
        .executableTarget(
            name: "aigw",
            dependencies: [
                "AIGateway",
                "GatewayCore",
                "GatewayStore",
                "GatewayServer",
                "MockUpstream",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The seed's steps walked through with the binding against a running gateway.
        .executableTarget(name: "SeedExample", dependencies: ["AIGateway"]),
        // What the test suites share (waiting for a condition, for one); not shipped.
        .target(
            name: "TestSupport",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "AIGatewayTests",
            dependencies: ["AIGateway", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(
            name: "GatewayCoreTests",
            dependencies: [
                "GatewayCore",
                "TestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .testTarget(
            name: "GatewayStoreTests",
            dependencies: [
                "GatewayStore", "GatewayCore", "TestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "GatewayServerTests",
            dependencies: [
                "AIGateway",
                "CHeap",
                "GatewayServer",
                "GatewayCore",
                "GatewayStore",
                "MockUpstream",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
