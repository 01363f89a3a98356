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
