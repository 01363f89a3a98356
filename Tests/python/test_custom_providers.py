"""Custom providers made with Cloudflare's own client (`ai_gateway.custom_providers`), served
at once as custom-{slug} on provider URLs and on /compat, their extra headers sealed and
never shown."""

import json
import urllib.request

import cloudflare
import openai
import pytest
from cloudflare import Cloudflare
from openai import OpenAI

MASTER_KEY = "python-test master key, 32+ chars long"


def client(gateway) -> Cloudflare:
    return Cloudflare(api_token="unused-on-loopback", base_url=f"{gateway.url}/client/v4", max_retries=0)


def mock_requests(mock_upstream):
    with urllib.request.urlopen(f"{mock_upstream['url']}/_mock/requests", timeout=30) as response:
        return json.loads(response.read())


def test_create_use_list_get_update_delete(start_gateway, mock_upstream):
    gateway = start_gateway(config={"master_key": MASTER_KEY})
    cf = client(gateway)
    created = cf.ai_gateway.custom_providers.create(
        account_id="local", name="Acme LLM", slug="acme", base_url=mock_upstream["url"] + "/v1",
        headers=json.dumps({"x-acme-key": "acme-secret-123"}), description="an OpenAI-compatible upstream",
    )
    assert created.slug == "acme" and created.enable is True
    assert "acme-secret-123" not in created.model_dump_json() and json.loads(created.headers) == {"x-acme-key": "[redacted]"}

    # Served at once, on the provider URL and on /compat.
    direct = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("default", "custom-acme"), max_retries=0)
    assert direct.chat.completions.create(model="acme-1", messages=[{"role": "user", "content": "hi"}]).choices
    compat = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("default", "compat"), max_retries=0)
    assert compat.chat.completions.create(model="custom-acme/acme-1", messages=[{"role": "user", "content": "hi"}]).choices
    sent = [r for r in mock_requests(mock_upstream) if r.get("headers", {}).get("x-acme-key")]
    assert len(sent) >= 2 and all(r["headers"]["x-acme-key"] == "acme-secret-123" for r in sent)

    listed = cf.ai_gateway.custom_providers.list(account_id="local", search="acme")
    assert [p.id for p in listed] == [created.id]
    fetched = cf.ai_gateway.custom_providers.get(created.id, account_id="local")
    assert fetched.base_url == mock_upstream["url"] + "/v1" and "acme-secret" not in fetched.model_dump_json()

    # The secret is stored sealed: not in the database file in clear.
    assert not gateway.rows("SELECT id FROM gateway_documents WHERE body LIKE ?", ("%acme-secret-123%",))

    # PUT (aigw's own: the client has no update): disabled, it is no longer served.
    request = urllib.request.Request(
        f"{gateway.url}/client/v4/accounts/local/ai-gateway/custom-providers/{created.id}",
        data=json.dumps({"enable": False}).encode(), method="PUT", headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["result"]["enable"] is False
    with pytest.raises(openai.BadRequestError) as refused:
        direct.chat.completions.create(model="acme-1", messages=[{"role": "user", "content": "hi"}])
    assert "unknown provider 'custom-acme'" in refused.value.response.json()["message"]

    assert cf.ai_gateway.custom_providers.delete(created.id, account_id="local").id == created.id
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.custom_providers.get(created.id, account_id="local")


def test_survives_a_restart(start_gateway, mock_upstream, tmp_path):
    database = str(tmp_path / "custom.sqlite")
    first = start_gateway(config={"master_key": MASTER_KEY}, args=["--database", database])
    client(first).ai_gateway.custom_providers.create(
        account_id="local", name="Kept", slug="kept", base_url=mock_upstream["url"] + "/v1",
        headers=json.dumps({"x-kept": "k"}))
    first.stop()
    second = start_gateway(config={"master_key": MASTER_KEY}, args=["--database", database])
    sdk = OpenAI(api_key="sk-test", base_url=second.gateway_url("default", "custom-kept"), max_retries=0)
    assert sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]).choices


@pytest.mark.parametrize("fields, field", [
    ({"base_url": "http://example.com/v1"}, "base_url"),
    ({"base_url": "ftp://127.0.0.1/v1"}, "base_url"),
    ({"base_url": "https://user:pw@example.com/v1"}, "base_url"),
    ({"base_url": "https://example.com/v1?key=1"}, "base_url"),
    ({"slug": "Bad Slug"}, "slug"),
    ({"headers": json.dumps({"bad header": "x"})}, "headers.bad header"),
    ({"headers": json.dumps({"x-a": "line\r\nbreak"})}, "headers.x-a"),
    ({"headers": "not json"}, "headers"),
])
def test_bad_input_is_a_400_naming_the_field(start_gateway, fields, field):
    gateway = start_gateway(config={"master_key": MASTER_KEY})
    values = {"name": "X", "slug": "x", "base_url": "https://api.example.com/v1", **fields}
    with pytest.raises(cloudflare.BadRequestError) as refused:
        client(gateway).ai_gateway.custom_providers.create(account_id="local", **values)
    assert f"{field}:" in str(refused.value)


def test_headers_need_a_master_key_and_slugs_are_unique(gateway):
    cf = client(gateway)
    with pytest.raises(cloudflare.BadRequestError) as refused:
        cf.ai_gateway.custom_providers.create(
            account_id="local", name="X", slug="x", base_url="https://api.example.com/v1", headers=json.dumps({"k": "v"}))
    assert "master key" in str(refused.value)
    cf.ai_gateway.custom_providers.create(account_id="local", name="X", slug="x", base_url="https://api.example.com/v1")
    with pytest.raises(cloudflare.BadRequestError) as again:
        cf.ai_gateway.custom_providers.create(account_id="local", name="Y", slug="x", base_url="https://api.example.com/v1")
    assert "slug:" in str(again.value)
