import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import GatewayServer

/// The dashboard's access rules and protections, over HTTP (the browser test drives the pages).
@Suite("Dashboard: sign-in, sessions, CSRF, and the headers every page carries")
struct DashboardAccessTests {
    /// A client that does not follow redirects, so that each answer is seen as sent.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    struct Page {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    func fetch(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], form: String? = nil) async throws -> Page {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 22)
        return Page(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    /// The session cookie a page sets (`name=value`), if any.
    func sessionCookie(_ page: Page) -> String? {
        page.headers["set-cookie"].first.map { String($0.prefix { $0 != ";" }) }
    }

    @Test("without a token: loopback clients get pages with a strict CSP and a session; a change needs its CSRF token and this site")
    func loopback() async throws {
        try await LiveServers.with { servers in
            let answer = try await servers.send(servers.url("openai/chat/completions"), headers: ["authorization": "Bearer sk-test"], body: #"{"model":"gpt-4o-mini","messages":[]}"#)
            let logID = try #require(answer.logID)
            let overview = try await fetch("\(servers.gateway)/")
            #expect(overview.status == 200)
            #expect(overview.headers["content-security-policy"].first?.contains("default-src 'none'") == true)
            #expect(overview.headers["x-frame-options"].first == "DENY")
            #expect(overview.headers["x-content-type-options"].first == "nosniff")
            let setCookie = try #require(overview.headers["set-cookie"].first)
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let cookie = try #require(sessionCookie(overview))

            let logPath = "\(servers.gateway)/dashboard/gateways/test-gw/logs/\(logID)"
            let logPage = try await fetch(logPath, headers: [("cookie", cookie)])
            #expect(logPage.status == 200, "\(logPage.body)")
            let csrf = try #require(logPage.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)

            // Without the token, from another site, or without the session: refused, nothing changed.
            let noToken = try await fetch(logPath, method: .POST, headers: [("cookie", cookie)], form: "feedback=1")
            #expect(noToken.status == 403)
            let crossSite = try await fetch(
                logPath, method: .POST, headers: [("cookie", cookie), ("sec-fetch-site", "cross-site")], form: "csrf=\(csrf)&feedback=1")
            #expect(crossSite.status == 403)
            let noSession = try await fetch(logPath, method: .POST, form: "csrf=\(csrf)&feedback=1")
            #expect(noSession.status == 403)
            let unchanged = try await servers.send(.GET, "\(servers.gateway)/client/v4/accounts/local/ai-gateway/gateways/test-gw/logs/\(logID)")
            #expect(unchanged.status == 200 && (unchanged.json["result"] as? [String: Any])?["feedback"] as? Int == nil)

            // With all three: applied, and back to the log.
            let applied = try await fetch(logPath, method: .POST, headers: [("cookie", cookie)], form: "csrf=\(csrf)&feedback=-1")
            #expect(applied.status == 303)
            let changed = try await servers.send(.GET, "\(servers.gateway)/client/v4/accounts/local/ai-gateway/gateways/test-gw/logs/\(logID)")
            #expect((changed.json["result"] as? [String: Any])?["feedback"] as? Int == -1)
        }
    }

    @Test("with a token: pages send to sign-in; the token is checked once and never kept in the cookie; a forged cookie is nobody")
    func signIn() async throws {
        try await LiveServers.with(configure: { $0.adminToken = "s3cret-admin" }) { servers in
            let signedOut = try await fetch("\(servers.gateway)/")
            #expect(signedOut.status == 303)
            #expect(signedOut.headers["location"].first == "/dashboard/sign-in?next=%2F")

            let wrong = try await fetch("\(servers.gateway)/dashboard/sign-in", method: .POST, form: "token=guess&next=%2F")
            #expect(wrong.status == 401 && wrong.body.contains("not the admin token"))
            #expect(sessionCookie(wrong) == nil)

            let right = try await fetch(
                "\(servers.gateway)/dashboard/sign-in", method: .POST, form: "token=s3cret-admin&next=https%3A%2F%2Fevil.example%2F")
            #expect(right.status == 303)
            #expect(right.headers["location"].first == "/", "a sign-in never sends anyone off the site")
            let cookie = try #require(sessionCookie(right))
            #expect(!cookie.contains("s3cret-admin"))
            #expect(try await fetch("\(servers.gateway)/", headers: [("cookie", cookie)]).status == 200)

            // The same cookie with its expiry pushed out: its signature no longer holds.
            let parts = cookie.dropFirst("aigw_session=".count).split(separator: ".")
            let forged = "aigw_session=\(Int(parts[0])! + 1000).\(parts[1]).\(parts[2])"
            #expect(try await fetch("\(servers.gateway)/", headers: [("cookie", forged)]).status == 303)
        }
    }

    @Test("log content is escaped wherever the pages show it")
    func escaping() async throws {
        try await LiveServers.with { servers in
            let hostile = "<script>alert(1)</script>"
            _ = try await servers.send(
                servers.url("openai/chat/completions"),
                headers: ["authorization": "Bearer sk-test", "cf-aig-metadata": #"{"user":"<img src=x onerror=alert(2)>"}"#],
                body: #"{"model":"\#(hostile)","messages":[]}"#)
            for path in ["/", "/dashboard/gateways/test-gw", "/dashboard/gateways/test-gw/logs"] {
                let page = try await fetch(servers.gateway + path)
                #expect(page.status == 200)
                #expect(!page.body.contains("<script>") && !page.body.contains("<img src=x"), "\(path)")
                #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path)")
            }
        }
    }
}
