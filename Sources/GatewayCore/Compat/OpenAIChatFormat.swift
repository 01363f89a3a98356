import AIGateway
import Foundation

/// The OpenAI chat completion shapes that translated answers are written in.
enum OpenAIChatFormat {
    /// A `chat.completion`: one choice with the assistant's message.
    static func completion(
        id: String, model: String, content: String?, toolCalls: [JSONValue], finishReason: String, usage: JSONValue?
    ) -> JSONValue {
        var message: [String: JSONValue] = ["role": "assistant", "content": content.map(JSONValue.string) ?? .null]
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        var completion: [String: JSONValue] = [
            "id": .string(id), "object": "chat.completion", "created": .number(now), "model": .string(model),
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(finishReason), "logprobs": nil]],
        ]
        if let usage { completion["usage"] = usage }
        return .object(completion)
    }

    /// A `chat.completion.chunk` with one choice's delta.
    static func chunk(id: String, model: String, created: Double, delta: JSONValue, finishReason: String? = nil) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion.chunk", "created": .number(created), "model": .string(model),
            "choices": [["index": 0, "delta": delta, "finish_reason": finishReason.map(JSONValue.string) ?? .null, "logprobs": nil]],
        ]
    }

    /// The last chunk of a stream that asked for `stream_options.include_usage`: no choices, the usage.
    static func usageChunk(id: String, model: String, created: Double, usage: JSONValue) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion.chunk", "created": .number(created), "model": .string(model),
            "choices": [], "usage": usage,
        ]
    }

    /// OpenAI's `usage` object.
    static func usage(prompt: Int, completion: Int, cached: Int = 0) -> JSONValue {
        var usage: [String: JSONValue] = [
            "prompt_tokens": .number(Double(prompt)), "completion_tokens": .number(Double(completion)),
            "total_tokens": .number(Double(prompt + completion)),
        ]
        if cached > 0 { usage["prompt_tokens_details"] = ["cached_tokens": .number(Double(cached))] }
        return .object(usage)
    }

    /// A tool call in a message: `{"id", "type": "function", "function": {"name", "arguments"}}`.
    static func toolCall(id: String, name: String, arguments: JSONValue) -> JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(argumentsText(arguments))]]
    }

    /// Tool arguments as OpenAI sends them: JSON text.
    static func argumentsText(_ arguments: JSONValue) -> String {
        String(decoding: arguments.jsonData(), as: UTF8.self)
    }

    /// The `[DONE]` marker that ends an OpenAI stream (written as is, not as JSON).
    static let done: JSONValue = "[DONE]"

    /// Seconds since 1970, as `created` holds them.
    static var now: Double { Double(Int(Date().timeIntervalSince1970)) }

    /// The text of a message's `content`: a string, or the text parts of an array joined.
    static func text(of content: JSONValue?) -> String? {
        switch content {
        case .string(let text): return text
        case .array(let parts):
            let texts = parts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }
            return texts.isEmpty ? nil : texts.joined()
        default: return nil
        }
    }
}
