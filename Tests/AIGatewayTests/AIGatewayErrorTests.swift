import Foundation
import Testing

@testable import AIGateway

@Suite("Typed errors read from the gateway's, the management API's and the provider's answers")
struct AIGatewayErrorTests {
    func gatewayBody(code: Int, status: Int, message: String) -> [UInt8] {
        Array(
            #"{"success":false,"result":[],"messages":[],"error":[{"code":\#(code),"message":"\#(message)"}],"name":"AiGatewayError","httpCode":\#(status),"internalCode":\#(code),"message":"\#(message)","description":"\#(message)"}"#
                .utf8)
    }

    func read(_ status: Int, _ body: [UInt8], headers: [(String, String)] = [], management: Bool = false) -> AIGatewayError {
        AIGatewayError.from(status: status, headers: headers, body: body, management: management) { .logNotFound($0) }
    }

    @Test("the gateway's own errors by code")
    func gatewayErrors() {
        #expect(
            read(429, gatewayBody(code: 2003, status: 429, message: "Rate limited"), headers: [("Retry-After", "7")])
                == .rateLimited(retryAfter: 7))
        #expect(read(401, gatewayBody(code: 2009, status: 401, message: "Unauthorized")) == .unauthorized("Unauthorized"))
        #expect(
            read(504, gatewayBody(code: 2005, status: 504, message: "no response"))
                == .noResponse(code: 2005, status: 504, message: "no response"))
        #expect(read(400, gatewayBody(code: 2010, status: 400, message: "bad")) == .badRequest(code: 2010, message: "bad"))
    }

    @Test("a provider's answer, even in a v4-looking envelope, stays the provider's")
    func providerErrors() {
        let workersAI = Array(#"{"result":null,"success":false,"errors":[{"code":5006,"message":"bad input"}]}"#.utf8)
        #expect(read(400, workersAI) == .upstream(status: 400, body: workersAI))
        #expect(read(429, Array("slow down".utf8), headers: [("retry-after", "3")]) == .rateLimited(retryAfter: 3))
        #expect(read(500, Array("oops".utf8)) == .upstream(status: 500, body: Array("oops".utf8)))
    }

    @Test("the management API's v4 failures")
    func managementErrors() {
        let notFound = Array(#"{"success":false,"errors":[{"code":1002,"message":"log 'x' not found"}],"messages":[],"result":null}"#.utf8)
        #expect(read(404, notFound, management: true) == .logNotFound("log 'x' not found"))
        let bad = Array(#"{"success":false,"errors":[{"code":1001,"message":"score: too big"}],"messages":[],"result":null}"#.utf8)
        #expect(read(400, bad, management: true) == .badRequest(code: 1001, message: "score: too big"))
        let auth = Array(#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#.utf8)
        #expect(read(401, auth, management: true) == .unauthorized("Authentication error"))
    }
}
