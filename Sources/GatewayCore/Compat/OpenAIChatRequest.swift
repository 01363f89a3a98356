import AIGateway
import Foundation

/// An OpenAI chat request, read once and checked: what every translation starts from, so
/// that each provider file only renders it in its own format. A problem is a 400 (code
/// 2015) naming the field, e.g. `messages[2].role`.
struct OpenAIChatRequest {
    /// A piece of a message's content.
    enum Part: Equatable {
        case text(String)
        /// An image by URL; `inline` holds a `data:` URL's parts.
        case image(url: String, inline: DataURL?)
    }

    /// A tool call made by the assistant.
    struct ToolCall {
        var id: String
        var name: String
        /// The arguments, parsed (an empty object when they are not JSON).
        var arguments: JSONValue
    }

    /// One message of the conversation.
    enum Message {
        case user([Part])
        case assistant([Part], toolCalls: [ToolCall])
        /// A tool's result, answering the call `callID`.
        case tool(callID: String, content: String)
    }

    /// A function the model may call.
    struct Tool {
        var name: String
        var description: JSONValue?
        var parameters: JSONValue?
    }

    /// Whether and which tool the model must call.
    enum ToolChoice: Equatable {
        case auto, required, none
        case function(String)
    }

    /// System and developer prompts, in order.
    var system: [String] = []
    var messages: [Message] = []
    var tools: [Tool] = []
    var toolChoice: ToolChoice?
    var parallelToolCalls: Bool?
    /// `max_completion_tokens`, else `max_tokens`.
    var maxTokens: JSONValue?
    var temperature: JSONValue?
    var topP: JSONValue?
    var stop: [JSONValue] = []
    var stream = false
    var includeUsage = false
    var user: String?
    /// `response_format: {"type": "json_object"}`.
    var wantsJSON = false

    /// Reads and checks an OpenAI chat request body.
    init(_ body: [String: JSONValue]) throws {
        guard let messages = body["messages"]?.arrayValue else {
            throw CompatError.field("messages", "is required: an array of chat messages")
        }
        for (index, message) in messages.enumerated() {
            try read(message, field: "messages[\(index)]")
        }
        for (index, tool) in (body["tools"]?.arrayValue ?? []).enumerated() {
            guard let function = tool["function"], let name = function["name"]?.stringValue else {
                throw CompatError.field("tools[\(index)].function.name", "is required")
            }
            tools.append(Tool(name: name, description: function["description"], parameters: function["parameters"]))
        }
        switch body["tool_choice"] {
        case .none, .null?: toolChoice = nil
        case .string("auto"): toolChoice = .auto
        case .string("required"): toolChoice = .required
        case .string("none"): toolChoice = ToolChoice.none
        case .object(let object)?:
            guard let name = object["function"]?["name"]?.stringValue else {
                throw CompatError.field("tool_choice.function.name", "is required")
            }
            toolChoice = .function(name)
        default:
            throw CompatError.field("tool_choice", "must be auto, required, none or a function")
        }
        parallelToolCalls = body["parallel_tool_calls"]?.boolValue
        maxTokens = [body["max_completion_tokens"], body["max_tokens"]].compactMap { $0 }.first { $0 != .null }
        temperature = body["temperature"].flatMap { $0 == .null ? nil : $0 }
        topP = body["top_p"].flatMap { $0 == .null ? nil : $0 }
        switch body["stop"] {
        case .string(let stop)?: self.stop = [.string(stop)]
        case .array(let stops)?: self.stop = stops
        default: break
        }
        stream = body["stream"]?.boolValue == true
        includeUsage = body["stream_options"]?["include_usage"]?.boolValue == true
        user = body["user"]?.stringValue
        wantsJSON = body["response_format"]?["type"]?.stringValue == "json_object"
    }

    private mutating func read(_ message: JSONValue, field: String) throws {
        guard let role = message["role"]?.stringValue else { throw CompatError.field("\(field).role", "is required") }
        switch role {
        case "system", "developer":
            guard let text = OpenAIChatFormat.text(of: message["content"]) else {
                throw CompatError.field("\(field).content", "must be text for a \(role) message")
            }
            system.append(text)
        case "user":
            messages.append(.user(try Self.parts(message["content"], field: "\(field).content")))
        case "assistant":
            let calls = try (message["tool_calls"]?.arrayValue ?? []).enumerated().map { index, call in
                guard let id = call["id"]?.stringValue, let name = call["function"]?["name"]?.stringValue else {
                    throw CompatError.field("\(field).tool_calls[\(index)]", "needs an id and function.name")
                }
                let text = call["function"]?["arguments"]?.stringValue ?? "{}"
                let arguments = (try? JSONValue(json: Data(text.utf8))).flatMap { $0.objectValue != nil ? $0 : nil }
                return ToolCall(id: id, name: name, arguments: arguments ?? [:])
            }
            messages.append(.assistant(try Self.parts(message["content"], field: "\(field).content"), toolCalls: calls))
        case "tool":
            guard let id = message["tool_call_id"]?.stringValue else {
                throw CompatError.field("\(field).tool_call_id", "is required for a tool message")
            }
            messages.append(.tool(callID: id, content: OpenAIChatFormat.text(of: message["content"]) ?? ""))
        default:
            throw CompatError.field("\(field).role", "'\(role)' is not one of system, developer, user, assistant, tool")
        }
    }

    /// A message's content: a string, or an array of text and image parts.
    static func parts(_ content: JSONValue?, field: String) throws -> [Part] {
        switch content {
        case .string(let text)?: return [.text(text)]
        case .array(let items)?:
            return try items.enumerated().map { index, part in
                switch part["type"]?.stringValue {
                case "text": return .text(part["text"]?.stringValue ?? "")
                case "image_url":
                    guard let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue else {
                        throw CompatError.field("\(field)[\(index)].image_url.url", "is required")
                    }
                    return .image(url: url, inline: DataURL(url))
                default:
                    throw CompatError.field(
                        "\(field)[\(index)].type", "'\(part["type"]?.stringValue ?? "none")' is not text or image_url")
                }
            }
        case .null?, .none: return []
        default: throw CompatError.field(field, "must be a string or an array of parts")
        }
    }

    /// Turns as providers that want roles to alternate take them: consecutive messages of
    /// one role joined into one turn, empty ones left out.
    static func alternating<Item>(_ turns: [(role: String, items: [Item])]) -> [(role: String, items: [Item])] {
        var merged: [(role: String, items: [Item])] = []
        for turn in turns where !turn.items.isEmpty {
            if let last = merged.last, last.role == turn.role {
                merged[merged.count - 1].items += turn.items
            } else {
                merged.append(turn)
            }
        }
        return merged
    }
}

/// A `data:` URL's parts (`data:image/png;base64,iVBOR...`).
struct DataURL: Equatable {
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
