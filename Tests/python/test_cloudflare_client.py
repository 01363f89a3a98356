"""Cloudflare's official Python API client (`cloudflare` on PyPI), unchanged, against aigw's
management API: a client nobody here wrote."""

import json

import cloudflare
import pytest
from cloudflare import Cloudflare
from openai import OpenAI


def client(gateway, token="unused-on-loopback") -> Cloudflare:
    return Cloudflare(api_token=token, base_url=f"{gateway.url}/client/v4", max_retries=0)


def chat(gateway, gateway_id="cf-test", **headers) -> str:
    """One chat completion through the gateway with the OpenAI SDK; returns its log id."""
    openai = OpenAI(api_key="sk-test", base_url=gateway.gateway_url(gateway_id, "openai"), max_retries=0)
    raw = openai.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], extra_headers=headers
    )
    return raw.headers["cf-aig-log-id"]


def test_gateways_create_list_get_update_delete(gateway):
    cf = client(gateway)
    created = cf.ai_gateway.create(
        account_id="local", id="cf-test", cache_invalidate_on_update=False, cache_ttl=120, collect_logs=True,
        rate_limiting_interval=0, rate_limiting_limit=0, rate_limiting_technique="fixed", retry_backoff="linear",
    )
    assert created.id == "cf-test" and created.cache_ttl == 120 and created.created_at.year >= 2025
    assert "cf-test" in [g.id for g in cf.ai_gateway.list(account_id="local")]
    assert [g.id for g in cf.ai_gateway.list(account_id="local", search="cf-")] == ["cf-test"]
    assert cf.ai_gateway.get("cf-test", account_id="local").retry_backoff == "linear"
    updated = cf.ai_gateway.update(
        "cf-test", account_id="local", cache_invalidate_on_update=True, cache_ttl=None, collect_logs=True,
        rate_limiting_interval=60, rate_limiting_limit=100,
    )
    assert updated.cache_ttl is None and updated.rate_limiting_limit == 100 and updated.cache_invalidate_on_update
    assert cf.ai_gateway.delete("cf-test", account_id="local").id == "cf-test"
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.get("cf-test", account_id="local")


def test_logs_list_filters_get_edit_bodies_delete(gateway):
    cf = client(gateway)
    cf.ai_gateway.create(
        account_id="local", id="cf-test", cache_invalidate_on_update=False, cache_ttl=None, collect_logs=True,
        rate_limiting_interval=None, rate_limiting_limit=None,
    )
    ok = [chat(gateway, **{"cf-aig-metadata": json.dumps({"user": f"u{i}"})}) for i in range(3)]
    failed = chat_failing(gateway)

    every = list(cf.ai_gateway.logs.list(gateway_id="cf-test", account_id="local", per_page=2))
    assert {log.id for log in every} == set(ok + [failed])  # auto-pagination walked every page

    # One filter with several values (the client sends filters.key/operator/value repeated).
    by_provider = cf.ai_gateway.logs.list(
        gateway_id="cf-test", account_id="local",
        filters=[{"key": "provider", "operator": "eq", "value": ["openai", "groq"]}],
    )
    assert len(by_provider.result) == 4
    # Two filters, one value each: paired by position.
    failures = cf.ai_gateway.logs.list(
        gateway_id="cf-test", account_id="local",
        filters=[
            {"key": "success", "operator": "eq", "value": [False]},
            {"key": "model", "operator": "contains", "value": ["gpt"]},
        ],
    )
    assert [log.id for log in failures.result] == [failed]
    # The older flat parameters.
    flat = cf.ai_gateway.logs.list(gateway_id="cf-test", account_id="local", success=True, provider="openai", order_by="created_at", order_by_direction="asc")
    assert [log.id for log in flat.result] == ok

    log = cf.ai_gateway.logs.get(ok[0], gateway_id="cf-test", account_id="local")
    assert log.model == "gpt-4o-mini" and log.tokens_in == 11 and log.tokens_out == 7
    assert json.loads(log.metadata) == {"user": "u0"}

    cf.ai_gateway.logs.edit(ok[0], gateway_id="cf-test", account_id="local", feedback=1, score=88, metadata={"reviewed": True})
    edited = cf.ai_gateway.logs.get(ok[0], gateway_id="cf-test", account_id="local")
    assert edited.model_extra.get("feedback") == 1 and edited.model_extra.get("score") == 88
    assert json.loads(edited.metadata) == {"reviewed": True}

    request = cf.ai_gateway.logs.request(ok[0], gateway_id="cf-test", account_id="local")
    assert request["model"] == "gpt-4o-mini"
    response = cf.ai_gateway.logs.response(ok[0], gateway_id="cf-test", account_id="local")
    assert response["usage"]["prompt_tokens"] == 11

    deleted = cf.ai_gateway.logs.delete(
        gateway_id="cf-test", account_id="local", filters=[{"key": "success", "operator": "eq", "value": [False]}]
    )
    assert deleted.success
    remaining = cf.ai_gateway.logs.list(gateway_id="cf-test", account_id="local")
    assert {log.id for log in remaining.result} == set(ok)

    url = cf.ai_gateway.urls.get("anthropic", gateway_id="cf-test", account_id="local")
    assert url == f"{gateway.url}/v1/local/cf-test/anthropic"


def chat_failing(gateway) -> str:
    openai = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("cf-test", "openai"), max_retries=0)
    try:
        openai.chat.completions.create(
            model="gpt-4o-mini", messages=[], extra_headers={"x-mock-status": "500"}
        )
    except Exception as error:  # the SDK raises for the 500; the log id is on the response
        return error.response.headers["cf-aig-log-id"]
    raise AssertionError("the mock's 500 did not come back")


def test_bad_input_is_a_400_naming_the_field(gateway):
    cf = client(gateway)
    log_id = chat(gateway)
    with pytest.raises(cloudflare.BadRequestError, match="feedback"):
        cf.ai_gateway.logs.edit(log_id, gateway_id="cf-test", account_id="local", feedback=2)
    with pytest.raises(cloudflare.BadRequestError, match="score"):
        cf.ai_gateway.logs.edit(log_id, gateway_id="cf-test", account_id="local", score=101)
    with pytest.raises(cloudflare.BadRequestError, match="metadata"):
        cf.ai_gateway.logs.edit(
            log_id, gateway_id="cf-test", account_id="local", metadata={str(i): i for i in range(6)}
        )
    with pytest.raises(cloudflare.BadRequestError, match="user_agent"):
        cf.ai_gateway.logs.list(
            gateway_id="cf-test", account_id="local", filters=[{"key": "user_agent", "operator": "eq", "value": ["x"]}]
        )
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.get("01ZZZZZZZZZZZZZZZZZZZZZZZZ", gateway_id="cf-test", account_id="local")


def test_admin_token_is_required_when_configured(start_gateway):
    gateway = start_gateway(config={"admin_token": "adm-123"})
    with pytest.raises(cloudflare.AuthenticationError):
        client(gateway, token="wrong").ai_gateway.list(account_id="local").result
    assert client(gateway, token="adm-123").ai_gateway.list(account_id="local").result == []


def test_datasets_and_evaluations(gateway):
    """Datasets (saved filters) and evaluations over them, with the client's own types."""
    cf = client(gateway)
    cf.ai_gateway.create(
        account_id="local", id="cf-test", cache_invalidate_on_update=False, cache_ttl=None, collect_logs=True,
        rate_limiting_interval=None, rate_limiting_limit=None,
    )
    liked = [chat(gateway) for _ in range(3)]
    chat(gateway)
    for log_id in liked[:2]:
        cf.ai_gateway.logs.edit(log_id, account_id="local", gateway_id="cf-test", feedback=1)
    cf.ai_gateway.logs.edit(liked[2], account_id="local", gateway_id="cf-test", feedback=-1)

    dataset = cf.ai_gateway.datasets.create(
        "cf-test", account_id="local", name="openai chats", enable=True,
        filters=[{"key": "provider", "operator": "eq", "value": ["openai"]}],
    )
    assert dataset.name == "openai chats" and dataset.gateway_id == "cf-test" and dataset.filters[0].key == "provider"
    assert [d.id for d in cf.ai_gateway.datasets.list("cf-test", account_id="local", search="openai")] == [dataset.id]
    updated = cf.ai_gateway.datasets.update(
        dataset.id, account_id="local", gateway_id="cf-test", name="all openai", enable=True,
        filters=[{"key": "provider", "operator": "eq", "value": ["openai"]}, {"key": "duration", "operator": "lt", "value": [600000]}],
    )
    assert updated.name == "all openai" and len(updated.filters) == 2
    assert cf.ai_gateway.datasets.get(dataset.id, account_id="local", gateway_id="cf-test").name == "all openai"
    with pytest.raises(cloudflare.BadRequestError):
        cf.ai_gateway.datasets.create(
            "cf-test", account_id="local", name="bad", enable=True,
            filters=[{"key": "cost", "operator": "contains", "value": ["x"]}],
        )

    types = cf.ai_gateway.evaluation_types.list(account_id="local")
    assert {t.id for t in types} == {"cost", "speed", "performance"}

    evaluation = cf.ai_gateway.evaluations.create(
        "cf-test", account_id="local", name="first look", dataset_ids=[dataset.id],
        evaluation_type_ids=["cost", "speed", "performance"],
    )
    assert evaluation.processed and evaluation.total_logs == 4 and evaluation.datasets[0].id == dataset.id
    results = {r.evaluation_type_id: r for r in evaluation.results}
    assert float(results["performance"].result) == pytest.approx(2 / 3)
    assert float(results["speed"].result) >= 0 and float(results["cost"].result) >= 0
    assert all(r.total_logs == 4 and r.status == 1 for r in evaluation.results)
    assert [e.id for e in cf.ai_gateway.evaluations.list("cf-test", account_id="local")] == [evaluation.id]
    assert cf.ai_gateway.evaluations.get(evaluation.id, account_id="local", gateway_id="cf-test").name == "first look"
    assert cf.ai_gateway.evaluations.delete(evaluation.id, account_id="local", gateway_id="cf-test").id == evaluation.id
    assert cf.ai_gateway.datasets.delete(dataset.id, account_id="local", gateway_id="cf-test").id == dataset.id
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.datasets.get(dataset.id, account_id="local", gateway_id="cf-test")
