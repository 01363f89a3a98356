import AIGateway
import ArgumentParser
import Foundation

/// `aigw log-management GATEWAY [--keep N] [--strategy S] [--retention-days D]`: shows or
/// changes how many logs a gateway keeps and for how long (SPEC section 11).
struct LogManagementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-management",
        abstract: "Show or change a gateway's log limit (log_management), its strategy, and its retention in days.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "The gateway id.") var gateway: String
    @Option(help: "The most logs kept, or `none`.") var keep: String?
    @Option(help: "At the limit: DELETE_OLDEST or STOP_INSERTING.") var strategy: String?
    @Option(name: .customLong("retention-days"), help: "Delete logs older than this many days, or `none`.") var retentionDays: String?

    func run() async throws {
        var changes: [String: JSONValue] = [:]
        if let keep { changes["log_management"] = try number(keep, "--keep") }
        if let strategy { changes["log_management_strategy"] = .string(strategy.uppercased()) }
        if let retentionDays { changes["log_retention_days"] = try number(retentionDays, "--retention-days") }
        try await runAdmin {
            let client = try server.client()
            let settings = changes.isEmpty ? try await client.gateway(id: gateway) : try await client.updateGateway(id: gateway, settings: changes)
            let stored = try await client.listLogs(gateway: gateway, perPage: 1).totalCount
            if server.json {
                return try server.printJSON(
                    [
                        "log_management": settings.logManagement.map { JSONValue.number(Double($0)) } ?? .null,
                        "log_management_strategy": settings.logManagementStrategy.map(JSONValue.string) ?? .null,
                        "log_retention_days": settings.logRetentionDays.map { JSONValue.number(Double($0)) } ?? .null,
                        "logs_stored": .number(Double(stored)),
                    ] as JSONValue)
            }
            let limit = settings.logManagement.map { "at most \($0) logs, \(settings.logManagementStrategy ?? "DELETE_OLDEST") at the limit" }
            Console.line("gateway \(gateway): \(stored) logs stored; \(limit ?? "no log limit")")
            Console.line("retention: \(settings.logRetentionDays.map { "logs older than \($0) days are deleted" } ?? "none")")
        }
    }

    private func number(_ text: String, _ option: String) throws -> JSONValue {
        if text.lowercased() == "none" { return .null }
        guard let value = Int(text), value > 0 else { throw ValidationError("\(option): '\(text)' is not a positive whole number or `none`") }
        return .number(Double(value))
    }
}
