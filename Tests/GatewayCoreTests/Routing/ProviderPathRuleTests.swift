import Testing

@testable import GatewayCore

@Suite("The provider path rule: what a path means decoded is what is checked, on every route")
struct ProviderPathRuleTests {
    @Test(
        "ordinary provider paths pass",
        arguments: [
            "chat/completions", "v1/messages", "@cf/meta/llama-3.1-8b-instruct", "v1beta/models/gemini-1.5-flash:generateContent",
            "models/a%20b", "deployments/my-dep/chat/completions", "x/...", "x/.well-known", "%e2%82%ac", "a;b=c,d",
            "",
        ])
    func passes(path: String) {
        #expect(ProviderPathRule.problem(inPath: path) == nil)
    }

    @Test(
        "dot segments, encoded or doubly encoded, and encoded separators are refused",
        arguments: [
            "..", ".", "x/../y", "%2e%2e/x", ".%2e/.%2e/x", "%2e./%2e./x", "%2E%2E", "..%2f..%2fx", "..%5c..%5cx",
            "x%2fy", "x%5Cy", "%252e%252e/x", "%25252e%25252e", "%252fx", "a/%2e",
        ])
    func escapes(path: String) {
        #expect(ProviderPathRule.problem(inPath: path) != nil)
    }

    @Test(
        "bytes a URL path does not allow are refused: space, controls, non-ASCII, backslash, '#', '?', broken escapes",
        arguments: [
            "a b", "a\r\nb", "a\u{0}", "ｃｈａｔ", "ch\u{0430}t", "a\\b", "a#b", "a?b", "%zz", "%4", "x%", "%00", "a%0d%0ab",
            "\"", "<script>",
        ])
    func forbiddenBytes(path: String) {
        #expect(ProviderPathRule.problem(inPath: path) != nil)
    }

    @Test("a query may hold visible ASCII but no '#', space, control or non-ASCII")
    func query() {
        #expect(ProviderPathRule.problem(inQuery: "api-version=2024-02-01&key=abc%20d&filters[0]=x") == nil)
        for query in ["a b", "a\r\nb", "a#b", "é", "a\u{0}"] {
            #expect(ProviderPathRule.problem(inQuery: query) != nil, "\(query)")
        }
    }

    @Test("the refusal names what it found, readably")
    func message() throws {
        let problem = try #require(ProviderPathRule.problem(inPath: "a\r"))
        #expect(problem.contains("0xD"))
        #expect(try #require(ProviderPathRule.problem(inPath: ".%2e")).contains("'..'"))
    }
}
