import AIGateway
import Foundation

/// The text of a streamed answer put back together from its server-sent events: OpenAI's
/// `choices[0].delta.content`, Anthropic's `content_block_delta` text, Google's
/// `candidates[0].content.parts[].text`, Workers AI's `response`. Nil when no event carries text.
enum StreamReassembly {
    static func text(of body: [UInt8]) -> String? {
        var text = ""
        var found = false
        for line in String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard line.hasPrefix("data:") else { continue }
            let payload = line.dropFirst(5).trimmingHTTPWhitespace
            guard payload != "[DONE]", let event = try? JSONValue(json: Data(payload.utf8)) else { continue }
            if let piece = piece(of: event) {
                text += piece
                found = true
            }
        }
        return found ? text : nil
    }

    private static func piece(of event: JSONValue) -> String? {
        let object = event.objectValue ?? [:]
        if let choices = object["choices"]?.arrayValue, let delta = choices.first?.objectValue?["delta"]?.objectValue {
            return delta["content"]?.stringValue
        }
        if object["type"]?.stringValue == "content_block_delta" {
            return object["delta"]?.objectValue?["text"]?.stringValue
        }
        if let candidates = object["candidates"]?.arrayValue,
            let parts = candidates.first?.objectValue?["content"]?.objectValue?["parts"]?.arrayValue
        {
            return parts.compactMap { $0.objectValue?["text"]?.stringValue }.joined()
        }
        return object["response"]?.stringValue
    }
}
