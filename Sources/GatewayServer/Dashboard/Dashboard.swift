import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import HTTPTypes
import Hummingbird

/// The web dashboard (SPEC section 12), served by `aigw serve` itself: `/` is the overview of
/// every gateway; `/dashboard/gateways/{id}` one gateway's, `/logs` its logs, `/logs/{log_id}`
/// one log with its feedback. Pages are rendered on the server from Mustache templates; there
/// is no script at all, so the Content-Security-Policy allows none.
///
/// Access follows the management API's rules. With an admin token, a sign-in page takes it
/// once and sets a signed session cookie (``DashboardSession``); without one, only loopback
/// clients are served (each gets a session on its first visit, for the CSRF tokens of its
/// forms). Every form that changes something carries its session's CSRF token, and a change
/// from another site (`Sec-Fetch-Site` or `Origin` saying so) is refused as well.
struct Dashboard: Sendable {
    let configuration: GatewayConfiguration
    let directory: GatewayDirectory
    let store: any LogStore
    let writer: LogWriter
    /// Creates, changes and deletes gateways exactly as the management API does.
    let gatewayChanges: GatewayEndpoints
    /// Makes and revokes run tokens and stored keys exactly as the management API does.
    let credentialChanges: CredentialEndpoints
    /// Datasets and evaluations, made as the management API makes them.
    let datasets: DatasetEndpoints
    /// Dynamic routes, deployed as the management API deploys them.
    let routeChanges: RouteEndpoints
    /// The run tokens and stored keys as they are now (listed, never their secrets).
    let features: GatewayFeatures
    let providers: ProviderTable
    let templates: DashboardTemplates
    /// What sessions are signed with: the admin token, or a secret of this process when
    /// there is none (loopback-only mode).
    let signingSecret: String

    init(
        configuration: GatewayConfiguration, directory: GatewayDirectory, store: any LogStore, writer: LogWriter,
        gatewayChanges: GatewayEndpoints, credentialChanges: CredentialEndpoints, datasets: DatasetEndpoints,
        routeChanges: RouteEndpoints, features: GatewayFeatures, providers: ProviderTable, templates: DashboardTemplates
    ) {
        self.routeChanges = routeChanges
        self.gatewayChanges = gatewayChanges
        self.credentialChanges = credentialChanges
        self.datasets = datasets
        self.features = features
        self.providers = providers
        self.configuration = configuration
        self.directory = directory
        self.store = store
        self.writer = writer
        self.templates = templates
        self.signingSecret =
            configuration.adminToken ?? (0..<32).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
    }

    func register(on router: Router<GatewayRequestContext>) {
        let pages = DashboardPages(dashboard: self)
        router.get("/") { request, context in await guarded(request, context) { session in try await pages.overview(request, gatewayID: nil, session: session) } }
        router.get("/dashboard") { _, _ in Self.redirect(to: "/") }
        router.get("/dashboard/gateways/:gateway") { request, context in
            await guarded(request, context) { session in
                try await pages.overview(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        router.get("/dashboard/gateways/:gateway/logs") { request, context in
            await guarded(request, context) { session in try await pages.logs(request, gatewayID: try existingGateway(context), session: session) }
        }
        router.get("/dashboard/gateways/:gateway/logs/:log") { request, context in
            await guarded(request, context) { session in
                try await pages.log(gatewayID: try existingGateway(context), id: context.parameters.required("log"), session: session)
            }
        }
        router.post("/dashboard/gateways/:gateway/logs/:log") { request, context in
            await guarded(request, context, changes: true) { session in
                try await pages.setFeedback(
                    request, gatewayID: try existingGateway(context), id: context.parameters.required("log"))
            }
        }
        let gatewayPages = DashboardGatewayPages(dashboard: self, pages: pages)
        router.get("/dashboard/new-gateway") { request, context in
            await guarded(request, context) { session in gatewayPages.newGatewayPage(session: session) }
        }
        router.post("/dashboard/new-gateway") { request, context in
            await guarded(request, context, changes: true) { session in try await gatewayPages.create(request, session: session) }
        }
        router.get("/dashboard/gateways/:gateway/settings") { request, context in
            await guarded(request, context) { session in
                try gatewayPages.settingsPage(
                    gatewayID: try existingGateway(context), session: session, saved: request.uri.queryParameters["saved"] != nil)
            }
        }
        router.post("/dashboard/gateways/:gateway/settings") { request, context in
            await guarded(request, context, changes: true) { session in
                try await gatewayPages.save(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        router.get("/dashboard/gateways/:gateway/delete") { request, context in
            await guarded(request, context) { session in try await gatewayPages.deletePage(gatewayID: try existingGateway(context), session: session) }
        }
        router.post("/dashboard/gateways/:gateway/delete") { request, context in
            await guarded(request, context, changes: true) { _ in try await gatewayPages.delete(gatewayID: try existingGateway(context)) }
        }
        let credentialPages = DashboardCredentialPages(dashboard: self, pages: pages)
        router.get("/dashboard/gateways/:gateway/credentials") { request, context in
            await guarded(request, context) { session in credentialPages.page(gatewayID: try existingGateway(context), session: session) }
        }
        router.post("/dashboard/gateways/:gateway/credentials/tokens") { request, context in
            await guarded(request, context, changes: true) { session in
                try await credentialPages.makeToken(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        router.post("/dashboard/gateways/:gateway/credentials/tokens/revoke") { request, context in
            await guarded(request, context, changes: true) { _ in try await credentialPages.revokeToken(request, gatewayID: try existingGateway(context)) }
        }
        router.post("/dashboard/gateways/:gateway/credentials/keys") { request, context in
            await guarded(request, context, changes: true) { session in
                try await credentialPages.storeKey(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        router.post("/dashboard/gateways/:gateway/credentials/keys/delete") { request, context in
            await guarded(request, context, changes: true) { _ in try await credentialPages.deleteKey(request, gatewayID: try existingGateway(context)) }
        }
        let limitPages = DashboardLimitPages(dashboard: self, pages: pages)
        router.get("/dashboard/gateways/:gateway/limits") { request, context in
            await guarded(request, context) { session in
                try await limitPages.page(
                    gatewayID: try existingGateway(context), session: session, saved: request.uri.queryParameters["saved"] != nil)
            }
        }
        router.post("/dashboard/gateways/:gateway/limits/rules") { request, context in
            await guarded(request, context, changes: true) { session in
                try await limitPages.addRule(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        router.post("/dashboard/gateways/:gateway/limits/rules/remove") { request, context in
            await guarded(request, context, changes: true) { session in
                try await limitPages.removeRule(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        router.post("/dashboard/gateways/:gateway/limits/logs") { request, context in
            await guarded(request, context, changes: true) { session in
                try await limitPages.saveLogManagement(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        let telemetryPages = DashboardTelemetryPages(dashboard: self, pages: pages)
        router.get("/dashboard/gateways/:gateway/telemetry") { request, context in
            await guarded(request, context) { session in
                try await telemetryPages.page(gatewayID: try existingGateway(context), session: session)
            }
        }
        let protectionPages = DashboardProtectionPages(dashboard: self, pages: pages)
        router.get("/dashboard/gateways/:gateway/protection") { request, context in
            await guarded(request, context) { session in
                try protectionPages.page(
                    gatewayID: try existingGateway(context), session: session, saved: request.uri.queryParameters["saved"] != nil)
            }
        }
        router.post("/dashboard/gateways/:gateway/protection") { request, context in
            await guarded(request, context, changes: true) { session in
                try await protectionPages.save(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        let routePages = DashboardRoutePages(dashboard: self, pages: pages)
        router.get("/dashboard/gateways/:gateway/routes") { request, context in
            await guarded(request, context) { session in try await routePages.list(gatewayID: try existingGateway(context), session: session) }
        }
        router.get("/dashboard/gateways/:gateway/routes/:route") { request, context in
            await guarded(request, context) { session in
                try await routePages.route(gatewayID: try existingGateway(context), routeID: context.parameters.required("route"), session: session)
            }
        }
        router.post("/dashboard/gateways/:gateway/routes/:route/deploy") { request, context in
            await guarded(request, context, changes: true) { _ in
                try await routePages.deploy(request, gatewayID: try existingGateway(context), routeID: context.parameters.required("route"))
            }
        }
        let datasetPages = DashboardDatasetPages(dashboard: self, pages: pages)
        router.get("/dashboard/gateways/:gateway/datasets") { request, context in
            await guarded(request, context) { session in try await datasetPages.page(gatewayID: try existingGateway(context), session: session) }
        }
        router.post("/dashboard/gateways/:gateway/datasets") { request, context in
            await guarded(request, context, changes: true) { session in
                try await datasetPages.saveView(request, gatewayID: try existingGateway(context), session: session)
            }
        }
        router.post("/dashboard/gateways/:gateway/datasets/evaluate") { request, context in
            await guarded(request, context, changes: true) { _ in try await datasetPages.evaluate(request, gatewayID: try existingGateway(context)) }
        }
        router.post("/dashboard/gateways/:gateway/datasets/delete") { request, context in
            await guarded(request, context, changes: true) { _ in try await datasetPages.delete(request, gatewayID: try existingGateway(context)) }
        }
        router.get("/dashboard/sign-in") { request, context in signInPage(next: Self.localPath(request.uri.queryParameters["next"].map(String.init)), problem: nil) }
        router.post("/dashboard/sign-in") { request, context in try await signIn(request) }
        router.post("/dashboard/sign-out") { request, context in
            await guarded(request, context, changes: true) { _ in
                var response = Self.redirect(to: configuration.adminToken == nil ? "/" : "/dashboard/sign-in")
                response.headers.append(HTTPField(name: .setCookie, value: cookie("", maxAge: 0)))
                return response
            }
        }
        router.get("/dashboard/assets/app.css") { _, _ in
            var response = Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: templates.stylesheet)))
            Self.secure(&response)
            return response
        }
    }

    // MARK: Access

    /// Runs `page` for a client allowed in, with its session; sends anyone else to sign in
    /// (or refuses them, without a token and off loopback). With `changes`, the request must
    /// also carry the session's CSRF token and come from this site.
    private func guarded(
        _ request: Request, _ context: GatewayRequestContext, changes: Bool = false,
        _ page: (DashboardSession) async throws -> Response
    ) async -> Response {
        var response: Response
        var newSession: DashboardSession?
        let session: DashboardSession
        if let presented = Self.cookieValue(request.headers[.cookie]).flatMap({
            DashboardSession.verify($0, adminToken: signingSecret)
        }) {
            session = presented
        } else if configuration.adminToken == nil {
            // Loopback only, no token: a session of its own for the CSRF tokens.
            session = DashboardSession.start()
            newSession = session
        } else {
            let next = HTML.segment(request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""))
            return Self.redirect(to: "/dashboard/sign-in?next=" + next)
        }
        if configuration.adminToken == nil && !AdminAccess.isLoopback(context.remoteAddress) {
            return problem(
                .forbidden, "Not available", "No admin token is configured, so the dashboard answers loopback clients only.")
        }
        if changes {
            let form = (try? await Self.formFields(request)) ?? [:]
            guard newSession == nil, Self.sameSite(request),
                session.acceptsCSRF(form["csrf"], adminToken: signingSecret)
            else {
                return problem(.forbidden, "Refused", "This change did not come from a dashboard page: reload the page and try again.")
            }
        }
        do {
            response = try await page(session)
        } catch let error as ManagementError {
            response = problem(HTTPResponse.Status(code: error.httpStatus), "Not possible", error.message)
        } catch {
            let incident = ULID().description
            context.logger.error("dashboard page failed", metadata: ["incident": "\(incident)", "error": "\(error)"])
            response = problem(.internalServerError, "Something went wrong", "The page could not be made (incident \(incident)).")
        }
        if let newSession {
            response.headers.append(
                HTTPField(name: .setCookie, value: cookie(newSession.cookieValue(adminToken: signingSecret), maxAge: DashboardSession.lifetime)))
        }
        return response
    }

    private func signIn(_ request: Request) async throws -> Response {
        let form = try await Self.formFields(request)
        let next = Self.localPath(form["next"])
        guard let adminToken = configuration.adminToken else { return Self.redirect(to: next) }
        guard Self.sameSite(request) else { return signInPage(next: next, problem: "Sign in from this dashboard's own page.") }
        let presented = form["token"] ?? ""
        guard AdminAccess.constantTimeEquals(Array(presented.utf8), Array(adminToken.utf8)) else {
            var response = signInPage(next: next, problem: "That is not the admin token.")
            response.status = .unauthorized
            return response
        }
        var response = Self.redirect(to: next)
        let session = DashboardSession.start()
        response.headers.append(
            HTTPField(name: .setCookie, value: cookie(session.cookieValue(adminToken: adminToken), maxAge: DashboardSession.lifetime)))
        return response
    }

    private func signInPage(next: String, problem: String?) -> Response {
        var values: [String: Any] = ["next": next]
        if let problem { values["problem"] = problem }
        return html(.ok, templates.render("signin", values))
    }

    private func existingGateway(_ context: GatewayRequestContext) throws -> String {
        let id = context.parameters.required("gateway")
        guard directory.settings(id) != nil else { throw ManagementError.notFound("There is no gateway '\(id)'.") }
        return id
    }

    // MARK: Responses

    /// A page, with the headers every dashboard answer carries.
    func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
        Self.secure(&response)
        return response
    }

    func problem(_ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        html(status, templates.render("problem", ["title": heading, "heading": heading, "message": message, "account": configuration.accountID]))
    }

    /// No script from anywhere, styles and images only from here, no framing, no sniffing.
    static func secure(_ response: inout Response) {
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }

    static func redirect(to location: String) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        secure(&response)
        return response
    }

    /// The session cookie: HttpOnly, SameSite=Strict, for the whole site. (Secure is for a
    /// gateway reached over TLS, which aigw leaves to a proxy in front: set by `public_url`.)
    func cookie(_ value: String, maxAge: Int) -> String {
        Self.cookie(value, maxAge: maxAge, secure: configuration.publicURL?.hasPrefix("https://") == true)
    }

    static func cookie(_ value: String, maxAge: Int, secure: Bool = false) -> String {
        "\(DashboardSession.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static func cookieValue(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingHTTPWhitespace.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == DashboardSession.cookieName { return String(pair[1]) }
        }
        return nil
    }

    /// Whether a change comes from this site: browsers say where a request comes from in
    /// `Sec-Fetch-Site` (and `Origin`); a request with neither is not a browser's cross-site one.
    static func sameSite(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!] { return site == "same-origin" || site == "none" }
        if let origin = request.headers[HTTPField.Name("Origin")!], let host = request.head.authority {
            return origin == "http://\(host)" || origin == "https://\(host)"
        }
        return true
    }

    /// A form's fields (a body of at most 64 KiB); of a name sent twice (a checkbox after its
    /// hidden default) the last.
    static func formFields(_ request: Request) async throws -> [String: String] {
        var request = request
        var fields: [String: String] = [:]
        for (name, value) in QueryParameters(String(buffer: try await request.collectBody(upTo: 64 * 1024))).pairs {
            fields[name] = value
        }
        return fields
    }

    /// `path` when it is a path on this site, else `/` (a sign-in never sends anyone elsewhere).
    static func localPath(_ path: String?) -> String {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"),
            path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return "/" }
        return path
    }
}
