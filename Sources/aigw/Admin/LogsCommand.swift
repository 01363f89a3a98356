import AIGateway
import ArgumentParser
import Foundation
import GatewayCore

/// `aigw logs list|get|patch|delete`: a gateway's logs through the management API.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "List, read, annotate and delete a gateway's logs.",
        subcommands: [List.self, Get.self, Patch.self, Delete.self, Stats.self, Decrypt.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List logs, newest first.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway (without it: the gateway named default, if there is one).")
        var gateway: String?
        @Option(name: .long, help: "Filter, e.g. provider:eq:openai,groq or duration:gt:500 (repeatable).")
        var filter: [FilterArgument] = []
        @Option(name: .long, help: "Free text to look for.") var search: String?
        @Option(name: .long, help: "Order by this field (created_at, cost, duration, ...).") var orderBy: String?
        @Flag(name: .long, help: "Oldest (or smallest) first.") var ascending = false
        @Option(name: .long) var page = 1
        @Option(name: .long) var perPage = 20

        func run() async throws {
            try await runAdmin {
                let client = try server.client()
                if gateway == nil, (try? await client.gateway(id: "default")) == nil {
                    let names = try await client.listGateways(perPage: 100).items.map(\.id)
                    throw ValidationError(
                        "pass -g GATEWAY: there is no gateway named default"
                            + (names.isEmpty ? " (and no gateway yet)" : "; gateways: \(names.joined(separator: ", "))"))
                }
                let result = try await client.listLogs(
                    gateway: gateway ?? "default", page: page, perPage: perPage, filters: filter.map(\.filter), search: search,
                    orderBy: orderBy, descending: !ascending)
                if server.json { return try server.printJSON(result.items) }
                var table = TextTable(headers: [
                    "ID", "CREATED", "PROVIDER", "MODEL", "STATUS", "TOKENS", "COST", "CACHED", "MS", "FEEDBACK", "SCORE",
                ])
                for log in result.items {
                    table.rows.append([
                        log.id, log.createdAt.formatted(.iso8601), log.provider, log.model, String(log.statusCode),
                        "\(log.tokensIn.map(String.init) ?? "-")/\(log.tokensOut.map(String.init) ?? "-")",
                        log.cost.map(Money.dollars) ?? "-", log.cached ? "yes" : "", String(log.duration),
                        log.feedback.map(String.init) ?? "", log.score.map(String.init) ?? "",
                    ])
                }
                Console.line(table.render())
                let tokensIn = result.items.compactMap(\.tokensIn).reduce(0, +)
                let tokensOut = result.items.compactMap(\.tokensOut).reduce(0, +)
                let cost = result.items.compactMap(\.cost).reduce(0, +)
                Console.line(
                    "page \(result.page), \(result.items.count) of \(result.totalCount) logs; this page: \(tokensIn) tokens in, "
                        + "\(tokensOut) out, \(Money.dollars(cost)); totals over time: aigw logs stats")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one log.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Argument(help: "The log id.") var id: String

        func run() async throws {
            try await runAdmin {
                let log = try await server.client().log(gateway: gateway, id: id)
                if server.json { return try server.printJSON(log) }
                let fields = try JSONValue(json: WireFormat.encoder().encode(log)).objectValue ?? [:]
                for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
                    let text = value.stringValue ?? String(decoding: value.jsonData(), as: UTF8.self)
                    Console.line("\(key.padding(toLength: 24, withPad: " ", startingAt: 0)) \(text)")
                }
            }
        }
    }

    struct Patch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a log's feedback, score or metadata ('null' clears one).")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Argument(help: "The log id.") var id: String
        @Option(name: .long, parsing: .unconditional, help: "-1, 1 or null.") var feedback: String?
        @Option(name: .long, help: "0 to 100 or null.") var score: String?
        @Option(name: .long, help: "A JSON object of at most 5 entries, or null.") var metadata: String?

        func run() async throws {
            var patch = LogPatch()
            if let feedback { patch.feedback = try Self.number(feedback, "--feedback") }
            if let score { patch.score = try Self.number(score, "--score") }
            if let metadata {
                if metadata == "null" {
                    patch.metadata = .cleared
                } else {
                    guard let parsed = try? JSONDecoder().decode(LogMetadata.self, from: Data(metadata.utf8)) else {
                        throw ValidationError("--metadata: give a JSON object of strings, numbers or booleans, or null")
                    }
                    patch.metadata = .set(parsed)
                }
            }
            guard !patch.isEmpty else { throw ValidationError("give --feedback, --score or --metadata") }
            try await runAdmin {
                let log = try await server.client().patchLog(gateway: gateway, id: id, patch)
                if server.json { return try server.printJSON(log) }
                Console.line("patched \(log.id): feedback \(log.feedback.map(String.init) ?? "none"), score \(log.score.map(String.init) ?? "none")")
            }
        }

        static func number(_ text: String, _ option: String) throws -> PatchField<Int> {
            if text == "null" { return .cleared }
            guard let number = Int(text) else { throw ValidationError("\(option): '\(text)' is not a whole number or null") }
            return .set(number)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the logs matching the filters (every log of the gateway only with --all).")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Option(name: .long, help: "Filter, e.g. success:eq:false (repeatable).") var filter: [FilterArgument] = []
        @Option(name: .long, help: "Delete at most this many (oldest first).") var limit: Int?
        @Flag(name: .long, help: "Confirm deleting every log of the gateway (needed when no filter or limit is given).")
        var all = false

        func validate() throws {
            if filter.isEmpty, limit == nil, !all {
                throw ValidationError(
                    "this would delete every log of gateway \(gateway): pass --all to confirm, or narrow it with --filter or --limit")
            }
        }

        func run() async throws {
            try await runAdmin {
                let deleted = try await server.client().deleteLogs(gateway: gateway, filters: filter.map(\.filter), limit: limit)
                if server.json { return try server.printJSON(["deleted": deleted]) }
                Console.line("deleted \(deleted) logs")
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Requests, errors, tokens and cost by provider and by model over a time range (the analytics API).")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway (without it: every gateway).") var gateway: String?
        @Option(name: .long, help: "How far back: 30m, 24h, 7d (default 24h).") var since = "24h"

        func run() async throws {
            guard let seconds = Self.seconds(since) else {
                throw ValidationError("--since: '\(since)' is not a duration such as 30m, 24h or 7d")
            }
            try await runAdmin {
                let client = try server.client()
                let start = Date().addingTimeInterval(-seconds)
                let byProvider = try await client.analytics(gateway: gateway, start: start, groupBy: "provider")
                let byModel = try await client.analytics(gateway: gateway, start: start, groupBy: "model")
                if server.json { return try server.printJSON(["provider": byProvider, "model": byModel]) }
                for (title, analytics) in [("PROVIDER", byProvider), ("MODEL", byModel)] {
                    var table = TextTable(headers: [title, "REQUESTS", "ERRORS", "CACHED", "TOKENS IN", "TOKENS OUT", "COST"])
                    for group in analytics.groups {
                        table.rows.append(Self.row(group.group.isEmpty ? "-" : group.group, group.figures))
                    }
                    table.rows.append(Self.row("total", analytics.totals))
                    Console.line(table.render())
                }
                Console.line("\(gateway.map { "gateway \($0)" } ?? "every gateway"), since \(start.formatted(.iso8601))")
            }
        }

        static func row(_ name: String, _ figures: AnalyticsFigures) -> [String] {
            [
                name, String(figures.requests), String(figures.errors), String(figures.cached), String(figures.tokensIn),
                String(figures.tokensOut), Money.dollars(figures.cost),
            ]
        }

        /// `30m`, `24h`, `7d` (or seconds) in seconds.
        static func seconds(_ text: String) -> Double? {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            if let last = text.last, let unit = units[last], let value = Double(text.dropLast()), value > 0 { return value * unit }
            return Double(text).flatMap { $0 > 0 ? $0 : nil }
        }
    }

    struct Decrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print Logpush files as NDJSON with their sealed fields opened.",
            discussion: """
                Reads gzip NDJSON files written by Logpush (README, "Log export") and prints each line with \
                Metadata, RequestBody and ResponseBody decrypted with the RSA private key (PEM) whose public \
                key the gateway has as logpush_public_key.
                """)
        @Option(name: .long, help: "The RSA private key, a PEM file (-----BEGIN PRIVATE KEY-----).")
        var key: String
        @Argument(help: "Logpush files (.ndjson.gz, or .ndjson.gz.partial while open).")
        var files: [String]

        func run() async throws {
            let pem: String
            do {
                pem = try String(contentsOfFile: key, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read the private key \(key): \(error.localizedDescription)")
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read \(file)")
                }
                for (number, line) in try LogpushFileReader.lines(Array(data)).enumerated() {
                    do {
                        Console.line(String(decoding: try LogpushLine.decrypt(line, with: pem), as: UTF8.self))
                    } catch {
                        throw ValidationError("\(file), line \(number + 1): cannot be decrypted with this key: \(error)")
                    }
                }
            }
        }
    }
}
