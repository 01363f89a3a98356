import AIGateway
import Foundation
import NIOCore
import Testing
@testable import GatewayCore

@Suite("Compat, Google AI Studio: OpenAI requests as generateContent, answers and SSE events back as OpenAI's")
struct GoogleCompatTests {
    @Test("a request with system prompts, turns, images, tools and tool results")
    func request() throws {
        let body = GoogleCompat.request(try OpenAIChatRequest(try #require(CompatFixtures.richOpenAIRequest.objectValue)))
        #expect(body["systemInstruction"] == ["parts": [["text": "You are terse.\n\nAnswer in French."]]])
        #expect(body["generationConfig"] == ["temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]])
        #expect(body["toolConfig"] == ["functionCallingConfig": ["mode": "ANY"]])
        #expect(
            body["tools"] == [[
                "functionDeclarations": [[
                    "name": "get_weather", "description": "Weather for a city",
                    "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
                ]]
            ]])
        let contents = try #require(body["contents"]?.arrayValue)
        #expect(contents.map { $0["role"]?.stringValue } == ["user", "model", "user"])
        #expect(
            contents[0]["parts"] == [
                ["text": "What is in this picture, and the weather in Paris?"],
                ["inlineData": ["mimeType": "image/png", "data": "iVBORw0KGgo="]],
                ["fileData": ["mimeType": "image/webp", "fileUri": "https://example.com/cat.webp"]],
            ])
        #expect(contents[1]["parts"] == [["functionCall": ["name": "get_weather", "args": ["city": "Paris"]]]])
        // The tool result is named after the call it answers, and merged with the next user turn.
        #expect(
            contents[2]["parts"] == [
                ["functionResponse": ["name": "get_weather", "response": ["temperature": 21]]],
                ["text": "Thanks. And tomorrow?"],
            ])
    }

    @Test("max tokens, JSON mode, a named tool; a tool result that is not JSON is wrapped")
    func options() throws {
        let body = GoogleCompat.request(try OpenAIChatRequest([
            "messages": [
                ["role": "assistant", "tool_calls": [["id": "c9", "function": ["name": "lookup", "arguments": "{}"]]]],
                ["role": "tool", "tool_call_id": "c9", "content": "plain text"],
            ],
            "max_tokens": 50, "response_format": ["type": "json_object"],
            "tool_choice": ["type": "function", "function": ["name": "lookup"]],
        ]))
        #expect(body["generationConfig"] == ["maxOutputTokens": 50, "responseMimeType": "application/json"])
        #expect(body["toolConfig"] == ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": ["lookup"]]])
        #expect(
            body["contents"]?.arrayValue?.last?["parts"] == [["functionResponse": ["name": "lookup", "response": ["content": "plain text"]]]])
    }

    @Test("a whole answer becomes a chat.completion; finish reasons map; usage counts cached tokens")
    func wholeAnswer() throws {
        let answer = #"{"candidates":[{"content":{"parts":[{"text":"Hi "},{"text":"there"}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":2,"totalTokenCount":10},"modelVersion":"gemini-2.0-flash","responseId":"abc"}"#
        let out = CompatFixtures.run(WholeAnswerTranslator { GoogleCompat.completion($0, requestedModel: "m") }, answer, chunkSize: 11)
        let completion = try JSONValue(json: Data(out.utf8))
        #expect(completion["id"] == "chatcmpl-abc" && completion["model"] == "gemini-2.0-flash")
        let choice = try #require(completion["choices"]?.arrayValue?.first)
        #expect(choice["message"]?["content"] == "Hi there" && choice["finish_reason"] == "length")
        #expect(completion["usage"] == ["prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10])
        #expect(GoogleCompat.finishReason("SAFETY", hasToolCalls: false) == "content_filter")
        #expect(GoogleCompat.finishReason("STOP", hasToolCalls: true) == "tool_calls")
    }

    @Test("the SSE stream becomes OpenAI chunks, whatever the boundaries, ending with usage and [DONE]")
    func stream() throws {
        for size in [1, 13, 100_000] {
            let out = CompatFixtures.run(
                EventStreamTranslator(events: GoogleCompat.Events(model: "m", includeUsage: true)), CompatFixtures.googleStream,
                chunkSize: size)
            let (chunks, done) = CompatFixtures.chunks(out)
            #expect(done)
            let deltas = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"] }
            #expect(deltas.first?["role"] == "assistant")
            #expect(deltas.compactMap { $0["content"]?.stringValue }.joined() == "The sky is blue.")
            let call = deltas.compactMap { $0["tool_calls"]?.arrayValue?.first }.first
            #expect(call?["index"] == 0 && call?["function"]?["name"] == "get_weather" && call?["function"]?["arguments"] == "{\"city\":\"Paris\"}")
            #expect(chunks.compactMap { $0["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue } == ["tool_calls"])
            #expect(
                chunks.last?["usage"] == [
                    "prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21, "prompt_tokens_details": ["cached_tokens": 4],
                ])
            #expect(chunks.allSatisfy { $0["model"] == "gemini-2.0-flash" })
        }
    }

    @Test("embeddings: input strings to batchEmbedContents and back to OpenAI's list")
    func embeddings() throws {
        let request = try GoogleCompat.embeddingsRequest(["input": ["a", "b"]], model: "text-embedding-004")
        #expect(request["requests"]?.arrayValue?.count == 2)
        #expect(request["requests"]?.arrayValue?.first == ["model": "models/text-embedding-004", "content": ["parts": [["text": "a"]]]])
        let answer: JSONValue = ["embeddings": [["values": [0.5]], ["values": [0.25]]]]
        let list = try #require(GoogleCompat.embeddings(answer, model: "text-embedding-004"))
        #expect(list["data"]?.arrayValue?.map { $0["index"] } == [0, 1])
        #expect(list["data"]?.arrayValue?.last?["embedding"] == [0.25])
        #expect(throws: GatewayError.self) { try GoogleCompat.embeddingsRequest(["input": 5], model: "m") }
    }
}
