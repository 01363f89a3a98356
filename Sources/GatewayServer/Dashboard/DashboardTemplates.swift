import Foundation
import Mustache

/// The dashboard's Mustache templates and stylesheet, read once from the module's resources
/// (they ship inside the build: no internet, no build step). `{{name}}` escapes what it
/// writes; the templates use `{{{name}}}` only for the SVG charts, which ``SVGChart`` builds
/// with every text in them escaped.
struct DashboardTemplates: Sendable {
    let library: MustacheLibrary
    let stylesheet: String

    static let names = ["head", "foot", "overview", "logs", "log", "signin", "problem", "settings", "delete", "credentials", "datasets", "limits", "routes", "route", "protection", "telemetry"]

    /// The shipped templates.
    static func shipped() throws -> DashboardTemplates {
        guard let assets = Bundle.module.url(forResource: "Assets", withExtension: nil) else {
            throw DashboardError("the dashboard's assets are missing from the build")
        }
        var library = MustacheLibrary()
        for name in names {
            let text = try String(contentsOf: assets.appendingPathComponent("templates/\(name).mustache"), encoding: .utf8)
            try library.register(text, named: name)
        }
        let stylesheet = try String(contentsOf: assets.appendingPathComponent("app.css"), encoding: .utf8)
        return DashboardTemplates(library: library, stylesheet: stylesheet)
    }

    /// `page` rendered with `values`.
    func render(_ page: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: page) ?? ""
    }
}

/// A dashboard that cannot start (its assets are missing).
struct DashboardError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
