"""Spend limits (SPEC section 11) set with Cloudflare's own client, enforced on requests made
with OpenAI's SDK, and the overshoot of a burst at the edge of a budget measured."""

import concurrent.futures
import json
import urllib.error
import urllib.request

import cloudflare
import openai
import pytest
from cloudflare import Cloudflare
from openai import OpenAI

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def client(gateway) -> Cloudflare:
    return Cloudflare(api_token="unused-on-loopback", base_url=f"{gateway.url}/client/v4", max_retries=0)


def create(gateway, gateway_id, spend_limits):
    return client(gateway).ai_gateway.create(
        account_id="local", id=gateway_id, cache_invalidate_on_update=False, cache_ttl=None, collect_logs=True,
        rate_limiting_interval=None, rate_limiting_limit=None, spend_limits=spend_limits,
    )


def post(url, headers=None, body=CHAT):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, dict(error.headers)


def burst(urls, count, headers):
    """`count` requests at once, spread over `urls`; their statuses."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda i: post(urls[i % len(urls)], headers)[0], range(count)))


def test_rules_set_with_cloudflares_client_read_back_and_hold(gateway):
    created = create(gateway, "budget", {"enabled": True, "rules": [
        {"id": "per-user", "limit": 0.5, "limitType": "cost", "window": 3600, "technique": "fixed",
         "provider": {"mode": "filter", "values": ["openai"]}, "metadata": {"user": {"mode": "partition"}}},
        {"limit": 100, "limitType": "cost", "window": 86400, "technique": "sliding",
         "model": {"mode": "filter", "values": ["gpt-4o-mini"]}},
    ]})
    rules = created.spend_limits.rules
    assert created.spend_limits.enabled and [r.id for r in rules][0] == "per-user"
    assert rules[0].metadata["user"].mode == "partition" and rules[0].provider.values == ["openai"]
    assert rules[1].id.startswith("rule-") and rules[1].technique == "sliding"
    fetched = client(gateway).ai_gateway.get("budget", account_id="local")
    assert fetched.spend_limits.model_dump() == created.spend_limits.model_dump()

    sdk = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("budget", "openai"), max_retries=0)
    ada = {"cf-aig-metadata": json.dumps({"user": "ada"}), "cf-aig-custom-cost": json.dumps({"total_cost": 0.3})}
    first = sdk.chat.completions.with_raw_response.create(**CHAT, extra_headers=ada)
    assert first.headers["cf-aig-spend-remaining"].startswith("per-user=0.500000, rule-")
    sdk.chat.completions.create(**CHAT, extra_headers=ada)
    with pytest.raises(openai.RateLimitError) as refused:
        sdk.chat.completions.create(**CHAT, extra_headers=ada)
    error = refused.value.response.json()
    assert error["internalCode"] == 2050 and "'per-user'" in error["message"] and "user=ada" in error["message"]
    assert int(refused.value.response.headers["retry-after"]) >= 1
    bob = {**ada, "cf-aig-metadata": json.dumps({"user": "bob"})}
    assert sdk.chat.completions.create(**CHAT, extra_headers=bob).choices

    # Limits off: the spent budget no longer refuses.
    client(gateway).ai_gateway.update(
        "budget", account_id="local", cache_invalidate_on_update=False, cache_ttl=None, collect_logs=True,
        rate_limiting_interval=None, rate_limiting_limit=None, spend_limits={"enabled": False, "rules": []},
    )
    assert sdk.chat.completions.create(**CHAT, extra_headers=ada).choices


@pytest.mark.parametrize("spend_limits, field", [
    ({"rules": [{"id": f"r{i}", "limit": 1, "limitType": "cost", "window": 60} for i in range(21)]}, "spend_limits.rules"),
    ({"rules": [{"limit": -1, "limitType": "cost", "window": 60}]}, "spend_limits.rules[0].limit"),
    ({"rules": [{"limit": 1, "limitType": "cost", "window": 0}]}, "spend_limits.rules[0].window"),
    ({"rules": [{"limit": 1, "limitType": "cost", "window": 60, "region": {"mode": "filter", "values": ["eu"]}}]},
     "spend_limits.rules[0].region"),
])
def test_bad_rules_are_a_400_naming_the_field(gateway, spend_limits, field):
    with pytest.raises(cloudflare.BadRequestError) as refused:
        create(gateway, "bad-budget", spend_limits)
    assert field + ":" in str(refused.value)
    with pytest.raises(cloudflare.NotFoundError):
        client(gateway).ai_gateway.get("bad-budget", account_id="local")


@pytest.mark.parametrize("latency_ms", [0, 300])
def test_a_burst_at_the_edge_overshoots_by_at_most_the_requests_in_flight(gateway, latency_ms):
    """$0.90 of $1 spent at $0.10 a request, then 50 at once: those checked before any of them
    was charged pass (all 50 when each answer takes 300 ms), and nothing passes after."""
    create(gateway, "edge", {"rules": [{"id": "edge", "limit": 1, "limitType": "cost", "window": 3600}]})
    url = gateway.gateway_url("edge", "openai") + "/chat/completions"
    headers = {"cf-aig-custom-cost": json.dumps({"total_cost": 0.1}), "x-mock-latency-ms": str(latency_ms)}
    for _ in range(9):
        assert post(url, headers)[0] == 200
    statuses = burst([url], 50, headers)
    served = statuses.count(200)
    assert served + statuses.count(429) == 50 and served >= 1
    if latency_ms:
        assert served == 50  # every one was in flight before any was charged
    print(f"\nspend burst, one process, {latency_ms} ms answers: {served} of 50 served; "
          f"spent ${0.9 + served * 0.1:.2f} of $1 (overshoot ${served * 0.1 - 0.1:.2f}, bound $4.90)")
    assert post(url, headers)[0] == 429
