import AIGateway
import Foundation
import NIOCore
import Testing
@testable import GatewayCore

@Suite("Compat, Anthropic: OpenAI requests in Anthropic's format, Anthropic's answers and events back as OpenAI's")
struct AnthropicCompatTests {
    @Test("a request with system prompts, turns, images, tools and tool results")
    func request() throws {
        let openAI = try #require(CompatFixtures.richOpenAIRequest.objectValue)
        let body = AnthropicCompat.request(try OpenAIChatRequest(openAI), model: "claude-sonnet-4-5")
        #expect(body["model"] == "claude-sonnet-4-5")
        #expect(body["system"] == "You are terse.\n\nAnswer in French.")
        #expect(body["max_tokens"] == .number(Double(AnthropicCompat.defaultMaxTokens)))
        #expect(body["temperature"] == 0.2 && body["top_p"] == 0.9 && body["stop_sequences"] == ["END"])
        #expect(body["metadata"] == ["user_id": "u-42"])
        #expect(body["tool_choice"] == ["type": "any"])
        #expect(
            body["tools"] == [[
                "name": "get_weather", "description": "Weather for a city",
                "input_schema": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
            ]])
        let messages = try #require(body["messages"]?.arrayValue)
        // user, assistant (tool use), user (tool result + the next question, merged: turns alternate)
        #expect(messages.map { $0["role"]?.stringValue } == ["user", "assistant", "user"])
        #expect(
            messages[0]["content"] == [
                ["type": "text", "text": "What is in this picture, and the weather in Paris?"],
                ["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="]],
                ["type": "image", "source": ["type": "url", "url": "https://example.com/cat.webp"]],
            ])
        #expect(
            messages[1]["content"] == [["type": "tool_use", "id": "call_1", "name": "get_weather", "input": ["city": "Paris"]]])
        #expect(
            messages[2]["content"] == [
                ["type": "tool_result", "tool_use_id": "call_1", "content": "{\"temperature\":21}"],
                ["type": "text", "text": "Thanks. And tomorrow?"],
            ])
    }

    @Test("max_tokens and max_completion_tokens are kept; a named tool choice and parallel_tool_calls false")
    func maxTokensAndToolChoice() throws {
        let body = AnthropicCompat.request(
            try OpenAIChatRequest([
                "messages": [["role": "user", "content": "hi"]], "max_completion_tokens": 77,
                "tool_choice": ["type": "function", "function": ["name": "f"]], "parallel_tool_calls": false,
            ]), model: "m")
        #expect(body["max_tokens"] == 77)
        #expect(body["tool_choice"] == ["type": "tool", "name": "f", "disable_parallel_tool_use": true])
        #expect(body["stream"] == nil && body["system"] == nil)
    }

    @Test("bad messages are 400s naming the field")
    func badRequests() {
        func message(_ request: JSONValue) -> String? {
            do {
                _ = try OpenAIChatRequest(request.objectValue ?? [:])
                return nil
            } catch let error as GatewayError {
                #expect(error.httpStatus == 400 && error.code == 2015)
                return error.message
            } catch { return "\(error)" }
        }
        #expect(message(["model": "x"])?.contains("messages is required") == true)
        #expect(message(["messages": [["role": "robot", "content": "x"]]])?.contains("messages[0].role 'robot'") == true)
        #expect(message(["messages": [["role": "tool", "content": "x"]]])?.contains("messages[0].tool_call_id") == true)
        #expect(
            message(["messages": [["role": "user", "content": [["type": "audio"]]]]])?.contains("messages[0].content[0].type")
                == true)
        #expect(message(["messages": [], "tool_choice": 3])?.contains("tool_choice") == true)
    }

    @Test("a whole answer with text and a tool use becomes a chat.completion with tool_calls and usage")
    func wholeAnswer() throws {
        let answer = #"{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"output_tokens":40}}"#
        let out = CompatFixtures.run(
            WholeAnswerTranslator { AnthropicCompat.completion($0, requestedModel: "m") }, answer, chunkSize: 7)
        let completion = try JSONValue(json: Data(out.utf8))
        #expect(completion["object"] == "chat.completion" && completion["model"] == "claude-sonnet-4-5-20250929")
        let choice = try #require(completion["choices"]?.arrayValue?.first)
        #expect(choice["finish_reason"] == "tool_calls")
        #expect(choice["message"]?["content"] == "Checking.")
        #expect(
            choice["message"]?["tool_calls"] == [[
                "id": "toolu_01", "type": "function", "function": ["name": "get_weather", "arguments": "{\"city\":\"Paris\"}"],
            ]])
        #expect(
            completion["usage"] == [
                "prompt_tokens": 150, "completion_tokens": 40, "total_tokens": 190, "prompt_tokens_details": ["cached_tokens": 30],
            ])
    }

    @Test("stop reasons: end_turn and stop_sequence are stop, max_tokens is length, tool_use is tool_calls")
    func stopReasons() {
        #expect(AnthropicCompat.finishReason("end_turn") == "stop" && AnthropicCompat.finishReason("stop_sequence") == "stop")
        #expect(AnthropicCompat.finishReason("max_tokens") == "length" && AnthropicCompat.finishReason("tool_use") == "tool_calls")
    }

    @Test("an answer that is not a message (an odd body) passes through unchanged")
    func notAMessage() {
        let odd = #"{"something":"else"}"#
        #expect(CompatFixtures.run(WholeAnswerTranslator { AnthropicCompat.completion($0, requestedModel: "m") }, odd, chunkSize: 3) == odd)
    }

    @Test("the event stream becomes OpenAI chunks, whatever the chunk boundaries, with the usage chunk when asked")
    func stream() throws {
        for size in [1, 5, 64, 100_000] {
            let out = CompatFixtures.run(
                EventStreamTranslator(events: AnthropicCompat.Events(model: "m", includeUsage: true)),
                CompatFixtures.anthropicToolStream, chunkSize: size)
            let (chunks, done) = CompatFixtures.chunks(out)
            #expect(done, "chunk size \(size)")
            let deltas = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"] }
            #expect(deltas.first == ["role": "assistant", "content": ""])
            #expect(deltas.compactMap { $0["content"]?.stringValue }.joined() == "Okay, let me check.")
            let toolDeltas = deltas.compactMap { $0["tool_calls"]?.arrayValue?.first }
            #expect(toolDeltas.first?["id"] == "toolu_01T1x1fJ34qAmk2tNTrN7Up6" && toolDeltas.first?["function"]?["name"] == "get_weather")
            #expect(toolDeltas.compactMap { $0["function"]?["arguments"]?.stringValue }.joined() == "{\"city\": \"Paris\"}")
            #expect(toolDeltas.allSatisfy { $0["index"] == 0 })
            #expect(chunks.compactMap { $0["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue } == ["tool_calls"])
            #expect(chunks.allSatisfy { $0["id"] == "msg_014p7gG3wDgGV9EUtLvnow3U" && $0["object"] == "chat.completion.chunk" })
            let usage = try #require(chunks.last?["usage"])
            #expect(usage == ["prompt_tokens": 572, "completion_tokens": 89, "total_tokens": 661, "prompt_tokens_details": ["cached_tokens": 100]])
            #expect(chunks.last?["choices"] == [])
        }
    }

    @Test("without include_usage no usage chunk; an error event ends the stream with an error")
    func streamWithoutUsageAndWithError() {
        let plain = CompatFixtures.chunks(
            CompatFixtures.run(
                EventStreamTranslator(events: AnthropicCompat.Events(model: "m", includeUsage: false)),
                CompatFixtures.anthropicToolStream, chunkSize: 50))
        #expect(plain.done && plain.chunks.allSatisfy { $0["usage"] == nil })

        let failing = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":1}}}

            event: error
            data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}


            """
        let out = CompatFixtures.chunks(
            CompatFixtures.run(EventStreamTranslator(events: AnthropicCompat.Events(model: "m", includeUsage: true)), failing, chunkSize: 9))
        #expect(out.done && out.chunks.last?["error"]?["message"] == "Overloaded")
    }
}
