"""Credentials separate cached answers whichever header the real SDKs put them in.

Anthropic's SDK sends `api_key` as `x-api-key` and `auth_token` as `authorization: Bearer`;
OpenAI's sends `authorization: Bearer`; Google's (google-genai) sends `x-goog-api-key`. Two callers with different keys must never share an
answer through the cache, and the same caller gets its own answer back as a hit.
"""

import anthropic
import openai
from google import genai
from google.genai import types

CACHED = {"cf-aig-cache-ttl": "60"}
PROMPT = [{"role": "user", "content": "the same question"}]


def cache_status(raw) -> str:
    return raw.headers.get("cf-aig-cache-status")


def test_anthropic_bearer_keys_do_not_share_cached_answers(gateway):
    url = gateway.gateway_url("cred-gw", "anthropic")

    def ask(token):
        client = anthropic.Anthropic(base_url=url, api_key=None, auth_token=token, default_headers=CACHED, max_retries=0)
        return client.messages.with_raw_response.create(model="claude-3-5-haiku-latest", max_tokens=16, messages=PROMPT)

    assert cache_status(ask("sk-ant-alice")) == "MISS"
    assert cache_status(ask("sk-ant-bob")) == "MISS", "bob was served alice's cached answer"
    assert cache_status(ask("sk-ant-alice")) == "HIT"


def test_anthropic_api_key_and_bearer_are_different_callers(gateway):
    url = gateway.gateway_url("cred-gw2", "anthropic")
    by_key = anthropic.Anthropic(base_url=url, api_key="sk-ant-same", default_headers=CACHED, max_retries=0)
    by_token = anthropic.Anthropic(base_url=url, api_key=None, auth_token="sk-ant-other", default_headers=CACHED, max_retries=0)
    first = by_key.messages.with_raw_response.create(model="claude-3-5-haiku-latest", max_tokens=16, messages=PROMPT)
    second = by_token.messages.with_raw_response.create(model="claude-3-5-haiku-latest", max_tokens=16, messages=PROMPT)
    assert (cache_status(first), cache_status(second)) == ("MISS", "MISS")


def test_openai_keys_do_not_share_cached_answers(gateway):
    url = gateway.gateway_url("cred-gw3", "openai")

    def ask(key):
        client = openai.OpenAI(base_url=url, api_key=key, default_headers=CACHED, max_retries=0)
        return client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=PROMPT)

    assert cache_status(ask("sk-alice")) == "MISS"
    assert cache_status(ask("sk-bob")) == "MISS"
    assert cache_status(ask("sk-alice")) == "HIT"


def test_google_keys_do_not_share_cached_answers(gateway):
    url = gateway.gateway_url("cred-gw4", "google-ai-studio")

    def ask(key):
        client = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=url, headers=CACHED))
        response = client.models.generate_content(model="gemini-2.0-flash", contents="the same question")
        headers = {name.lower(): value for name, value in response.sdk_http_response.headers.items()}
        return headers.get("cf-aig-cache-status")

    assert ask("AIza-alice") == "MISS"
    assert ask("AIza-bob") == "MISS", "bob was served alice's cached answer"
    assert ask("AIza-alice") == "HIT"
