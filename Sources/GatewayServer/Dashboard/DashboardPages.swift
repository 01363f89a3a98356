import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// What each dashboard page shows, read from the store and put into the words and numbers a
/// person reads (units, thousands, money), for the templates to lay out.
struct DashboardPages: Sendable {
    let dashboard: Dashboard

    private var store: any LogStore { dashboard.store }

    /// The ranges the overview offers, and the default.
    static let ranges: [(key: String, label: String, milliseconds: Int64)] = [
        ("1h", "Last hour", 3_600_000), ("24h", "24 hours", 86_400_000), ("7d", "7 days", 7 * 86_400_000),
        ("30d", "30 days", 30 * 86_400_000),
    ]

    // MARK: Overview

    /// The overview of one gateway, or of all (`gatewayID` nil).
    func overview(_ request: Request, gatewayID: String?, session: DashboardSession) async throws -> Response {
        let rangeKey = request.uri.queryParameters["range"].map(String.init) ?? "24h"
        guard let range = Self.ranges.first(where: { $0.key == rangeKey }) else {
            throw ManagementError.badInput("range", "'\(rangeKey)' is not one of \(Self.ranges.map(\.key).joined(separator: ", "))")
        }
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let interval = AnalyticsInterval.fitting(span: range.milliseconds)
        // Whole buckets: the range starts at the start of its first bucket.
        let start = (now - range.milliseconds) / interval.milliseconds * interval.milliseconds
        await dashboard.writer.flush()
        var query = AnalyticsQuery(start: start, end: now + 1, interval: interval, groupBy: .provider)
        let byProvider = try await store.analytics(gatewayID: gatewayID, query: query)
        query.groupBy = .model
        let byModel = try await store.analytics(gatewayID: gatewayID, query: query)

        let base = gatewayID.map { "/dashboard/gateways/" + HTML.segment($0) } ?? "/"
        var values = layout(title: gatewayID.map { "Gateway \($0)" } ?? "All gateways", current: gatewayID, session: session)
        values["heading"] = gatewayID.map { "Gateway \($0)" } ?? "All gateways"
        values["ranges"] = Self.ranges.map { ["href": base + "?range=" + $0.key, "label": $0.label, "current": $0.key == range.key] }
        values["rangeText"] = Self.time(start) + " – " + Self.time(now) + " UTC"
        values["interval"] = interval.rawValue
        values["logsPath"] = gatewayID.map { "/dashboard/gateways/\(HTML.segment($0))/logs" }
        values["settingsPath"] = gatewayID.map(DashboardGatewayPages.settingsPath)
        values["credentialsPath"] = gatewayID.map { "/dashboard/gateways/\(HTML.segment($0))/credentials" }
        values["datasetsPath"] = gatewayID.map { "/dashboard/gateways/\(HTML.segment($0))/datasets" }
        values["limitsPath"] = gatewayID.map(DashboardLimitPages.path)
        values["routesPath"] = gatewayID.map(DashboardRoutePages.path)
        values["protectionPath"] = gatewayID.map(DashboardProtectionPages.path)
        values["telemetryPath"] = gatewayID.map(DashboardTelemetryPages.path)
        values["totals"] = Self.totals(byProvider.totals)
        values["hasRequests"] = byProvider.totals.requests > 0
        values["chart"] = Self.chart(byProvider, start: start, end: now, interval: interval)
        values["providers"] = byProvider.groups.map { Self.groupRow($0, of: byProvider.totals) }
        values["models"] = byModel.groups.map { Self.groupRow($0, of: byModel.totals) }
        if gatewayID == nil {
            let gateways = dashboard.directory.all().sorted { $0.id < $1.id }
            values["hasGateways"] = !gateways.isEmpty
            values["gatewayRows"] = gateways.map { settings -> [String: Any] in
                [
                    "id": settings.id, "path": "/dashboard/gateways/" + HTML.segment(settings.id),
                    "logs": settings.collectLogs ? "collected" : "off",
                    "cacheTTL": settings.cacheTTL.map { "\($0) s" } ?? "off",
                    "rateLimit": settings.rateLimitingLimit.map { limit in
                        "\(limit) per \(settings.rateLimitingInterval ?? 0) s"
                    } ?? "off",
                    "authentication": settings.authentication ? "required" : "open",
                ]
            }
        }
        return dashboard.html(.ok, dashboard.templates.render("overview", values))
    }

    static func totals(_ figures: AnalyticsFigures) -> [String: Any] {
        [
            "requests": count(figures.requests), "errors": count(figures.errors),
            "errorRate": percent(figures.errors, of: figures.requests) + " of requests",
            "cached": count(figures.cached), "cacheRatio": percent(figures.cached, of: figures.requests),
            "tokensIn": count(figures.tokensIn), "tokensOut": count(figures.tokensOut), "cost": money(figures.cost),
            "p50": milliseconds(figures.durationP50), "p95": milliseconds(figures.durationP95),
        ]
    }

    static func groupRow(_ group: AnalyticsGroup, of totals: AnalyticsFigures) -> [String: Any] {
        [
            "share": SVGChart.share(Double(group.figures.requests) / Double(max(totals.requests, 1)),
                                    errors: Double(group.figures.errors) / Double(max(totals.requests, 1))),
            "group": group.group.isEmpty ? "(none)" : group.group, "requests": count(group.figures.requests),
            "errors": count(group.figures.errors), "tokens": count(group.figures.tokensIn + group.figures.tokensOut),
            "cost": money(group.figures.cost), "p50": milliseconds(group.figures.durationP50),
        ]
    }

    /// Requests per bucket (every provider together), errors drawn within them; empty buckets drawn empty.
    static func chart(_ analytics: GatewayAnalytics, start: Int64, end: Int64, interval: AnalyticsInterval) -> String {
        var perBucket: [Int64: (requests: Int, errors: Int)] = [:]
        for bucket in analytics.buckets {
            let key = Int64((bucket.start.timeIntervalSince1970 * 1000).rounded())
            perBucket[key, default: (0, 0)].requests += bucket.figures.requests
            perBucket[key, default: (0, 0)].errors += bucket.figures.errors
        }
        var bars: [SVGChart.Bar] = []
        var at = start / interval.milliseconds * interval.milliseconds
        while at <= end {
            let figures = perBucket[at] ?? (0, 0)
            bars.append(
                SVGChart.Bar(
                    label: "\(time(at)) UTC: \(count(figures.requests)) requests, \(count(figures.errors)) errors",
                    value: Double(figures.requests), part: Double(figures.errors)))
            at += interval.milliseconds
        }
        return SVGChart(bars: bars, firstLabel: time(start), lastLabel: time(end)).render()
    }

    // MARK: Logs

    /// One page of a gateway's logs, filtered by the same parameters as the logs API.
    func logs(_ request: Request, gatewayID: String, session: DashboardSession) async throws -> Response {
        let path = "/dashboard/gateways/\(HTML.segment(gatewayID))/logs"
        // A form sends its empty fields too: those filter nothing.
        let parameters = QueryParameters(request.uri.query).pairs.filter { !$0.value.isEmpty }
        var values = layout(title: "Logs of \(gatewayID)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["path"] = path
        values["datasetsPath"] = "/dashboard/gateways/\(HTML.segment(gatewayID))/datasets"
        values["csrf"] = session.csrfToken(adminToken: dashboard.signingSecret)
        var filter: [String: Any] = [:]
        for (name, value) in parameters { filter[name] = value }
        filter["successTrue"] = filter["success"] as? String == "true"
        filter["successFalse"] = filter["success"] as? String == "false"
        filter["cachedTrue"] = filter["cached"] as? String == "true"
        filter["cachedFalse"] = filter["cached"] as? String == "false"
        values["filter"] = filter
        values["dlpActions"] = ["FLAG", "REDACT", "BLOCK"].map { ["value": $0, "selected": filter["dlp_action"] as? String == $0] }
        values["guardrailActions"] = ["FLAG", "BLOCK", "PASS", "UNCHECKED"].map {
            ["value": $0, "selected": filter["guardrail_action"] as? String == $0]
        }
        let orderBy = filter["order_by"] as? String ?? "created_at"
        values["sortFields"] = [
            ("created_at", "time"), ("duration", "duration"), ("cost", "cost"), ("tokens_in", "tokens in"),
            ("tokens_out", "tokens out"), ("status_code", "status"), ("provider", "provider"), ("model", "model"),
            ("feedback", "feedback"), ("score", "score"),
        ].map { ["value": $0.0, "label": $0.1, "selected": $0.0 == orderBy] }
        values["ascending"] = filter["order_by_direction"] as? String == "asc"
        let query: LogQuery
        do {
            var read = try LogQueryParser.query(QueryParameters(pairs: parameters))
            if !parameters.contains(where: { $0.name == "per_page" }) { read.perPage = 50 }
            query = read
        } catch let error as ManagementError {
            values["problem"] = error.message
            values["total"] = "0"
            return dashboard.html(.badRequest, dashboard.templates.render("logs", values))
        }
        await dashboard.writer.flush()
        let page = try await store.logs(gatewayID: gatewayID, query: query)
        values["total"] = Self.count(page.totalCount)
        let pages = max(1, (page.totalCount + query.perPage - 1) / query.perPage)
        values["page"] = query.page
        values["pages"] = pages
        values["hasLogs"] = !page.logs.isEmpty
        values["logs"] = page.logs.map { log -> [String: Any] in
            [
                "path": "\(path)/\(HTML.segment(log.id))", "time": Self.time(log.createdAt), "provider": log.provider,
                "model": log.model.isEmpty ? "–" : log.model, "status": log.statusCode, "failed": !log.success,
                "duration": Self.milliseconds(log.duration),
                "tokens": "\(log.tokensIn.map(Self.count) ?? "–") / \(log.tokensOut.map(Self.count) ?? "–")",
                "cost": log.cost.map(Self.money) ?? "–", "cached": log.cached,
            ]
        }
        func pageLink(_ number: Int) -> String {
            var pairs = parameters.filter { $0.name != "page" }
            pairs.append(("page", String(number)))
            return path + "?" + pairs.map { HTML.segment($0.name) + "=" + HTML.segment($0.value) }.joined(separator: "&")
        }
        if query.page > 1 { values["previous"] = pageLink(query.page - 1) }
        if query.page < pages { values["next"] = pageLink(query.page + 1) }
        return dashboard.html(.ok, dashboard.templates.render("logs", values))
    }

    // MARK: One log

    func log(gatewayID: String, id: String, session: DashboardSession) async throws -> Response {
        var found = try await store.log(id: id, gatewayID: gatewayID)
        if found == nil {
            await dashboard.writer.flush()
            found = try await store.log(id: id, gatewayID: gatewayID)
        }
        guard let log = found else { throw ManagementError.notFound("There is no log '\(id)' in gateway '\(gatewayID)'.") }
        let bodies = try await store.bodies(of: log)
        var values = layout(title: "Log \(log.id)", current: gatewayID, session: session)
        values["gateway"] = gatewayID
        values["id"] = log.id
        values["path"] = "/dashboard/gateways/\(HTML.segment(gatewayID))/logs/\(HTML.segment(log.id))"
        values["logsPath"] = "/dashboard/gateways/\(HTML.segment(gatewayID))/logs"
        values["csrf"] = session.csrfToken(adminToken: dashboard.signingSecret)
        values["error"] = log.error
        values["feedbackText"] = log.feedback == 1 ? "thumbs up" : log.feedback == -1 ? "thumbs down" : "none"
        values["score"] = log.score.map(String.init)
        var facts: [(String, String)] = [
            ("Time (UTC)", Self.time(log.createdAt)), ("Provider", log.provider), ("Model", log.model.isEmpty ? "–" : log.model),
            ("Path", log.path), ("Status", "\(log.statusCode) (\(log.success ? "success" : "error"))"),
            ("Duration", Self.milliseconds(log.duration)), ("Tokens in", log.tokensIn.map(Self.count) ?? "–"),
            ("Tokens out", log.tokensOut.map(Self.count) ?? "–"), ("Cost", log.cost.map(Self.money) ?? "–"),
            ("Cached", log.cached ? "yes" : "no"), ("Request size", Self.bytes(log.requestSize)),
            ("Response size", Self.bytes(log.responseSize)),
        ]
        if let eventID = log.eventID { facts.append(("Event id", eventID)) }
        if let step = log.step { facts.append(("Universal step", String(step))) }
        values["facts"] = facts.map { ["name": $0.0, "value": $0.1] }
        let metadata = (log.metadata ?? [:]).sorted { $0.key < $1.key }
        values["hasMetadata"] = !metadata.isEmpty
        values["metadata"] = metadata.map { ["key": $0.key, "value": $0.value.displayText] }
        values["request"] = bodies.request.map(Self.readable)
        values["response"] = bodies.response.map(Self.readable)
        if let response = bodies.response, log.responseContentType?.contains("event-stream") == true {
            values["reassembled"] = StreamReassembly.text(of: response)
        }
        return dashboard.html(.ok, dashboard.templates.render("log", values))
    }

    /// A feedback or score form: applied as the logs API's PATCH would, then back to the log.
    func setFeedback(_ request: Request, gatewayID: String, id: String) async throws -> Response {
        let form = try await Dashboard.formFields(request)
        var patch = LogPatch()
        if let feedback = form["feedback"] {
            switch feedback {
            case "1": patch.feedback = .set(1)
            case "-1": patch.feedback = .set(-1)
            case "": patch.feedback = .cleared
            default: throw ManagementError.badInput("feedback", "'\(feedback)' is not 1, -1 or empty")
            }
        }
        if let score = form["score"] {
            if score.isEmpty {
                patch.score = .cleared
            } else {
                guard let value = Int(score), (0...100).contains(value) else {
                    throw ManagementError.badInput("score", "'\(score)' is not a whole number from 0 to 100")
                }
                patch.score = .set(value)
            }
        }
        await dashboard.writer.flush()
        guard try await store.patchLog(id: id, gatewayID: gatewayID, patch: patch) != nil else {
            throw ManagementError.notFound("There is no log '\(id)' in gateway '\(gatewayID)'.")
        }
        return Dashboard.redirect(to: "/dashboard/gateways/\(HTML.segment(gatewayID))/logs/\(HTML.segment(id))")
    }

    // MARK: Layout and formatting

    func layout(title: String, current: String?, session: DashboardSession) -> [String: Any] {
        let gateways = dashboard.directory.all().map(\.id).sorted()
        var values: [String: Any] = [
            "title": title, "account": dashboard.configuration.accountID, "allCurrent": current == nil,
            "nav": gateways.map { ["id": $0, "path": "/dashboard/gateways/" + HTML.segment($0), "current": $0 == current] },
        ]
        // Sign-out needs a token to sign in with again.
        if dashboard.configuration.adminToken != nil { values["signOutCSRF"] = session.csrfToken(adminToken: dashboard.signingSecret) }
        return values
    }

    /// A body as text, JSON pretty-printed (keys sorted) when it is JSON.
    static func readable(_ bytes: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            object is [Any] || object is [String: Any],
            let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        {
            return String(decoding: pretty, as: UTF8.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func count(_ value: Int) -> String {
        value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "–" : String(format: "%.1f%%", Double(part) * 100 / Double(whole))
    }

    static func money(_ dollars: Double) -> String {
        if dollars == 0 { return "$0" }
        return dollars < 0.01 ? String(format: "$%.6f", dollars) : String(format: "$%.2f", dollars)
    }

    static func milliseconds(_ value: Int?) -> String {
        guard let value else { return "–" }
        return value < 10_000 ? "\(count(value)) ms" : String(format: "%.1f s", Double(value) / 1000)
    }

    static func bytes(_ value: Int) -> String {
        value < 1024 ? "\(value) B" : value < 1 << 20 ? String(format: "%.1f KiB", Double(value) / 1024) : String(format: "%.1f MiB", Double(value) / 1_048_576)
    }

    static func time(_ milliseconds: Int64) -> String {
        time(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeZone: .gmt).year().month().day().time(includingFractionalSeconds: false))
    }
}

extension MetadataValue {
    /// The value as the dashboard shows it.
    var displayText: String {
        switch self {
        case .string(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        }
    }
}
