import AIGateway
import Foundation

/// OpenAI chat completions and embeddings to Google AI Studio's `generateContent`,
/// `streamGenerateContent` (as SSE) and `batchEmbedContents`, and back.
enum GoogleCompat {
    // MARK: - OpenAI request → Google request

    /// The `generateContent` body for an OpenAI chat request.
    static func request(_ openAI: [String: JSONValue]) throws -> JSONValue {
        guard let messages = openAI["messages"]?.arrayValue else {
            throw CompatError.field("messages", "is required: an array of chat messages")
        }
        var system: [String] = []
        var contents: [(role: String, parts: [JSONValue])] = []
        var toolNames: [String: String] = [:]  // tool call id → function name, for tool results
        for (index, message) in messages.enumerated() {
            let field = "messages[\(index)]"
            guard let role = message["role"]?.stringValue else { throw CompatError.field("\(field).role", "is required") }
            let googleRole: String
            var parts: [JSONValue] = []
            switch role {
            case "system", "developer":
                guard let text = OpenAIChatFormat.text(of: message["content"]) else {
                    throw CompatError.field("\(field).content", "must be text for a \(role) message")
                }
                system.append(text)
                continue
            case "user":
                googleRole = "user"
                parts = try self.parts(message["content"], field: "\(field).content")
            case "assistant":
                googleRole = "model"
                if let content = message["content"], content != .null {
                    parts = try self.parts(content, field: "\(field).content")
                }
                for (callIndex, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
                    guard let name = call["function"]?["name"]?.stringValue else {
                        throw CompatError.field("\(field).tool_calls[\(callIndex)].function.name", "is required")
                    }
                    if let id = call["id"]?.stringValue { toolNames[id] = name }
                    let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
                    parts.append(["functionCall": ["name": .string(name), "args": (try? JSONValue(json: Data(arguments.utf8))) ?? [:]]])
                }
            case "tool":
                googleRole = "user"
                guard let id = message["tool_call_id"]?.stringValue else {
                    throw CompatError.field("\(field).tool_call_id", "is required for a tool message")
                }
                let text = OpenAIChatFormat.text(of: message["content"]) ?? ""
                // Google wants the result as an object: a JSON object as it is, anything else wrapped.
                let parsed = try? JSONValue(json: Data(text.utf8))
                let response: JSONValue = parsed?.objectValue != nil ? parsed! : ["content": .string(text)]
                parts = [["functionResponse": ["name": .string(toolNames[id] ?? id), "response": response]]]
            default:
                throw CompatError.field("\(field).role", "'\(role)' is not one of system, developer, user, assistant, tool")
            }
            if parts.isEmpty { continue }
            if let last = contents.last, last.role == googleRole {
                contents[contents.count - 1].parts += parts
            } else {
                contents.append((googleRole, parts))
            }
        }

        var body: [String: JSONValue] = [
            "contents": .array(contents.map { ["role": .string($0.role), "parts": .array($0.parts)] })
        ]
        if !system.isEmpty { body["systemInstruction"] = ["parts": [["text": .string(system.joined(separator: "\n\n"))]]] }
        var generation: [String: JSONValue] = [:]
        if let maxTokens = openAI["max_completion_tokens"] ?? openAI["max_tokens"], maxTokens != .null {
            generation["maxOutputTokens"] = maxTokens
        }
        if let value = openAI["temperature"], value != .null { generation["temperature"] = value }
        if let value = openAI["top_p"], value != .null { generation["topP"] = value }
        switch openAI["stop"] {
        case .string(let stop): generation["stopSequences"] = [.string(stop)]
        case .array(let stops): generation["stopSequences"] = .array(stops)
        default: break
        }
        if openAI["response_format"]?["type"]?.stringValue == "json_object" { generation["responseMimeType"] = "application/json" }
        if !generation.isEmpty { body["generationConfig"] = .object(generation) }
        if let tools = openAI["tools"]?.arrayValue, !tools.isEmpty {
            let declarations = try tools.enumerated().map { index, tool -> JSONValue in
                guard let function = tool["function"], let name = function["name"]?.stringValue else {
                    throw CompatError.field("tools[\(index)].function.name", "is required")
                }
                var declaration: [String: JSONValue] = ["name": .string(name)]
                if let description = function["description"] { declaration["description"] = description }
                if let parameters = function["parameters"] { declaration["parameters"] = parameters }
                return .object(declaration)
            }
            body["tools"] = [["functionDeclarations": .array(declarations)]]
        }
        switch openAI["tool_choice"] {
        case .none, .null?: break
        case .string("auto"): body["toolConfig"] = ["functionCallingConfig": ["mode": "AUTO"]]
        case .string("required"): body["toolConfig"] = ["functionCallingConfig": ["mode": "ANY"]]
        case .string("none"): body["toolConfig"] = ["functionCallingConfig": ["mode": "NONE"]]
        case .object(let object)?:
            guard let name = object["function"]?["name"]?.stringValue else {
                throw CompatError.field("tool_choice.function.name", "is required")
            }
            body["toolConfig"] = ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": [.string(name)]]]
        default:
            throw CompatError.field("tool_choice", "must be auto, required, none or a function")
        }
        return .object(body)
    }

    /// A message's content as Google parts: text, and images inline (data URLs) or by URI.
    static func parts(_ content: JSONValue?, field: String) throws -> [JSONValue] {
        switch content {
        case .string(let text): return [["text": .string(text)]]
        case .array(let items):
            return try items.enumerated().map { index, part in
                switch part["type"]?.stringValue {
                case "text": return ["text": part["text"] ?? ""]
                case "image_url":
                    guard let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue else {
                        throw CompatError.field("\(field)[\(index)].image_url.url", "is required")
                    }
                    if let image = DataURL(url) {
                        return ["inlineData": ["mimeType": .string(image.mediaType), "data": .string(image.data)]]
                    }
                    return ["fileData": ["mimeType": .string(mediaType(ofURL: url)), "fileUri": .string(url)]]
                default:
                    throw CompatError.field(
                        "\(field)[\(index)].type", "'\(part["type"]?.stringValue ?? "none")' is not text or image_url")
                }
            }
        case .null, .none: return []
        default: throw CompatError.field(field, "must be a string or an array of parts")
        }
    }

    static func mediaType(ofURL url: String) -> String {
        let path = url.split(separator: "?").first.map(String.init)?.lowercased() ?? ""
        if path.hasSuffix(".png") { return "image/png" }
        if path.hasSuffix(".webp") { return "image/webp" }
        if path.hasSuffix(".gif") { return "image/gif" }
        return "image/jpeg"
    }

    /// The `batchEmbedContents` body for an OpenAI embeddings request.
    static func embeddingsRequest(_ openAI: [String: JSONValue], model: String) throws -> JSONValue {
        let inputs: [JSONValue]
        switch openAI["input"] {
        case .string(let text)?: inputs = [.string(text)]
        case .array(let items)? where !items.isEmpty && items.allSatisfy({ $0.stringValue != nil }): inputs = items
        default: throw CompatError.field("input", "must be a string or an array of strings")
        }
        return [
            "requests": .array(inputs.map { ["model": .string("models/\(model)"), "content": ["parts": [["text": $0]]]] })
        ]
    }

    // MARK: - Google answer → OpenAI answer

    /// A `chat.completion` from a `generateContent` answer; nil when it is not one.
    static func completion(_ answer: JSONValue, requestedModel: String) -> JSONValue? {
        guard let candidates = answer["candidates"]?.arrayValue else { return nil }
        let parts = candidates.first?["content"]?["parts"]?.arrayValue ?? []
        let text = parts.compactMap { $0["text"]?.stringValue }
        let calls = toolCalls(in: parts, startingAt: 0)
        return OpenAIChatFormat.completion(
            id: "chatcmpl-" + (answer["responseId"]?.stringValue ?? ULID().description),
            model: answer["modelVersion"]?.stringValue ?? requestedModel, content: text.isEmpty ? nil : text.joined(),
            toolCalls: calls,
            finishReason: finishReason(candidates.first?["finishReason"]?.stringValue, hasToolCalls: !calls.isEmpty),
            usage: usage(answer["usageMetadata"]))
    }

    static func toolCalls(in parts: [JSONValue], startingAt first: Int) -> [JSONValue] {
        parts.compactMap { $0["functionCall"] }.enumerated().map { offset, call in
            OpenAIChatFormat.toolCall(
                id: call["id"]?.stringValue ?? "call_\(first + offset)", name: call["name"]?.stringValue ?? "",
                arguments: call["args"] ?? [:])
        }
    }

    static func finishReason(_ reason: String?, hasToolCalls: Bool) -> String {
        switch reason {
        case "MAX_TOKENS": return "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY": return "content_filter"
        default: return hasToolCalls ? "tool_calls" : "stop"
        }
    }

    static func usage(_ metadata: JSONValue?) -> JSONValue? {
        guard let metadata else { return nil }
        func count(_ key: String) -> Int { Int(metadata[key]?.numberValue ?? 0) }
        return OpenAIChatFormat.usage(
            prompt: count("promptTokenCount"), completion: count("candidatesTokenCount") + count("thoughtsTokenCount"),
            cached: count("cachedContentTokenCount"))
    }

    /// OpenAI's embeddings list from a `batchEmbedContents` answer; nil when it is not one.
    static func embeddings(_ answer: JSONValue, model: String) -> JSONValue? {
        guard let embeddings = answer["embeddings"]?.arrayValue else { return nil }
        return [
            "object": "list", "model": .string(model),
            "data": .array(
                embeddings.enumerated().map { index, embedding in
                    ["object": "embedding", "index": .number(Double(index)), "embedding": embedding["values"] ?? []]
                }),
            // Google's embeddings answer carries no token counts.
            "usage": ["prompt_tokens": 0, "total_tokens": 0],
        ]
    }

    // MARK: - Google events → OpenAI chunks

    /// `streamGenerateContent?alt=sse`: each event is a partial answer; the usage is the last one's.
    struct Events: ChatEventTranslation {
        var model: String
        let includeUsage: Bool
        let id = "chatcmpl-" + ULID().description
        let created = OpenAIChatFormat.now
        var sentRole = false
        var toolCallCount = 0
        var lastUsage: JSONValue?
        var finished = false

        mutating func chunks(for event: ServerSentEvent) -> [JSONValue] {
            guard !finished, let data = try? JSONValue(json: Data(event.data.utf8)) else { return [] }
            if let error = data["error"] {
                finished = true
                return [["error": error], OpenAIChatFormat.done]
            }
            model = data["modelVersion"]?.stringValue ?? model
            if let usage = data["usageMetadata"] { lastUsage = usage }
            let candidate = data["candidates"]?.arrayValue?.first
            let parts = candidate?["content"]?["parts"]?.arrayValue ?? []
            var out: [JSONValue] = []
            var delta: [String: JSONValue] = [:]
            if !sentRole {
                delta["role"] = "assistant"
                sentRole = true
            }
            let text = parts.compactMap { $0["text"]?.stringValue }.joined()
            if !text.isEmpty { delta["content"] = .string(text) }
            let calls = GoogleCompat.toolCalls(in: parts, startingAt: toolCallCount).enumerated().map { offset, call in
                var indexed = call.objectValue ?? [:]
                indexed["index"] = .number(Double(toolCallCount + offset))
                return JSONValue.object(indexed)
            }
            toolCallCount += calls.count
            if !calls.isEmpty { delta["tool_calls"] = .array(calls) }
            if !delta.isEmpty { out.append(chunk(.object(delta))) }
            if let reason = candidate?["finishReason"]?.stringValue {
                out.append(chunk([:], finishReason: GoogleCompat.finishReason(reason, hasToolCalls: toolCallCount > 0)))
            }
            return out
        }

        mutating func finish() -> [JSONValue] {
            guard !finished else { return [] }
            finished = true
            var tail: [JSONValue] = []
            if includeUsage, let usage = GoogleCompat.usage(lastUsage) {
                tail.append(OpenAIChatFormat.usageChunk(id: id, model: model, created: created, usage: usage))
            }
            return tail + [OpenAIChatFormat.done]
        }

        func chunk(_ delta: JSONValue, finishReason: String? = nil) -> JSONValue {
            OpenAIChatFormat.chunk(id: id, model: model, created: created, delta: delta, finishReason: finishReason)
        }
    }
}
