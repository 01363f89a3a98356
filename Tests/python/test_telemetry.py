"""OpenTelemetry export (SPEC section 11): gateways with `otel` exporters, set through
Cloudflare's own client, send each request as spans over OTLP/HTTP (JSON and protobuf) to a
real receiver here, in the caller's trace, with the GenAI attributes; the provider sees
`traceparent`; credentials never show; a collector that is down or hangs costs requests
nothing and its backlog stays within its bound."""

import json
import time
import urllib.request

import pytest
from openai import OpenAI

from otlp_receiver import OTLPReceiver
from test_access import mock_requests
from test_cloudflare_client import client as cloudflare

MASTER_KEY = "python-test master key, 32+ chars long"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


def metric(running, name: str, **labels) -> float:
    with urllib.request.urlopen(f"{running.url}/metrics", timeout=10) as response:
        text = response.read().decode()
    values = [
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items())
    ]
    return sum(values) if values else None


def create_gateway(gateway, gateway_id: str, **settings):
    """Creates a gateway through Cloudflare's client, with the fields its create call requires."""
    required = dict(cache_invalidate_on_update=False, cache_ttl=0, collect_logs=True, rate_limiting_interval=0,
                    rate_limiting_limit=0)
    return cloudflare(gateway).ai_gateway.create(account_id="local", id=gateway_id, **(required | settings))


@pytest.fixture
def receivers():
    made = []

    def make(**options):
        receiver = OTLPReceiver(**options)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def test_spans_reach_json_and_protobuf_exporters_in_the_callers_trace(start_gateway, mock_upstream, receivers):
    json_receiver, proto_receiver = receivers(), receivers()
    gateway = start_gateway(config={"master_key": MASTER_KEY, "span_export": {"interval_ms": 100}})
    cf = cloudflare(gateway)
    cf.ai_gateway.create(
        account_id="local", id="traced", cache_invalidate_on_update=False, cache_ttl=0, collect_logs=True,
        rate_limiting_interval=0, rate_limiting_limit=0,
        otel=[
            {"url": json_receiver.url, "headers": {"x-team": "team-secret-1"}, "authorization": "Bearer otel-secret-2",
             "content_type": "json"},
            {"url": proto_receiver.url, "headers": {}, "content_type": "protobuf"},
        ],
    )
    shown = cf.ai_gateway.get("traced", account_id="local")
    assert shown.otel[0].authorization == "[redacted]" and shown.otel[0].headers == {"x-team": "[redacted]"}
    assert shown.otel[1].content_type == "protobuf"
    assert "secret" not in shown.model_dump_json()
    assert not gateway.rows("SELECT id FROM gateways WHERE settings LIKE ?", ("%otel-secret-2%",))
    assert not gateway.rows("SELECT id FROM gateways WHERE settings LIKE ?", ("%team-secret-1%",))

    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("traced", "openai"), max_retries=0)
    answer = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "trace me"}],
        extra_headers={
            "cf-aig-metadata": json.dumps({"user": "u-7", "tier": 3, "beta": True}),
            "cf-aig-otel-trace-id": TRACE_ID, "cf-aig-otel-parent-span-id": PARENT_SPAN_ID,
        },
    )
    log_id = answer.headers["cf-aig-log-id"]
    completion = answer.parse()

    for receiver in (json_receiver, proto_receiver):
        spans = receiver.wait_for_spans(lambda spans: len(spans) >= 2)
        assert {s["trace_id"] for s in spans} == {TRACE_ID}
        [request] = [s for s in spans if s["parent_span_id"] == PARENT_SPAN_ID]
        [attempt] = [s for s in spans if s["parent_span_id"] == request["span_id"]]
        assert request["kind"] == 2 and attempt["kind"] == 3  # SERVER, CLIENT
        assert request["start"] <= attempt["start"] <= attempt["end"] <= request["end"]
        assert request["resource"]["service.name"] == "aigw" and request["resource"]["cf.aig.gateway_id"] == "traced"
        for span in (request, attempt):
            attributes = span["attributes"]
            assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
            assert attributes["gen_ai.model.provider"] == "openai"
            assert attributes["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
            assert attributes["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
            assert attributes["gen_ai.usage.cost"] > 0
            assert "trace me" in json.loads(attributes["gen_ai.prompt_json"])["messages"][0]["content"]
            assert json.loads(attributes["gen_ai.completion_json"])["choices"][0]["message"]["content"] == completion.choices[0].message.content
            assert attributes["user"] == "u-7" and attributes["tier"] == 3 and attributes["beta"] is True
            assert span["status"] == 1  # OK
        assert attempt["attributes"]["cf.aig.log_id"] == log_id

    # The collector's credentials went with the JSON exporter only; the provider saw the trace.
    _, headers, _ = json_receiver.exports[0]
    assert headers["authorization"] == "Bearer otel-secret-2" and headers["x-team"] == "team-secret-1"
    assert headers["content-type"] == "application/json"
    _, headers, _ = proto_receiver.exports[0]
    assert "authorization" not in headers and headers["content-type"] == "application/x-protobuf"
    attempt = next(s for s in proto_receiver.spans() if s["parent_span_id"] not in (None, PARENT_SPAN_ID))
    sent = [r for r in mock_requests(mock_upstream) if TRACE_ID in r["headers"].get("traceparent", "")]
    assert [r["headers"]["traceparent"] for r in sent] == [f"00-{TRACE_ID}-{attempt['span_id']}-01"]

    # An update that echoes the redacted values keeps the secrets.
    cf.ai_gateway.update(
        "traced", account_id="local", cache_invalidate_on_update=False, cache_ttl=0, collect_logs=True,
        rate_limiting_interval=0, rate_limiting_limit=0,
        otel=[{"url": json_receiver.url, "headers": {"x-team": "[redacted]"}, "authorization": "[redacted]"}],
    )
    before = len(json_receiver.exports)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "again"}])
    json_receiver.wait_for_spans(lambda spans: len(json_receiver.exports) > before)
    _, headers, _ = json_receiver.exports[-1]
    assert headers["authorization"] == "Bearer otel-secret-2" and headers["x-team"] == "team-secret-1"


def test_traceparent_retries_payload_opt_out_and_guard_checks(start_gateway, mock_upstream, receivers):
    receiver = receivers()
    gateway = start_gateway(config={"span_export": {"interval_ms": 100}})
    create_gateway(gateway, "retried", otel=[{"url": receiver.url, "headers": {}}],
                   dlp={"enabled": True, "action": "FLAG", "profiles": ["email"]})
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("retried", "openai"), max_retries=0)
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "write to a@example.com"}],
        extra_headers={
            "traceparent": f"00-{trace_id}-b7ad6b7169203331-01", "cf-aig-max-attempts": "3", "cf-aig-retry-delay": "0",
            "x-mock-fail-first": "2", "x-mock-sequence": f"otel-{time.monotonic()}", "cf-aig-collect-log-payload": "false",
        },
    )
    spans = receiver.wait_for_spans(lambda spans: len(spans) >= 5)
    assert {s["trace_id"] for s in spans} == {trace_id}
    [request] = [s for s in spans if s["parent_span_id"] == "b7ad6b7169203331"]
    children = [s for s in spans if s["parent_span_id"] == request["span_id"]]
    attempts = sorted((s for s in children if s["kind"] == 3), key=lambda s: s["start"])
    assert [a["attributes"]["http.response.status_code"] for a in attempts] == [503, 503, 200]
    assert [a["status"] for a in attempts] == [2, 2, 1]
    [check] = [s for s in children if s["name"] == "dlp request"]
    assert check["attributes"]["cf.aig.dlp.action"] == "FLAG"
    # Payloads not collected: no prompt or completion on any span.
    assert not any("gen_ai.prompt_json" in s["attributes"] or "gen_ai.completion_json" in s["attributes"] for s in spans)
    # Each attempt went upstream under its own span.
    sent = [r["headers"]["traceparent"] for r in mock_requests(mock_upstream) if trace_id in r["headers"].get("traceparent", "")]
    assert sent == [f"00-{trace_id}-{a['span_id']}-01" for a in attempts]


def test_bad_exporters_and_trace_headers_are_named(start_gateway):
    gateway = start_gateway()
    cf = cloudflare(gateway)
    base = dict(account_id="local", cache_invalidate_on_update=False, cache_ttl=0, collect_logs=True,
                rate_limiting_interval=0, rate_limiting_limit=0)
    cases = [
        ([{"url": "ftp://collector/v1/traces", "headers": {}}], "otel[0].url"),
        ([{"url": "http://collector:4318/v1/traces", "headers": {}, "content_type": "xml"}], "otel[0].content_type"),
        ([{"url": "http://collector:4318/v1/traces", "headers": {"bad name": "x"}}], "otel[0].headers.bad name"),
        ([{"url": "http://collector:4318/v1/traces", "headers": {"x-key": "secret"}}], "master key"),
        ([{"url": "http://c:4318/v1/traces", "headers": {}}] * 6, "at most 5"),
    ]
    for otel, named in cases:
        with pytest.raises(Exception) as refused:
            cf.ai_gateway.create(id="bad-otel", otel=otel, **base)
        assert named in str(refused.value)
    with pytest.raises(Exception) as refused:
        cf.ai_gateway.create(id="bad-logpush", logpush=True, logpush_public_key="not a key at all, really", **base)
    assert "logpush_public_key" in str(refused.value)

    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("default", "openai"), max_retries=0)
    with pytest.raises(Exception) as refused:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
            extra_headers={"cf-aig-otel-trace-id": "not-hex"})
    assert "cf-aig-otel-trace-id" in refused.value.response.text


@pytest.mark.parametrize("collector", ["down", "hanging", "refusing"])
def test_a_collector_that_fails_costs_requests_nothing_and_its_backlog_is_bounded(start_gateway, receivers, collector):
    if collector == "down":
        url = "http://127.0.0.1:9/v1/traces"  # the discard port: nothing listens
    else:
        url = receivers(hang=collector == "hanging", status=400 if collector == "refusing" else 200).url
    gateway = start_gateway(config={"span_export": {"queue_capacity": 10, "batch_size": 5, "interval_ms": 50, "timeout_ms": 500}})
    create_gateway(gateway, "lost", otel=[{"url": url, "headers": {}}])
    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("lost", "openai"), max_retries=0)
    for _ in range(30):
        assert client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]).choices
    reason = "refused" if collector == "refusing" else "queue_full"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (
        metric(gateway, "aigw_otel_spans_dropped_total", gateway="lost", reason=reason)
        and metric(gateway, "aigw_otel_spans_queued", gateway="lost") is not None
    ):
        time.sleep(0.1)
    assert metric(gateway, "aigw_otel_spans_dropped_total", gateway="lost", reason=reason) > 0
    if collector != "refusing":  # the backlog: retried batches and new spans, never past the bound
        assert 0 < metric(gateway, "aigw_otel_spans_queued", gateway="lost") <= 10
    assert not metric(gateway, "aigw_otel_spans_exported_total", gateway="lost")


def test_the_process_traces_itself_when_configured(start_gateway, mock_upstream, receivers):
    receiver = receivers()
    gateway = start_gateway(config={"tracing": {"otlp_endpoint": receiver.url, "service_name": "aigw-under-test"}})
    caller_trace, caller_span = "5bf92f3577b34da6a3ce929d0e0e4736", "10f067aa0ba902b7"
    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("default", "openai"), max_retries=0)
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
        extra_headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"})
    names = {"aigw.request", "aigw.upstream", "aigw.cache", "aigw.spend", "aigw.store.insert_logs"}
    spans = receiver.wait_for_spans(lambda spans: names <= {s["name"] for s in spans})
    by_name = {s["name"]: s for s in spans if s["trace_id"] == caller_trace or s["name"] == "aigw.store.insert_logs"}
    request = by_name["aigw.request"]
    assert request["parent_span_id"] == caller_span and request["kind"] == 2
    assert request["resource"]["service.name"] == "aigw-under-test"
    assert request["attributes"]["http.response.status_code"] == 200
    assert by_name["aigw.upstream"]["parent_span_id"] == request["span_id"]
    assert by_name["aigw.store.insert_logs"]["attributes"]["aigw.logs"] >= 1
    # The provider saw the process's upstream span as its parent.
    assert by_name["aigw.upstream"]["kind"] == 3
    sent = [r["headers"]["traceparent"] for r in mock_requests(mock_upstream) if caller_trace in r["headers"].get("traceparent", "")]
    assert sent == [f"00-{caller_trace}-{by_name['aigw.upstream']['span_id']}-01"]


def test_a_cache_hit_and_a_universal_fallback_are_children_of_their_request(start_gateway, receivers):
    receiver = receivers()
    gateway = start_gateway(config={"span_export": {"interval_ms": 100}})
    create_gateway(gateway, "cached", cache_ttl=60, otel=[{"url": receiver.url, "headers": {}}])
    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("cached", "openai"), max_retries=0)
    for _ in range(2):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "same question"}])
    spans = receiver.wait_for_spans(lambda spans: any(s["name"] == "cache hit" for s in spans))
    [hit] = [s for s in spans if s["name"] == "cache hit"]
    [request] = [s for s in spans if s["span_id"] == hit["parent_span_id"]]
    assert request["kind"] == 2 and hit["attributes"]["cf.aig.cached"] is True

    # Universal: the first step fails, the second answers; both are children of one request span.
    steps = [
        {"provider": "openai", "endpoint": "chat/completions", "headers": {"authorization": "Bearer sk-test", "x-mock-status": "500"},
         "query": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "step"}]}},
        {"provider": "openai", "endpoint": "chat/completions", "headers": {"authorization": "Bearer sk-test"},
         "query": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "step"}]}},
    ]
    request = urllib.request.Request(f"{gateway.url}/v1/local/cached", data=json.dumps(steps).encode(), method="POST",
                                     headers={"content-type": "application/json", "cf-aig-skip-cache": "true"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["cf-aig-step"] == "1"
    spans = receiver.wait_for_spans(lambda spans: sum("cf.aig.step" in s["attributes"] and s["kind"] == 3 for s in spans) >= 2)
    stepped = [s for s in spans if s["kind"] == 3 and s["attributes"].get("cf.aig.step") in (0, 1) and s["attributes"].get("http.response.status_code") in (500, 200)
               and "step" in s["attributes"].get("gen_ai.prompt_json", "")]
    assert {s["attributes"]["cf.aig.step"] for s in stepped} == {0, 1}
    assert len({s["parent_span_id"] for s in stepped}) == 1


def test_a_request_whose_log_is_not_collected_still_makes_its_spans(start_gateway, receivers):
    receiver = receivers()
    gateway = start_gateway(config={"span_export": {"interval_ms": 100}})
    create_gateway(gateway, "unlogged", collect_logs=False, otel=[{"url": receiver.url, "headers": {}}])
    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("unlogged", "openai"), max_retries=0)
    answer = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert "cf-aig-log-id" not in answer.headers
    spans = receiver.wait_for_spans(lambda spans: len(spans) >= 2)
    [request] = [s for s in spans if s["kind"] == 2]
    [attempt] = [s for s in spans if s["parent_span_id"] == request["span_id"]]
    assert attempt["attributes"]["gen_ai.usage.input_tokens"] == answer.parse().usage.prompt_tokens
    assert request["attributes"]["gen_ai.request.model"] == "gpt-4o-mini"
    assert "cf.aig.log_id" not in attempt["attributes"]
    assert gateway.rows("SELECT COUNT(*) FROM logs WHERE gateway_id = 'unlogged'") == [(0,)]
