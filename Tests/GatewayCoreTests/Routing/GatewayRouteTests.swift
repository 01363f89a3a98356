import Testing

@testable import GatewayCore

@Suite("Gateway URLs: /v1/{account}/{gateway}/{provider}/{path}")
struct GatewayRouteTests {
    @Test("splits account, gateway, provider and the rest")
    func splits() throws {
        let route = try GatewayRoute(path: "/v1/local/my-gw/openai/chat/completions", servedAccount: "local")
        #expect(route == GatewayRoute.init(accountID: "local", gatewayID: "my-gw", provider: "openai", providerPath: "chat/completions"))
        let model = try GatewayRoute(path: "/v1/local/g/workers-ai/@cf/meta/llama-3.1-8b-instruct", servedAccount: "local")
        #expect(model.providerPath == "@cf/meta/llama-3.1-8b-instruct")
        let bare = try GatewayRoute(path: "/v1/local/g/openai", servedAccount: "local")
        #expect(bare.providerPath == "")
    }

    @Test("a URL missing a part is a 400 that shows the right form")
    func missingParts() {
        for path in ["/v1/local", "/v1/local/g", "/v1/local/g/", "/v1//g/openai", "/v2/local/g/openai"] {
            #expect(throws: GatewayError.self, "\(path)") { try GatewayRoute(path: path, servedAccount: "local") }
        }
    }

    @Test("another account is 2001, naming the account served")
    func otherAccount() {
        #expect {
            try GatewayRoute(path: "/v1/someone-else/g/openai/x", servedAccount: "local")
        } throws: { error in
            let error = error as! GatewayError
            return error.code == 2001 && error.message.contains("'local'")
        }
    }

    @Test("dot segments are refused")
    func dotSegments() {
        for path in ["/v1/local/g/openai/../admin", "/v1/local/g/openai/./x", "/v1/local/g/openai/%2e%2e/x", "/v1/local/g/openai/x/..", "/v1/local/g/openai/x/%2E%2E"] {
            #expect(throws: GatewayError.self, "\(path)") { try GatewayRoute(path: path, servedAccount: "local") }
        }
    }

    @Test("empty segments inside the provider path are kept as they are")
    func emptySegments() throws {
        let route = try GatewayRoute(path: "/v1/local/g/openai//v1/chat/", servedAccount: "local")
        #expect(route.providerPath == "/v1/chat/")
    }

    @Test("the Universal endpoint is /v1/{account}/{gateway}, with or without a trailing slash, and nothing longer")
    func universal() {
        #expect(GatewayRoute.universalGateway(path: "/v1/local/my-gw", servedAccount: "local") == "my-gw")
        #expect(GatewayRoute.universalGateway(path: "/v1/local/my-gw/", servedAccount: "local") == "my-gw")
        for path in [
            "/v1/local/my-gw/openai", "/v1/local/my-gw//", "/v1/local", "/v1/local/", "/v1/other/my-gw", "/v2/local/my-gw",
            "/v1//my-gw", "v1/local/my-gw",
        ] {
            #expect(GatewayRoute.universalGateway(path: path, servedAccount: "local") == nil, "\(path)")
        }
    }
}

extension GatewayRoute {
    init(accountID: String, gatewayID: String, provider: String, providerPath: String) {
        self = try! GatewayRoute(path: "/v1/\(accountID)/\(gatewayID)/\(provider)/\(providerPath)", servedAccount: accountID)
    }
}
