import Foundation
import NIOCore

/// One provider family's answers: whole, streamed as events, and as an error.
protocol MockProvider: Sendable {
    /// Whether this provider serves the path.
    func matches(path: String) -> Bool
    /// Whether the request asks for a stream.
    func wantsStream(request: [String: Any], path: String, query: String?) -> Bool
    /// A whole answer.
    func answer(request: [String: Any], path: String) -> String
    /// A streamed answer with `chunks` pieces of content, as the exact bytes of each event.
    func stream(request: [String: Any], path: String, query: String?, chunks: Int) -> [String]
    /// The provider's error body for a status.
    func error(status: Int) -> String
    /// The stream's content type.
    func streamContentType(path: String, query: String?) -> String
}

extension MockProvider {
    func wantsStream(request: [String: Any], path: String, query: String?) -> Bool {
        request["stream"] as? Bool == true
    }

    func error(status: Int) -> String {
        #"{"error":{"message":"mock upstream fault: status \#(status)","type":"server_error","code":\#(status)}}"#
    }

    func streamContentType(path: String, query: String?) -> String { "text/event-stream" }
}

/// The words the mock answers with, one per chunk.
enum MockText {
    static let words = ["Hello", " from", " the", " mock", " upstream", "!", " More", " words", " follow", "."]

    static func piece(_ index: Int) -> String { words[index % words.count] }

    static func whole(_ chunks: Int = 3) -> String { (0..<chunks).map(piece).joined() }

    /// What a chat request asks the mock to say: the text after "repeat after me:" in its last
    /// message (OpenAI's and Anthropic's `messages`), or nil to answer as usual. Tests use it
    /// to put chosen content (a card number, a guard's marker) into an answer.
    static func requested(in request: [String: Any]) -> String? {
        guard let last = (request["messages"] as? [[String: Any]])?.last else { return nil }
        let text = (last["content"] as? String) ?? ((last["content"] as? [[String: Any]])?.compactMap { $0["text"] as? String }.joined(separator: " ") ?? "")
        guard let marker = text.range(of: "repeat after me:") else { return nil }
        return String(text[marker.upperBound...]).trimmingCharacters(in: .whitespaces)
    }

    /// The answer's pieces: the requested text in pieces of 8 characters, or the usual words.
    static func pieces(for request: [String: Any], chunks: Int) -> [String] {
        guard let text = requested(in: request) else { return (0..<chunks).map(piece) }
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(8)))
            rest = rest.dropFirst(8)
        }
        return pieces.isEmpty ? [""] : pieces
    }

    /// `value` as a JSON string literal.
    static func json(_ value: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }

    static func sse(_ data: String, event: String? = nil) -> String {
        (event.map { "event: \($0)\n" } ?? "") + "data: \(data)\n\n"
    }
}
