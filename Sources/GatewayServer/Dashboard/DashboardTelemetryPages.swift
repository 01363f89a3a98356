import AIGateway
import Crypto
import Foundation
import GatewayCore
import Hummingbird

/// A gateway's telemetry on one page: its OTLP exporters and how each fares in this process
/// (spans queued, exported, dropped, the last error), and Logpush: whether the gateway's logs
/// are exported, for which key, and how far the export is behind. Exporters and keys are set
/// through the management API (`otel`, `logpush`, `logpush_public_key`); credentials are
/// never shown, only the names of the headers that carry them.
struct DashboardTelemetryPages: Sendable {
    let dashboard: Dashboard
    let pages: DashboardPages

    static func path(_ gatewayID: String) -> String { "/dashboard/gateways/\(HTML.segment(gatewayID))/telemetry" }

    func page(gatewayID: String, session: DashboardSession) async throws -> Response {
        guard let settings = dashboard.directory.settings(gatewayID) else {
            throw ManagementError.notFound("There is no gateway '\(gatewayID)'.")
        }
        var values = pages.layout(title: "Telemetry of \(gatewayID)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        let statuses = dashboard.features.spans?.status(gatewayID: gatewayID) ?? []
        let exporters = settings.otel ?? []
        values["hasExporters"] = !exporters.isEmpty
        values["exporters"] = exporters.map { exporter -> [String: Any] in
            let status = statuses.first { $0.url == exporter.url && $0.contentType == (exporter.contentType ?? "json") }
            var row: [String: Any] = [
                "url": exporter.url, "contentType": exporter.contentType ?? "json",
                "headers": exporter.headers.keys.sorted().joined(separator: ", "),
                "authorization": exporter.authorization == nil ? "no" : "yes (hidden)",
                "queued": DashboardPages.count(status?.queued ?? 0), "exported": DashboardPages.count(status?.exported ?? 0),
                "dropped": DashboardPages.count(status?.dropped ?? 0),
                "lastExport": status?.lastExport.map(DashboardPages.time) ?? "never",
            ]
            if let error = status?.lastError { row["lastError"] = error }
            return row
        }
        values["logpush"] = settings.logpush
        values["keyFingerprint"] = settings.logpushPublicKey.map(Self.fingerprint) ?? "none"
        let reading = dashboard.features.logpush.current
        values["destination"] = reading.destination ?? "none: this process exports no logs (logpush in the configuration file)"
        values["pending"] = DashboardPages.count(reading.pending)
        values["lag"] = String(format: "%.1f s", reading.lagSeconds)
        values["exported"] = DashboardPages.count(reading.exported)
        values["skipped"] = DashboardPages.count(reading.skipped)
        values["lastDelivery"] = reading.lastDelivery.map(DashboardPages.time) ?? "never"
        values["lastFile"] = reading.lastFile ?? "–"
        values["logpushError"] = reading.lastError
        return dashboard.html(.ok, dashboard.templates.render("telemetry", values))
    }

    /// A key's SHA-256 fingerprint (of its PEM text), short enough to compare by eye.
    static func fingerprint(_ pem: String) -> String {
        "SHA-256 " + SHA256.hash(data: Data(pem.utf8)).prefix(12).hexString
    }
}
