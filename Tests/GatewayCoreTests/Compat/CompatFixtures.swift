import AIGateway
import Foundation
import NIOCore
@testable import GatewayCore

/// Recorded provider answers (in the shapes of the providers' documented examples) and
/// helpers to run them through a translator the way the relay does.
enum CompatFixtures {
    /// An OpenAI chat request that uses every translated feature.
    static let richOpenAIRequest: JSONValue = [
        "model": "anthropic/claude-sonnet-4-5",
        "messages": [
            ["role": "system", "content": "You are terse."],
            ["role": "developer", "content": [["type": "text", "text": "Answer in French."]]],
            [
                "role": "user",
                "content": [
                    ["type": "text", "text": "What is in this picture, and the weather in Paris?"],
                    ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]],
                    ["type": "image_url", "image_url": ["url": "https://example.com/cat.webp"]],
                ],
            ],
            [
                "role": "assistant", "content": nil,
                "tool_calls": [["id": "call_1", "type": "function", "function": ["name": "get_weather", "arguments": "{\"city\":\"Paris\"}"]]],
            ],
            ["role": "tool", "tool_call_id": "call_1", "content": "{\"temperature\":21}"],
            ["role": "user", "content": "Thanks. And tomorrow?"],
        ],
        "tools": [
            [
                "type": "function",
                "function": [
                    "name": "get_weather", "description": "Weather for a city",
                    "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
                ],
            ]
        ],
        "tool_choice": "required",
        "temperature": 0.2, "top_p": 0.9, "stop": "END", "user": "u-42",
    ]

    /// Anthropic's streaming transcript with text then a tool use (as in Anthropic's docs).
    static let anthropicToolStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2,"cache_read_input_tokens":100},"content":[],"stop_reason":null}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let me check."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": \\"Par"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"is\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    /// Gemini's `streamGenerateContent?alt=sse` transcript: text pieces, then the finish with usage.
    static let googleStream = """
        data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 1,"totalTokenCount": 10},"modelVersion": "gemini-2.0-flash","responseId": "r1"}

        data: {"candidates": [{"content": {"parts": [{"text": " sky is blue."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 5,"totalTokenCount": 14},"modelVersion": "gemini-2.0-flash","responseId": "r1"}

        data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"city": "Paris"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 12,"totalTokenCount": 21,"cachedContentTokenCount": 4},"modelVersion": "gemini-2.0-flash","responseId": "r1"}


        """

    /// Feeds `text` to a translator in chunks of `size` bytes (boundaries falling anywhere,
    /// as they do on the wire), and returns what it wrote.
    static func run<T: ResponseTranslator>(_ translator: T, _ text: String, chunkSize size: Int) -> String {
        var translator = translator
        var out = ""
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            if let written = translator.translate(ByteBuffer(bytes: bytes[start..<end])) { out += String(buffer: written) }
            start = end
        }
        if let tail = translator.finish() { out += String(buffer: tail) }
        return out
    }

    /// The JSON of each `data:` event of an OpenAI stream, and whether it ended with `[DONE]`.
    static func chunks(_ stream: String) -> (chunks: [JSONValue], done: Bool) {
        var parser = ServerSentEventParser()
        var events = parser.feed(Array(stream.utf8))
        if let last = parser.finish() { events.append(last) }
        let done = events.last?.isDone == true
        return (events.filter { !$0.isDone }.compactMap { try? JSONValue(json: Data($0.data.utf8)) }, done)
    }
}
