import AIGateway
import ArgumentParser
import Foundation

/// Where the management commands find the server, and how they print.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "The aigw server (default $AIGW_URL or http://127.0.0.1:8787).")
    var url: String?

    @Option(name: .long, help: "The account (default $AIGW_ACCOUNT_ID or local).")
    var account: String?

    @Flag(name: .long, help: "Print JSON (for scripts) instead of a table.")
    var json = false

    /// A management client; the admin token comes from $AIGW_ADMIN_TOKEN.
    func client() throws -> ManagementClient {
        let environment = ProcessInfo.processInfo.environment
        let text = url ?? environment["AIGW_URL"] ?? "http://127.0.0.1:8787"
        guard let base = URL(string: text), base.scheme == "http" || base.scheme == "https" else {
            throw ValidationError("--url: '\(text)' is not an http(s) URL")
        }
        return ManagementClient(
            baseURL: base, accountID: account ?? environment["AIGW_ACCOUNT_ID"] ?? "local",
            adminToken: environment["AIGW_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Prints `value` as indented JSON.
    func printJSON(_ value: some Encodable) throws {
        let encoder = WireFormat.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        Console.line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// Runs a management call, turning the binding's errors into one line on standard error
/// and exit status 1.
func runAdmin(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as AIGatewayError {
        Console.error("error: \(error)")
        throw ExitCode.failure
    }
}

/// A plain text table: a header row and aligned columns.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    func render() -> String {
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

/// `key:operator:value[,value...]`, e.g. `provider:eq:openai,groq`.
struct FilterArgument: ExpressibleByArgument {
    let filter: ManagementClient.LogFilter

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        filter = .init(key: parts[0], operator: parts[1], values: parts[2].split(separator: ",").map(String.init))
    }

    static var defaultValueDescription: String { "key:operator:value[,value]" }
}

/// `key=value` where value is read as JSON when it parses (`60`, `true`, `null`), else as text.
struct SettingArgument: ExpressibleByArgument {
    let key: String
    let value: JSONValue

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        key = String(argument[..<equals])
        let text = String(argument[argument.index(after: equals)...])
        value = (try? JSONValue(json: Data(text.utf8))) ?? .string(text)
    }
}
