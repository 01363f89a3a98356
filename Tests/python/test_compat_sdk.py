"""The official OpenAI Python SDK, unchanged, against aigw's /compat endpoint with models of
providers that do not speak OpenAI's format (Anthropic, Google AI Studio), and across retries."""

import json
import time
import uuid

import openai
import pytest


def compat_client(gateway, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.gateway_url("compat-gw", "compat"), api_key="sk-ant-compat", **kwargs)


def test_anthropic_model_whole_answer(gateway):
    client = compat_client(gateway)
    raw = client.chat.completions.with_raw_response.create(
        model="anthropic/claude-3-5-haiku-latest",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}],
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 13 and completion.usage.completion_tokens == 9
    # Logged under the provider really called, with its own token counts.
    assert gateway.wait_for_log(raw.headers["cf-aig-log-id"]) == ("anthropic", "claude-3-5-haiku-latest", 13, 9, 200, 1)


def test_anthropic_model_streamed_with_usage(gateway):
    stream = compat_client(gateway).chat.completions.create(
        model="anthropic/claude-3-5-haiku-latest",
        messages=[{"role": "user", "content": "Stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage
    assert text == "Hello from the"
    assert finish == "stop"
    assert usage.prompt_tokens == 13 and usage.completion_tokens == 9


def test_anthropic_tool_calls_whole_and_streamed(gateway):
    client = compat_client(gateway)
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    completion = client.chat.completions.create(model="anthropic/claude-3-5-haiku-latest", messages=messages, tools=tools)
    call = completion.choices[0].message.tool_calls[0]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}

    arguments, name = "", None
    for chunk in client.chat.completions.create(
        model="anthropic/claude-3-5-haiku-latest", messages=messages, tools=tools, stream=True
    ):
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            name = delta.function.name or name
            arguments += delta.function.arguments or ""
    assert name == "get_weather" and json.loads(arguments) == {"city": "Paris"}

    # The tool's answer goes back in OpenAI's shape and reaches Anthropic as a tool_result.
    follow_up = client.chat.completions.create(
        model="anthropic/claude-3-5-haiku-latest",
        messages=messages + [completion.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": "21 C"}],
    )
    assert follow_up.choices[0].message.content


def test_google_model_streamed(gateway):
    text = ""
    for chunk in compat_client(gateway).chat.completions.create(
        model="google-ai-studio/gemini-2.0-flash", messages=[{"role": "user", "content": "Hi"}], stream=True
    ):
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
    assert text == "Hello from the"


def test_errors_reach_the_sdk_as_its_own_exceptions(gateway):
    client = compat_client(gateway, max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="claude-without-provider", messages=[{"role": "user", "content": "x"}])
    # The gateway's own error in the shape the SDK reads: its message is the exception's, and
    # Cloudflare's fields stand beside it.
    assert "{provider}/{model}" in str(refused.value) and refused.value.code == "2015"
    assert refused.value.type == "invalid_request_error"
    body = refused.value.response.json()
    assert body["name"] == "AiGatewayError" and body["internalCode"] == 2015 and body["errors"][0]["code"] == 2015
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="anthropic/claude-3-5-haiku-latest", messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-mock-status": "500"},
        )


def test_gateway_retries_behind_the_sdk(gateway):
    """cf-aig-max-attempts makes the gateway retry a failing provider; the SDK sees one success."""
    client = compat_client(gateway, max_retries=0)
    completion = client.chat.completions.create(
        model="anthropic/claude-3-5-haiku-latest", messages=[{"role": "user", "content": "x"}],
        extra_headers={"x-mock-fail-first": "2", "x-mock-sequence": str(uuid.uuid4()), "cf-aig-max-attempts": "3"},
    )
    assert completion.choices[0].message.content == "Hello from the"
    statuses = []
    for _ in range(500):
        statuses = sorted(row[0] for row in gateway.rows("SELECT status_code FROM logs WHERE gateway_id = 'compat-gw'"))
        if len(statuses) == 3:
            break
        time.sleep(0.02)
    assert statuses == [200, 503, 503]
