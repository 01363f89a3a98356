"""Dynamic routes (SPEC section 11) made, versioned and deployed with Cloudflare's own client
(`ai_gateway.dynamic_routing`), and walked by OpenAI SDK requests selecting them with
`model: "dynamic/{name}"`."""

import concurrent.futures
import json
import threading
import urllib.error
import urllib.request
import uuid

import cloudflare
import openai
import pytest
from cloudflare import Cloudflare
from openai import OpenAI


def client(gateway) -> Cloudflare:
    return Cloudflare(api_token="unused-on-loopback", base_url=f"{gateway.url}/client/v4", max_retries=0)


def out(target):
    return {"elementId": target}


def model(id, provider, name, success="end", fallback=None, timeout=30000, retries=0):
    outputs = {"success": out(success)}
    if fallback:
        outputs["fallback"] = out(fallback)
    return {"id": id, "type": "model", "properties": {"provider": provider, "model": name, "timeout": timeout, "retries": retries},
            "outputs": outputs}


END = {"id": "end", "type": "end", "outputs": {}}


def plan_split_route():
    """start -> conditional(metadata.plan == free) -> free: 10% small / 90% mini; paid: big, falling back to mini."""
    return [
        {"id": "start", "type": "start", "outputs": {"next": out("plan")}},
        {"id": "plan", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$eq": "free"}}},
         "outputs": {"true": out("split"), "false": out("big")}},
        {"id": "split", "type": "percentage", "outputs": {"10%": out("small"), "else": out("mini")}},
        model("small", "openai", "gpt-4.1-nano"),
        model("mini", "openai", "gpt-4o-mini"),
        model("big", "anthropic", "claude-3-5-haiku-latest", fallback="mini"),
        END,
    ]


def create_gateway(gateway, gateway_id="routed"):
    client(gateway).ai_gateway.create(
        account_id="local", id=gateway_id, cache_invalidate_on_update=False, cache_ttl=None, collect_logs=True,
        rate_limiting_interval=None, rate_limiting_limit=None)


def post(url, body, headers=None, timeout=60):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "authorization": "Bearer sk-test",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def compat(gateway, gateway_id="routed"):
    return gateway.gateway_url(gateway_id, "compat") + "/chat/completions"


def dynamic(name, **extra):
    return {"model": f"dynamic/{name}", "messages": [{"role": "user", "content": "hi"}], **extra}


def test_routes_with_cloudflares_client_and_traffic_with_openais(gateway):
    create_gateway(gateway)
    dr = client(gateway).ai_gateway.dynamic_routing
    created = dr.create(gateway_id="routed", account_id="local", name="plans", elements=plan_split_route())
    assert created.name == "plans" and created.version.active == "true" and created.deployment.version_id == created.version.version_id
    assert [e.id for e in created.elements] == ["start", "plan", "split", "small", "mini", "big", "end"]
    fetched = dr.get(created.id, gateway_id="routed", account_id="local")
    assert fetched.model_dump() == created.model_dump()
    listed = dr.list(gateway_id="routed", account_id="local")
    assert [route.name for route in listed.data.routes] == ["plans"]

    sdk = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("routed", "compat"), max_retries=0)
    paid = sdk.chat.completions.with_raw_response.create(
        model="dynamic/plans", messages=[{"role": "user", "content": "hi"}],
        extra_headers={"cf-aig-metadata": json.dumps({"plan": "paid"})})
    assert paid.headers["cf-aig-provider"] == "anthropic" and paid.headers["cf-aig-model"] == "claude-3-5-haiku-latest"
    assert paid.parse().choices[0].message.content  # Anthropic's answer, in OpenAI's format
    log = gateway.wait_for_log(paid.headers["cf-aig-log-id"])
    route = json.loads(urllib.request.urlopen(
        f"{gateway.url}/client/v4/accounts/local/ai-gateway/gateways/routed/logs/{paid.headers['cf-aig-log-id']}").read())["result"]["route"]
    assert route == {"name": "plans", "version_id": created.version.version_id, "path": ["start", "plan", "big"]}

    # Streamed through a route too.
    stream = sdk.chat.completions.create(
        model="dynamic/plans", messages=[{"role": "user", "content": "hi"}], stream=True,
        extra_headers={"cf-aig-metadata": json.dumps({"plan": "free"})})
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    # Unknown route: a 404 naming it.
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.chat.completions.create(model="dynamic/nope", messages=[{"role": "user", "content": "hi"}])
    assert "'nope'" in missing.value.response.json()["message"]

    # Renamed (PATCH answers {"route", "success"}), then deleted.
    renamed = dr.update(created.id, gateway_id="routed", account_id="local", name="tiers")
    assert renamed.success and renamed.route.name == "tiers"
    status, _, _ = post(compat(gateway), dynamic("tiers"), {"cf-aig-metadata": json.dumps({"plan": "paid"})})
    assert status == 200
    assert dr.delete(created.id, gateway_id="routed", account_id="local").name == "tiers"
    assert post(compat(gateway), dynamic("tiers"))[0] == 404


def test_a_ten_percent_split_over_ten_thousand_requests(gateway):
    create_gateway(gateway)
    client(gateway).ai_gateway.dynamic_routing.create(
        gateway_id="routed", account_id="local", name="split", elements=plan_split_route())
    url = compat(gateway)
    free = {"cf-aig-metadata": json.dumps({"plan": "free"}), "cf-aig-collect-log": "false"}

    def one(_):
        status, headers, _ = post(url, dynamic("split"), free)
        assert status == 200
        return headers["cf-aig-model"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        models = list(pool.map(one, range(10_000)))
    share = models.count("gpt-4.1-nano") / len(models) * 100
    print(f"\n10% split over 10,000 requests: {share:.2f}% took the 10% branch")
    assert abs(share - 10) <= 1.5
    assert models.count("gpt-4.1-nano") + models.count("gpt-4o-mini") == 10_000


def test_a_keyed_split_sends_the_same_key_the_same_way(gateway):
    create_gateway(gateway)
    elements = plan_split_route()
    elements[2]["properties"] = {"key": "metadata.user"}  # aigw's extension
    client(gateway).ai_gateway.dynamic_routing.create(gateway_id="routed", account_id="local", name="sticky", elements=elements)
    branches = {}
    for user in range(200):
        headers = {"cf-aig-metadata": json.dumps({"plan": "free", "user": f"u{user}"})}
        seen = {post(compat(gateway), dynamic("sticky"), headers)[1]["cf-aig-model"] for _ in range(3)}
        assert len(seen) == 1
        branches[user] = seen.pop()
    assert 5 <= list(branches.values()).count("gpt-4.1-nano") <= 40


def test_fallback_on_a_timeout_before_the_first_byte_and_never_after(gateway, mock_upstream):
    create_gateway(gateway)
    client(gateway).ai_gateway.dynamic_routing.create(
        gateway_id="routed", account_id="local", name="failover",
        elements=[{"id": "start", "type": "start", "outputs": {"next": out("first")}},
                  model("first", "openai", "gpt-4o", fallback="second", timeout=300),
                  model("second", "groq", "llama-3.1-8b-instant"), END])
    # The first call hangs (and times out after 300 ms); the fallback answers.
    key = uuid.uuid4().hex
    status, headers, _ = post(compat(gateway), dynamic("failover"),
                              {"x-mock-fail-first": "1", "x-mock-sequence": key, "x-mock-hang": "true"})
    assert status == 200 and headers["cf-aig-provider"] == "groq" and headers["cf-aig-model"] == "llama-3.1-8b-instant"

    # A stream that breaks after its first chunk has reached the client: no fallback.
    marker = uuid.uuid4().hex
    request = urllib.request.Request(
        compat(gateway), data=json.dumps(dynamic("failover", stream=True)).encode(), method="POST",
        headers={"content-type": "application/json", "x-mock-drop-after": "1", "x-marker": marker})
    with pytest.raises(Exception):
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["cf-aig-provider"] == "openai"
            response.read()
    with urllib.request.urlopen(f"{mock_upstream['url']}/_mock/requests", timeout=30) as response:
        calls = [r for r in json.loads(response.read()) if r.get("headers", {}).get("x-marker") == marker]
    assert len(calls) == 1


def test_deployments_switch_new_requests_while_one_in_flight_finishes_on_its_version(gateway, mock_upstream):
    create_gateway(gateway)
    dr = client(gateway).ai_gateway.dynamic_routing
    v1_elements = [{"id": "start", "type": "start", "outputs": {"next": out("m")}}, model("m", "openai", "gpt-4o-mini"), END]
    route = dr.create(gateway_id="routed", account_id="local", name="live", elements=v1_elements)
    v1 = route.version.version_id
    v2_elements = [{"id": "start", "type": "start", "outputs": {"next": out("m")}}, model("m", "groq", "llama-3.1-8b-instant"), END]
    dr.create_version(route.id, gateway_id="routed", account_id="local", elements=v2_elements)
    versions = dr.list_versions(route.id, gateway_id="routed", account_id="local").data.versions
    assert len(versions) == 2 and [v.active for v in versions] == ["false", "true"]
    v2 = versions[0].version_id
    version = dr.get_version(v2, gateway_id="routed", account_id="local", id=route.id)
    assert version.model_dump()["elements"][1]["properties"]["model"] == "llama-3.1-8b-instant" and version.active == "false"

    # A streamed request on v1 waits at the mock's gate while v2 is deployed.
    gate = uuid.uuid4().hex
    in_flight = {}

    def slow():
        status, headers, body = post(compat(gateway), dynamic("live", stream=True), {"x-mock-gate": gate})
        in_flight.update(status=status, headers=headers, body=body)

    thread = threading.Thread(target=slow)
    thread.start()
    for _ in range(200):
        with urllib.request.urlopen(f"{mock_upstream['url']}/_mock/requests", timeout=30) as response:
            if any(r.get("headers", {}).get("x-mock-gate") == gate for r in json.loads(response.read())):
                break
        threading.Event().wait(0.02)
    dr.create_deployment(route.id, gateway_id="routed", account_id="local", version_id=v2)
    assert post(compat(gateway), dynamic("live"))[1]["cf-aig-provider"] == "groq"
    urllib.request.urlopen(urllib.request.Request(f"{mock_upstream['url']}/_mock/release/{gate}", method="POST"), timeout=30).read()
    thread.join(30)
    assert in_flight["status"] == 200 and in_flight["headers"]["cf-aig-provider"] == "openai" and b"[DONE]" in in_flight["body"]
    log = json.loads(urllib.request.urlopen(
        f"{gateway.url}/client/v4/accounts/local/ai-gateway/gateways/routed/logs/{in_flight['headers']['cf-aig-log-id']}").read())
    assert log["result"]["route"]["version_id"] == v1

    # Rollback: a deployment of the older version.
    dr.create_deployment(route.id, gateway_id="routed", account_id="local", version_id=v1)
    assert post(compat(gateway), dynamic("live"))[1]["cf-aig-provider"] == "openai"
    deployments = dr.list_deployments(route.id, gateway_id="routed", account_id="local").data.deployments
    assert [d.version_id for d in deployments] == [v1, v2, v1]


def test_a_rate_element_sends_the_users_next_request_to_its_fallback(gateway):
    create_gateway(gateway)
    client(gateway).ai_gateway.dynamic_routing.create(
        gateway_id="routed", account_id="local", name="capped",
        elements=[{"id": "start", "type": "start", "outputs": {"next": out("cap")}},
                  {"id": "cap", "type": "rate", "properties": {"key": "metadata.user", "limit": 2, "limitType": "count", "window": 3600},
                   "outputs": {"success": out("best"), "fallback": out("cheap")}},
                  model("best", "openai", "gpt-4o"), model("cheap", "openai", "gpt-4o-mini"), END])

    def ask(user):
        return post(compat(gateway), dynamic("capped"), {"cf-aig-metadata": json.dumps({"user": user})})[1]["cf-aig-model"]

    assert [ask("ada") for _ in range(3)] == ["gpt-4o", "gpt-4o", "gpt-4o-mini"]
    assert ask("bob") == "gpt-4o"


def test_a_route_in_a_universal_step(gateway):
    create_gateway(gateway)
    client(gateway).ai_gateway.dynamic_routing.create(
        gateway_id="routed", account_id="local", name="plans", elements=plan_split_route())
    status, headers, body = post(f"{gateway.url}/v1/local/routed", [
        {"provider": "compat", "endpoint": "chat/completions", "headers": {"cf-aig-metadata": json.dumps({"plan": "paid"})},
         "query": dynamic("plans")}])
    assert status == 200 and headers["cf-aig-step"] == "0"
    assert headers["cf-aig-provider"] in ("anthropic", "openai")


BAD_GRAPHS = [
    ("unknown type", [{"id": "start", "type": "start", "outputs": {"next": out("x")}}, {"id": "x", "type": "teleport", "outputs": {}}],
     "elements[1] ('x').type"),
    ("dangling output", [{"id": "start", "type": "start", "outputs": {"next": out("nowhere")}}, END],
     "elements[0] ('start').outputs.next"),
    ("cycle", [{"id": "start", "type": "start", "outputs": {"next": out("a")}},
               {"id": "a", "type": "conditional", "properties": {"conditions": {"metadata.x": 1}}, "outputs": {"true": out("b"), "false": out("end")}},
               {"id": "b", "type": "conditional", "properties": {"conditions": {"metadata.y": 1}}, "outputs": {"true": out("a"), "false": out("end")}},
               END], "loop"),
    ("over 100%", [{"id": "start", "type": "start", "outputs": {"next": out("p")}},
                   {"id": "p", "type": "percentage", "outputs": {"60%": out("end"), "50%": out("end")}}, END],
     "elements[1] ('p')"),
    ("bad condition", [{"id": "start", "type": "start", "outputs": {"next": out("c")}},
                       {"id": "c", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$like": "f%"}}},
                        "outputs": {"true": out("end"), "false": out("end")}}, END],
     "elements[1] ('c').properties.conditions.metadata.plan.$like"),
    ("no start", [END], "a route needs a start element"),
    ("missing output", [{"id": "start", "type": "start", "outputs": {}}, END], "needs the output 'next'"),
    ("unknown provider", [{"id": "start", "type": "start", "outputs": {"next": out("m")}}, model("m", "nobody", "x"), END],
     "elements[1] ('m').properties.provider"),
]


@pytest.mark.parametrize("name, elements, named", BAD_GRAPHS, ids=[case[0] for case in BAD_GRAPHS])
def test_invalid_graphs_are_refused_naming_the_element(gateway, name, elements, named):
    create_gateway(gateway)
    with pytest.raises(cloudflare.BadRequestError) as refused:
        client(gateway).ai_gateway.dynamic_routing.create(gateway_id="routed", account_id="local", name="bad", elements=elements)
    assert named in str(refused.value)
    assert client(gateway).ai_gateway.dynamic_routing.list(gateway_id="routed", account_id="local").data.routes == []


def test_spend_limits_hold_on_a_routes_model_calls(gateway):
    client(gateway).ai_gateway.create(
        account_id="local", id="routed", cache_invalidate_on_update=False, cache_ttl=None, collect_logs=True,
        rate_limiting_interval=None, rate_limiting_limit=None,
        spend_limits={"rules": [{"id": "openai", "limit": 0.5, "limitType": "cost", "window": 3600,
                                 "provider": {"mode": "filter", "values": ["openai"]}}]})
    client(gateway).ai_gateway.dynamic_routing.create(
        gateway_id="routed", account_id="local", name="budgeted",
        elements=[{"id": "start", "type": "start", "outputs": {"next": out("first")}},
                  model("first", "openai", "gpt-4o-mini", fallback="second"), model("second", "groq", "llama-3.1-8b-instant"), END])
    cost = {"cf-aig-custom-cost": json.dumps({"total_cost": 0.3})}
    first = post(compat(gateway), dynamic("budgeted"), cost)[1]
    assert first["cf-aig-provider"] == "openai" and first["cf-aig-spend-remaining"] == "openai=0.500000"
    assert post(compat(gateway), dynamic("budgeted"), cost)[1]["cf-aig-provider"] == "openai"
    # The openai budget is spent: the route's model call is refused, and its fallback answers.
    assert post(compat(gateway), dynamic("budgeted"), cost)[1]["cf-aig-provider"] == "groq"
