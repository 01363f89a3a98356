import AIGateway
import Foundation

/// OpenAI chat completions and embeddings to Google AI Studio's `generateContent`,
/// `streamGenerateContent` (as SSE) and `batchEmbedContents`, and back.
enum GoogleCompat {
    // MARK: - OpenAI request → Google request

    /// The `generateContent` body for an OpenAI chat request.
    static func request(_ chat: OpenAIChatRequest) -> JSONValue {
        var toolNames: [String: String] = [:]  // tool call id → function name, which Google's results carry
        let turns = chat.messages.map { message -> (role: String, items: [JSONValue]) in
            switch message {
            case .user(let parts): return ("user", parts.map(part))
            case .assistant(let parts, let calls):
                for call in calls { toolNames[call.id] = call.name }
                return ("model", parts.map(part) + calls.map { ["functionCall": ["name": .string($0.name), "args": $0.arguments]] })
            case .tool(let id, let content):
                // Google wants the result as an object: a JSON object as it is, anything else wrapped.
                let parsed = (try? JSONValue(json: Data(content.utf8))).flatMap { $0.objectValue != nil ? $0 : nil }
                let response = parsed ?? ["content": .string(content)]
                return ("user", [["functionResponse": ["name": .string(toolNames[id] ?? id), "response": response]]])
            }
        }
        var body: [String: JSONValue] = [
            "contents": .array(
                OpenAIChatRequest.alternating(turns).map { ["role": .string($0.role), "parts": .array($0.items)] })
        ]
        if !chat.system.isEmpty { body["systemInstruction"] = ["parts": [["text": .string(chat.system.joined(separator: "\n\n"))]]] }
        var generation: [String: JSONValue] = [:]
        if let value = chat.maxTokens { generation["maxOutputTokens"] = value }
        if let value = chat.temperature { generation["temperature"] = value }
        if let value = chat.topP { generation["topP"] = value }
        if !chat.stop.isEmpty { generation["stopSequences"] = .array(chat.stop) }
        if chat.wantsJSON { generation["responseMimeType"] = "application/json" }
        if !generation.isEmpty { body["generationConfig"] = .object(generation) }
        if !chat.tools.isEmpty {
            let declarations = chat.tools.map { tool -> JSONValue in
                var declaration: [String: JSONValue] = ["name": .string(tool.name)]
                if let description = tool.description { declaration["description"] = description }
                if let parameters = tool.parameters { declaration["parameters"] = parameters }
                return .object(declaration)
            }
            body["tools"] = [["functionDeclarations": .array(declarations)]]
        }
        switch chat.toolChoice {
        case nil: break
        case .auto?: body["toolConfig"] = ["functionCallingConfig": ["mode": "AUTO"]]
        case .required?: body["toolConfig"] = ["functionCallingConfig": ["mode": "ANY"]]
        case .none?: body["toolConfig"] = ["functionCallingConfig": ["mode": "NONE"]]
        case .function(let name)?:
            body["toolConfig"] = ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": [.string(name)]]]
        }
        return .object(body)
    }

    /// A content part as a Google part: text, or an image inline (base64) or by URI.
    static func part(_ part: OpenAIChatRequest.Part) -> JSONValue {
        switch part {
        case .text(let text): ["text": .string(text)]
        case .image(_, let inline?): ["inlineData": ["mimeType": .string(inline.mediaType), "data": .string(inline.data)]]
        case .image(let url, nil): ["fileData": ["mimeType": .string(mediaType(ofURL: url)), "fileUri": .string(url)]]
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
