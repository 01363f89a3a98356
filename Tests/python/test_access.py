"""Authenticated gateways, run tokens from the command line, and stored provider keys, through
the real `aigw` binary: the secrets never reach the database files or the process log."""

import json
import signal
import urllib.request

import openai
import pytest

from test_cli_and_example import aigw

MASTER_KEY = "python-test master key, 32+ chars long"
STORED_SECRET = "sk-stored-python-0123456789"


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def mock_requests(mock_upstream) -> list:
    with urllib.request.urlopen(f"{mock_upstream['url']}/_mock/requests", timeout=30) as response:
        return json.loads(response.read())


def test_tokens_and_stored_keys_end_to_end(start_gateway, mock_upstream):
    gateway = start_gateway(config={"master_key": MASTER_KEY, "gateways": {"locked": {"authentication": True}}})
    base = gateway.gateway_url("locked", "openai")

    # Without a token: 401, code 2009, and nothing reaches the provider.
    with pytest.raises(openai.AuthenticationError) as refused:
        openai.OpenAI(base_url=base, api_key="sk-own", max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.body[0]["code"] == 2009

    created = aigw(gateway, "tokens", "create", "-g", "locked", "--name", "python").stdout
    token = created.strip().splitlines()[-1]
    assert token.startswith("aigw_") and "shown only now" in created
    listed = aigw(gateway, "tokens", "list", "-g", "locked", "--json").stdout
    assert "python" in listed and token not in listed

    # A stored key, used when the request brings no credential of its own.
    api = f"{gateway.url}/client/v4/accounts/local/ai-gateway/gateways/locked/provider_configs"
    stored = post_json(api, {"alias": "default", "provider_slug": "openai", "secret": STORED_SECRET})
    assert stored["success"] and STORED_SECRET not in json.dumps(stored)
    client = openai.OpenAI(base_url=base, api_key="unused", default_headers={"cf-aig-authorization": f"Bearer {token}"})
    completion = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], extra_headers={"authorization": ""})
    assert completion.parse().choices[0].message.content == "Hello from the"
    assert mock_requests(mock_upstream)[-1]["headers"]["authorization"] == f"Bearer {STORED_SECRET}"

    token_id = json.loads(listed)[0]["id"]
    assert "revoked" in aigw(gateway, "tokens", "revoke", token_id, "-g", "locked").stdout
    with pytest.raises(openai.AuthenticationError):
        client.with_options(max_retries=0).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])

    assert gateway.stop(signal.SIGTERM) == 0
    for path in gateway.workdir.glob("aigw.sqlite*"):
        data = path.read_bytes()
        assert STORED_SECRET.encode() not in data, path
        assert token.encode() not in data, path
    process_log = "".join(p.read_text() for p in gateway.workdir.glob("aigw-*.stderr"))
    assert STORED_SECRET not in process_log and token not in process_log


def test_no_master_key_means_no_stored_keys(gateway):
    aigw(gateway, "gateways", "create", "plain")
    api = f"{gateway.url}/client/v4/accounts/local/ai-gateway/gateways/plain/provider_configs"
    with pytest.raises(urllib.error.HTTPError) as refused:
        post_json(api, {"provider_slug": "openai", "secret": "sk-x"})
    assert refused.value.code == 400 and "master key" in refused.value.read().decode()


def test_a_wrong_master_key_after_a_restart_is_said_at_start_and_answered_clearly(start_gateway):
    keyed = {"keyed": {"authentication": True}}
    gateway = start_gateway(config={"master_key": MASTER_KEY, "gateways": keyed})
    api = f"{gateway.url}/client/v4/accounts/local/ai-gateway/gateways/keyed/provider_configs"
    assert post_json(api, {"provider_slug": "openai", "secret": STORED_SECRET})["success"]
    token = aigw(gateway, "tokens", "create", "-g", "keyed").stdout.strip().splitlines()[-1]
    assert gateway.stop() == 0

    restarted = start_gateway(config={"master_key": "another master key, also 32+ chars", "gateways": keyed})
    process_log = (restarted.workdir / f"aigw-{restarted.port}.stderr").read_text()
    assert "1 stored provider keys cannot be opened" in process_log and "keyed" in process_log
    request = urllib.request.Request(restarted.gateway_url("keyed", "openai") + "/chat/completions",
                                     data=b'{"model":"gpt-4o-mini","messages":[]}',
                                     headers={"content-type": "application/json", "cf-aig-authorization": f"Bearer {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    body = json.loads(refused.value.read())
    assert refused.value.code == 503 and body["internalCode"] == 2041 and "master key" in body["message"]
    assert STORED_SECRET not in json.dumps(body)
