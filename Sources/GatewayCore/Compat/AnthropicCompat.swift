import AIGateway
import Foundation

/// OpenAI chat completions to Anthropic's Messages API and back: system prompts, turns,
/// images, tools and tool results, stop reasons, usage, and the event stream.
enum AnthropicCompat {
    /// Anthropic requires `max_tokens`; this is used when the request gives none.
    static let defaultMaxTokens = 4096
    /// The API version sent when the client names none.
    static let apiVersion = "2023-06-01"

    // MARK: - OpenAI request → Anthropic request

    /// The Messages API body for an OpenAI chat request.
    static func request(_ chat: OpenAIChatRequest, model: String) -> JSONValue {
        let turns = chat.messages.map { message -> (role: String, items: [JSONValue]) in
            switch message {
            case .user(let parts): ("user", parts.map(block))
            case .assistant(let parts, let calls):
                ("assistant", parts.map(block) + calls.map { ["type": "tool_use", "id": .string($0.id), "name": .string($0.name), "input": $0.arguments] })
            case .tool(let id, let content): ("user", [["type": "tool_result", "tool_use_id": .string(id), "content": .string(content)]])
            }
        }
        var body: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(
                OpenAIChatRequest.alternating(turns).map { ["role": .string($0.role), "content": .array($0.items)] }),
            "max_tokens": chat.maxTokens ?? .number(Double(defaultMaxTokens)),
        ]
        if !chat.system.isEmpty { body["system"] = .string(chat.system.joined(separator: "\n\n")) }
        if let value = chat.temperature { body["temperature"] = value }
        if let value = chat.topP { body["top_p"] = value }
        if chat.stream { body["stream"] = true }
        if !chat.stop.isEmpty { body["stop_sequences"] = .array(chat.stop) }
        if let user = chat.user { body["metadata"] = ["user_id": .string(user)] }
        if !chat.tools.isEmpty {
            body["tools"] = .array(
                chat.tools.map { tool in
                    var definition: [String: JSONValue] = [
                        "name": .string(tool.name), "input_schema": tool.parameters ?? ["type": "object", "properties": [:]],
                    ]
                    if let description = tool.description { definition["description"] = description }
                    return .object(definition)
                })
        }
        if chat.toolChoice != nil || chat.parallelToolCalls == false {
            var choice: [String: JSONValue]
            switch chat.toolChoice ?? .auto {
            case .auto: choice = ["type": "auto"]
            case .required: choice = ["type": "any"]
            case .none: choice = ["type": "none"]
            case .function(let name): choice = ["type": "tool", "name": .string(name)]
            }
            if chat.parallelToolCalls == false { choice["disable_parallel_tool_use"] = true }
            body["tool_choice"] = .object(choice)
        }
        return .object(body)
    }

    /// A content part as an Anthropic block: text, or an image inline (base64) or by URL.
    static func block(_ part: OpenAIChatRequest.Part) -> JSONValue {
        switch part {
        case .text(let text): ["type": "text", "text": .string(text)]
        case .image(_, let inline?):
            ["type": "image", "source": ["type": "base64", "media_type": .string(inline.mediaType), "data": .string(inline.data)]]
        case .image(let url, nil): ["type": "image", "source": ["type": "url", "url": .string(url)]]
        }
    }

    // MARK: - Anthropic answer → OpenAI answer

    /// A `chat.completion` from a Messages API answer; nil when it is not one.
    static func completion(_ message: JSONValue, requestedModel: String) -> JSONValue? {
        guard message["type"]?.stringValue == "message", let blocks = message["content"]?.arrayValue else { return nil }
        let text = blocks.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
        let calls = blocks.filter { $0["type"]?.stringValue == "tool_use" }.map { block in
            OpenAIChatFormat.toolCall(
                id: block["id"]?.stringValue ?? "", name: block["name"]?.stringValue ?? "", arguments: block["input"] ?? [:])
        }
        return OpenAIChatFormat.completion(
            id: message["id"]?.stringValue ?? "msg", model: message["model"]?.stringValue ?? requestedModel,
            content: text.isEmpty ? nil : text.joined(), toolCalls: calls,
            finishReason: finishReason(message["stop_reason"]?.stringValue), usage: usage(message["usage"]))
    }

    static func finishReason(_ stopReason: String?) -> String {
        switch stopReason {
        case "max_tokens": "length"
        case "tool_use": "tool_calls"
        case "refusal": "content_filter"
        default: "stop"
        }
    }

    /// OpenAI usage from Anthropic's: cache reads and writes count as prompt tokens.
    static func usage(_ usage: JSONValue?, outputTokens: Int? = nil) -> JSONValue {
        func count(_ key: String) -> Int { Int(usage?[key]?.numberValue ?? 0) }
        let cached = count("cache_read_input_tokens")
        return OpenAIChatFormat.usage(
            prompt: count("input_tokens") + cached + count("cache_creation_input_tokens"),
            completion: outputTokens ?? count("output_tokens"), cached: cached)
    }

    // MARK: - Anthropic events → OpenAI chunks

    /// Anthropic's stream (`message_start`, `content_block_*`, `message_delta`, `message_stop`)
    /// as OpenAI chunks, with the usage chunk when the client asked for it.
    struct Events: ChatEventTranslation {
        var model: String
        let includeUsage: Bool
        var id = "msg"
        let created = OpenAIChatFormat.now
        var inputUsage: JSONValue?
        var outputTokens = 0
        /// OpenAI tool call index of each Anthropic content block that is a tool use.
        var toolIndexes: [Int: Int] = [:]
        var finished = false

        mutating func chunks(for event: ServerSentEvent) -> [JSONValue] {
            guard !finished, let data = try? JSONValue(json: Data(event.data.utf8)) else { return [] }
            switch data["type"]?.stringValue {
            case "message_start":
                id = data["message"]?["id"]?.stringValue ?? id
                model = data["message"]?["model"]?.stringValue ?? model
                inputUsage = data["message"]?["usage"]
                return [chunk(["role": "assistant", "content": ""])]
            case "content_block_start":
                guard let block = data["content_block"], block["type"]?.stringValue == "tool_use" else { return [] }
                let index = toolIndexes.count
                toolIndexes[Int(data["index"]?.numberValue ?? 0)] = index
                return [
                    chunk([
                        "tool_calls": [[
                            "index": .number(Double(index)), "id": block["id"] ?? "", "type": "function",
                            "function": ["name": block["name"] ?? "", "arguments": ""],
                        ]]
                    ])
                ]
            case "content_block_delta":
                let delta = data["delta"]
                switch delta?["type"]?.stringValue {
                case "text_delta": return [chunk(["content": delta?["text"] ?? ""])]
                case "input_json_delta":
                    let index = toolIndexes[Int(data["index"]?.numberValue ?? 0)] ?? 0
                    return [chunk(["tool_calls": [["index": .number(Double(index)), "function": ["arguments": delta?["partial_json"] ?? ""]]]])]
                default: return []  // thinking and signatures have no OpenAI counterpart
                }
            case "message_delta":
                outputTokens = Int(data["usage"]?["output_tokens"]?.numberValue ?? Double(outputTokens))
                return [chunk([:], finishReason: finishReason(data["delta"]?["stop_reason"]?.stringValue))]
            case "message_stop":
                return finish()
            case "error":
                finished = true
                return [["error": data["error"] ?? data], OpenAIChatFormat.done]
            default:
                return []  // ping, content_block_stop
            }
        }

        mutating func finish() -> [JSONValue] {
            guard !finished else { return [] }
            finished = true
            var tail: [JSONValue] = []
            if includeUsage {
                tail.append(
                    OpenAIChatFormat.usageChunk(
                        id: id, model: model, created: created, usage: usage(inputUsage, outputTokens: outputTokens)))
            }
            return tail + [OpenAIChatFormat.done]
        }

        func chunk(_ delta: JSONValue, finishReason: String? = nil) -> JSONValue {
            OpenAIChatFormat.chunk(id: id, model: model, created: created, delta: delta, finishReason: finishReason)
        }
    }
}
