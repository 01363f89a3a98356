// The seed of aigw, walked through with the AIGateway binding against a running gateway:
// run a model through a gateway, read the log id, attach feedback, read the log back, ask
// for provider URLs, and send a Universal request whose first step fails over to the second.
//
//   swift run seed-example                      # gateway at http://127.0.0.1:8787
//   swift run seed-example http://host:port     # elsewhere
//
// With the mock upstream (see README) no internet or key is needed: the first Universal step
// asks the mock for a 500 (`x-mock-status`), so the gateway falls back to the second.
import AIGateway
import Foundation

let base = URL(string: CommandLine.arguments.dropFirst().first ?? "http://127.0.0.1:8787")!
let environment = ProcessInfo.processInfo.environment
let ai = AI(
    baseURL: base, accountID: environment["AIGW_ACCOUNT_ID"] ?? "local", apiToken: environment["CLOUDFLARE_API_TOKEN"],
    adminToken: environment["AIGW_ADMIN_TOKEN"])
let gatewayID = "seed-example"

do {
    // 1. Run a Workers AI model through the gateway.
    let answer = try await ai.run(
        "@cf/meta/llama-3.1-8b-instruct", input: ["prompt": "tell me a joke"],
        options: .init(gateway: .init(id: gatewayID, metadata: ["user": "123"])))
    print("1. run answered:", String(decoding: answer.jsonData(), as: UTF8.self))

    // 2. The id of that request's log.
    guard let logID = ai.aiGatewayLogId else { throw AIGatewayError.invalidResponse("no cf-aig-log-id came back") }
    print("2. aiGatewayLogId:", logID)

    // 3. Feedback, a score and metadata on the log.
    let gateway = ai.gateway(gatewayID)
    try await gateway.patchLog(logID, .init(feedback: 1, score: 100, metadata: ["user": "123", "rating": "great"]))
    print("3. patched the log: feedback 1, score 100")

    // 4. The log, read back.
    let log = try await gateway.getLog(logID)
    print(
        "4. getLog: provider \(log.provider), model \(log.model), tokens \(log.tokensIn ?? 0)/\(log.tokensOut ?? 0),",
        "feedback \(log.feedback ?? 0), score \(log.score ?? 0), created \(log.createdAt)")

    // 5. URLs to hand to provider SDKs.
    print("5. getUrl():", try await gateway.getUrl())
    print("   getUrl(.openai):", try await gateway.getUrl(.openai))
    print("   getUrl(.anthropic):", try await gateway.getUrl(.anthropic))

    // 6. A Universal request: OpenAI first (made to fail here), then Anthropic.
    let chat: JSONValue = ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "hello"]]]
    let claude: JSONValue = [
        "model": "claude-3-5-haiku-latest", "max_tokens": 64, "messages": [["role": "user", "content": "hello"]],
    ]
    let response = try await gateway.run([
        UniversalStep(
            provider: .openai, endpoint: "chat/completions",
            headers: ["authorization": "Bearer sk-example", "x-mock-status": "500"], query: chat),
        UniversalStep(
            provider: .anthropic, endpoint: "v1/messages",
            headers: ["x-api-key": "sk-ant-example", "anthropic-version": "2023-06-01"], query: claude),
    ])
    let body = try await response.collect()
    print("6. Universal run: HTTP \(response.status) from step \(response.step.map(String.init) ?? "?")")
    print("   body:", String(decoding: body.prefix(200), as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("seed-example failed: \(error)\n".utf8))
    exit(1)
}
