"""The official OpenAI and Anthropic Python SDKs, unchanged, pointed at the gateway."""

import anthropic
import openai


def test_openai_chat_through_gateway(gateway):
    client = openai.OpenAI(base_url=gateway.gateway_url("sdk-gw", "openai"), api_key="sk-sdk-test")
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the"
    assert completion.usage.prompt_tokens == 11
    log_id = raw.headers["cf-aig-log-id"]
    assert len(log_id) == 26
    assert gateway.wait_for_log(log_id) == ("openai", "gpt-4o-mini", 11, 7, 200, 1)


def test_openai_streaming_with_usage_chunk(gateway):
    client = openai.OpenAI(base_url=gateway.gateway_url("sdk-gw", "openai"), api_key="sk-sdk-test")
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text == "Hello from the"
    assert usage.completion_tokens == 7
    rows = []
    for _ in range(500):
        rows = gateway.rows("SELECT model, tokens_in, tokens_out, request_type FROM logs WHERE gateway_id = 'sdk-gw'")
        if rows:
            break
        __import__("time").sleep(0.02)
    assert rows == [("gpt-4o", 11, 7, "stream")]


def test_openai_embeddings(gateway):
    client = openai.OpenAI(base_url=gateway.gateway_url("sdk-gw", "openai"), api_key="sk-sdk-test")
    result = client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert result.data[0].embedding == [0.1, 0.2, 0.3]


def test_openai_sdk_sees_upstream_errors_unchanged(gateway):
    client = openai.OpenAI(
        base_url=gateway.gateway_url("sdk-gw", "openai"), api_key="sk-sdk-test", max_retries=0,
        default_headers={"x-mock-status": "429"},
    )
    try:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    except openai.RateLimitError as error:
        assert "mock upstream fault" in str(error)
    else:
        raise AssertionError("the 429 did not reach the SDK")


def test_anthropic_messages_through_gateway(gateway):
    client = anthropic.Anthropic(base_url=gateway.gateway_url("sdk-gw", "anthropic"), api_key="sk-ant-sdk-test")
    raw = client.messages.with_raw_response.create(
        model="claude-3-5-haiku-latest", max_tokens=64, messages=[{"role": "user", "content": "Say hello"}]
    )
    message = raw.parse()
    assert message.content[0].text == "Hello from the"
    assert message.usage.input_tokens == 13
    assert gateway.wait_for_log(raw.headers["cf-aig-log-id"]) == ("anthropic", "claude-3-5-haiku-latest", 13, 9, 200, 1)


def test_anthropic_streaming(gateway):
    client = anthropic.Anthropic(base_url=gateway.gateway_url("sdk-gw", "anthropic"), api_key="sk-ant-sdk-test")
    with client.messages.stream(
        model="claude-3-5-haiku-latest", max_tokens=64, messages=[{"role": "user", "content": "Stream please"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from the"
    assert final.usage.output_tokens == 9
