import GatewayCore
import NIOCore
import Testing

@Suite("Universal request bodies: steps checked before any upstream call")
struct UniversalStepTests {
    let providers = try! ProviderTable(overrides: [:], environment: [:], accountID: "local")

    func parse(_ json: String) throws -> [UniversalStep] {
        try UniversalStep.parse(ByteBuffer(string: json), providers: providers)
    }

    @Test("one step or an array of them, with headers, query and config")
    func steps() throws {
        let steps = try parse(
            #"[{"provider":"openai","endpoint":"chat/completions","headers":{"Authorization":"Bearer k"},"query":{"model":"m"},"config":{"requestTimeout":1000,"maxAttempts":2,"retryDelay":100,"backoff":"linear"}},{"provider":"workers-ai","endpoint":"@cf/meta/llama-3.1-8b-instruct","query":{"prompt":"hi"}}]"#)
        #expect(steps.count == 2)
        #expect(steps[0].provider == "openai" && steps[0].endpoint == "chat/completions")
        #expect(steps[0].headers.first?.name == "authorization")
        #expect(steps[0].requestTimeoutMs == 1000 && steps[0].maxAttempts == 2 && steps[0].backoff == "linear")
        #expect(String(buffer: steps[0].body) == #"{"model":"m"}"#)
        #expect(try parse(#"{"provider":"anthropic","endpoint":"v1/messages","query":{}}"#).count == 1)
    }

    @Test("bad steps: a 400 (code 2014) naming the step and the field", arguments: [
        ("[]", "no steps"), ("3", "not a number"), ("nope", "not JSON"),
        (#"[{"endpoint":"x","query":{}}]"#, "step 0: provider"),
        (#"[{"provider":"openai","endpoint":"x","query":{}},{"provider":"nope","endpoint":"x","query":{}}]"#, "step 1: provider"),
        (#"[{"provider":"openai","query":{}}]"#, "step 0: endpoint"),
        (#"[{"provider":"openai","endpoint":"x"}]"#, "step 0: query"),
        (#"[{"provider":"openai","endpoint":"x","query":{},"headers":{"a":1}}]"#, "step 0: headers.a"),
        (#"[{"provider":"openai","endpoint":"x","query":{},"config":{"maxAttempts":9}}]"#, "step 0: config.maxAttempts"),
        (#"[{"provider":"openai","endpoint":"x","query":{},"config":{"requestTimeout":0}}]"#, "step 0: config.requestTimeout"),
        (#"[{"provider":"openai","endpoint":"x","query":{},"extra":1}]"#, "step 0: extra"),
    ])
    func badSteps(json: String, mentioning text: String) {
        do {
            _ = try parse(json)
            Issue.record("\(json) was accepted")
        } catch let error as GatewayError {
            #expect(error.code == 2014 && error.httpStatus == 400)
            #expect(error.message.contains(text), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("an endpoint can only be a path under its provider", arguments: [
        "../admin", "chat/../../x", "//evil.example/x", "http://evil.example/x", "/chat", "a/%2e%2e/b", "user@evil.example/x",
        "x#frag", "a\\b",
    ])
    func smuggling(endpoint: String) {
        let json = #"{"provider":"openai","endpoint":"\#(endpoint.replacingOccurrences(of: "\\", with: "\\\\"))","query":{}}"#
        #expect(throws: GatewayError.self) { try parse(json) }
    }
}
