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

    /// The Messages API body for an OpenAI chat request (already checked to be an object).
    static func request(_ openAI: [String: JSONValue], model: String) throws -> JSONValue {
        guard let messages = openAI["messages"]?.arrayValue else {
            throw CompatError.field("messages", "is required: an array of chat messages")
        }
        var system: [String] = []
        var turns: [(role: String, blocks: [JSONValue])] = []
        for (index, message) in messages.enumerated() {
            let field = "messages[\(index)]"
            guard let role = message["role"]?.stringValue else { throw CompatError.field("\(field).role", "is required") }
            let blocks: [JSONValue]
            let anthropicRole: String
            switch role {
            case "system", "developer":
                guard let text = OpenAIChatFormat.text(of: message["content"]) else {
                    throw CompatError.field("\(field).content", "must be text for a \(role) message")
                }
                system.append(text)
                continue
            case "user":
                anthropicRole = "user"
                blocks = try contentBlocks(message["content"], field: "\(field).content")
            case "assistant":
                anthropicRole = "assistant"
                var assistant = message["content"].map { $0 == .null ? [] : (try? contentBlocks($0, field: "")) ?? [] } ?? []
                for (callIndex, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
                    assistant.append(try toolUse(call, field: "\(field).tool_calls[\(callIndex)]"))
                }
                blocks = assistant
            case "tool":
                anthropicRole = "user"
                guard let id = message["tool_call_id"]?.stringValue else {
                    throw CompatError.field("\(field).tool_call_id", "is required for a tool message")
                }
                blocks = [
                    ["type": "tool_result", "tool_use_id": .string(id), "content": .string(OpenAIChatFormat.text(of: message["content"]) ?? "")]
                ]
            default:
                throw CompatError.field("\(field).role", "'\(role)' is not one of system, developer, user, assistant, tool")
            }
            if blocks.isEmpty { continue }
            // Anthropic wants turns to alternate: consecutive messages of one role become one turn.
            if let last = turns.last, last.role == anthropicRole {
                turns[turns.count - 1].blocks += blocks
            } else {
                turns.append((anthropicRole, blocks))
            }
        }

        var body: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(turns.map { ["role": .string($0.role), "content": .array($0.blocks)] }),
            "max_tokens": openAI["max_completion_tokens"] ?? openAI["max_tokens"] ?? .number(Double(defaultMaxTokens)),
        ]
        if !system.isEmpty { body["system"] = .string(system.joined(separator: "\n\n")) }
        for key in ["temperature", "top_p", "stream"] { if let value = openAI[key], value != .null { body[key] = value } }
        switch openAI["stop"] {
        case .string(let stop): body["stop_sequences"] = [.string(stop)]
        case .array(let stops): body["stop_sequences"] = .array(stops)
        default: break
        }
        if let user = openAI["user"]?.stringValue { body["metadata"] = ["user_id": .string(user)] }
        if let tools = openAI["tools"]?.arrayValue, !tools.isEmpty {
            body["tools"] = .array(try tools.enumerated().map { index, tool in try toolDefinition(tool, field: "tools[\(index)]") })
        }
        if let choice = try toolChoice(openAI["tool_choice"], parallel: openAI["parallel_tool_calls"]?.boolValue) {
            body["tool_choice"] = choice
        }
        return .object(body)
    }

    /// A message's content as Anthropic blocks: text, and images from data or web URLs.
    static func contentBlocks(_ content: JSONValue?, field: String) throws -> [JSONValue] {
        switch content {
        case .string(let text): return [["type": "text", "text": .string(text)]]
        case .array(let parts):
            return try parts.enumerated().map { index, part in
                switch part["type"]?.stringValue {
                case "text": return ["type": "text", "text": part["text"] ?? ""]
                case "image_url":
                    guard let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue else {
                        throw CompatError.field("\(field)[\(index)].image_url.url", "is required")
                    }
                    if let image = DataURL(url) {
                        return ["type": "image", "source": ["type": "base64", "media_type": .string(image.mediaType), "data": .string(image.data)]]
                    }
                    return ["type": "image", "source": ["type": "url", "url": .string(url)]]
                default:
                    throw CompatError.field(
                        "\(field)[\(index)].type", "'\(part["type"]?.stringValue ?? "none")' is not text or image_url")
                }
            }
        case .null, .none: return []
        default: throw CompatError.field(field, "must be a string or an array of parts")
        }
    }

    static func toolUse(_ call: JSONValue, field: String) throws -> JSONValue {
        guard let id = call["id"]?.stringValue, let name = call["function"]?["name"]?.stringValue else {
            throw CompatError.field(field, "needs an id and function.name")
        }
        let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
        let input = (try? JSONValue(json: Data(arguments.utf8))).flatMap { $0.objectValue != nil ? $0 : nil } ?? [:]
        return ["type": "tool_use", "id": .string(id), "name": .string(name), "input": input]
    }

    static func toolDefinition(_ tool: JSONValue, field: String) throws -> JSONValue {
        guard let function = tool["function"], let name = function["name"]?.stringValue else {
            throw CompatError.field("\(field).function.name", "is required")
        }
        var definition: [String: JSONValue] = [
            "name": .string(name), "input_schema": function["parameters"] ?? ["type": "object", "properties": [:]],
        ]
        if let description = function["description"] { definition["description"] = description }
        return .object(definition)
    }

    static func toolChoice(_ choice: JSONValue?, parallel: Bool?) throws -> JSONValue? {
        var anthropic: [String: JSONValue]
        switch choice {
        case .none, .null?: anthropic = ["type": "auto"]
        case .string("auto"): anthropic = ["type": "auto"]
        case .string("required"): anthropic = ["type": "any"]
        case .string("none"): anthropic = ["type": "none"]
        case .object(let object)?:
            guard let name = object["function"]?["name"]?.stringValue else {
                throw CompatError.field("tool_choice.function.name", "is required")
            }
            anthropic = ["type": "tool", "name": .string(name)]
        default:
            throw CompatError.field("tool_choice", "must be auto, required, none or a function")
        }
        guard choice != nil || parallel == false else { return nil }
        if parallel == false { anthropic["disable_parallel_tool_use"] = true }
        return .object(anthropic)
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

/// A `data:` URL's parts (`data:image/png;base64,iVBOR...`).
struct DataURL {
    var mediaType: String
    var data: String

    init?(_ url: String) {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else { return nil }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        guard header.hasSuffix(";base64") else { return nil }
        mediaType = String(header.dropLast(";base64".count))
        data = String(url[url.index(after: comma)...])
    }
}
