import AIGateway
import ArgumentParser
import Foundation

/// `aigw routes list|show|deploy|rollback`: a gateway's dynamic routes (SPEC section 11).
struct RoutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes", abstract: "List and show a gateway's dynamic routes; deploy a version, or roll back.",
        subcommands: [List.self, Show.self, Deploy.self, Rollback.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a gateway's dynamic routes and their live versions.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"

        func run() async throws {
            try await runAdmin {
                let routes = try await server.client().routes(gateway: gateway)
                if server.json { return try server.printJSON(routes) }
                var table = TextTable(headers: ["NAME", "ID", "LIVE VERSION", "ELEMENTS"])
                for route in routes {
                    table.rows.append([route.name, route.id, route.deployment?.versionID ?? "-", String(route.elements.count)])
                }
                Console.line(table.render())
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a route: its live graph, versions and deployments.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Argument(help: "The route's name or id.") var route: String

        func run() async throws {
            try await runAdmin {
                let client = try server.client()
                let found = try await find(route, gateway: gateway, client: client)
                let versions = try await client.routeVersions(gateway: gateway, route: found.id)
                let deployments = try await client.routeDeployments(gateway: gateway, route: found.id)
                Console.line("route \(found.name) (\(found.id)), live version \(found.deployment?.versionID ?? "none")")
                for element in found.elements {
                    let outputs = element.outputs.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value.elementID)" }
                    let properties = element.properties.map { " " + String(decoding: JSONValue.object($0).jsonData(), as: UTF8.self) } ?? ""
                    Console.line("  \(element.id) [\(element.type)]\(properties)\(outputs.isEmpty ? "" : "  " + outputs.joined(separator: ", "))")
                }
                var table = TextTable(headers: ["VERSION", "LIVE", "CREATED"])
                for version in versions { table.rows.append([version.versionID, version.isLive ? "yes" : "", version.createdAt]) }
                Console.line(table.render())
                var history = TextTable(headers: ["DEPLOYMENT", "VERSION", "DEPLOYED"])
                for deployment in deployments { history.rows.append([deployment.deploymentID, deployment.versionID, deployment.createdAt]) }
                Console.line(history.render())
            }
        }
    }

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a version of a route live for new requests.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Argument(help: "The route's name or id.") var route: String
        @Argument(help: "The version id (as `aigw routes show` lists it).") var version: String

        func run() async throws {
            try await runAdmin {
                let client = try server.client()
                let found = try await find(route, gateway: gateway, client: client)
                let deployed = try await client.deployRoute(gateway: gateway, route: found.id, version: version)
                Console.line("route \(deployed.name): version \(deployed.deployment?.versionID ?? version) is live")
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the version that was live before the current deployment live again.")
        @OptionGroup var server: ServerOptions
        @Option(name: [.short, .long], help: "The gateway.") var gateway = "default"
        @Argument(help: "The route's name or id.") var route: String

        func run() async throws {
            try await runAdmin {
                let client = try server.client()
                let found = try await find(route, gateway: gateway, client: client)
                let deployments = try await client.routeDeployments(gateway: gateway, route: found.id)
                guard let current = deployments.first?.versionID,
                    let previous = deployments.dropFirst().first(where: { $0.versionID != current })?.versionID
                else {
                    throw ValidationError("route \(found.name) has no earlier version deployed to roll back to")
                }
                _ = try await client.deployRoute(gateway: gateway, route: found.id, version: previous)
                Console.line("route \(found.name): rolled back from version \(current) to \(previous)")
            }
        }
    }
}

/// The route a name or id names.
private func find(_ route: String, gateway: String, client: ManagementClient) async throws -> RouteInfo {
    let routes = try await client.routes(gateway: gateway)
    guard let found = routes.first(where: { $0.name == route || $0.id == route }) else {
        throw ValidationError("gateway \(gateway) has no route named or numbered '\(route)'")
    }
    return found
}
