"""Several `aigw serve` processes sharing one PostgreSQL database (a throwaway server that
scripts/postgres starts; under CI it is always there, so these tests never skip there)."""

import concurrent.futures
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import Gateway

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def database():
    """A fresh database of its own on the test server."""
    url = os.environ.get("AIGW_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("AIGW_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests")
        pytest.skip("no PostgreSQL server (eval \"$(bash scripts/postgres start)\")")
    name = "aigw_py_" + uuid.uuid4().hex
    bin_dir = os.environ["AIGW_TEST_POSTGRES_BIN"]
    base, _, _ = url.rpartition("/")
    subprocess.run([f"{bin_dir}/psql", url, "-qc", f"CREATE DATABASE {name}"], check=True)
    return f"{base}/{name}"


@pytest.fixture
def two_gateways(tmp_path, mock_upstream, database):
    started = []
    for index in range(2):
        workdir = tmp_path / f"gateway-{index}"
        workdir.mkdir()
        started.append(Gateway(workdir, mock_upstream["env"], args=["--database", database]))
    yield started
    for gateway in started:
        gateway.stop()


def call(url, method="GET", body=None, headers=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def api(gateway, path):
    return f"{gateway.url}/client/v4/accounts/local/ai-gateway{path}"


def chat(gateway, gateway_id="shared", headers=None):
    return call(gateway.gateway_url(gateway_id, "openai") + "/chat/completions", "POST",
                {"model": "gpt-4o-mini", "messages": []}, headers)


def eventually(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    return check()


def test_logs_written_through_either_are_listed_by_both(two_gateways):
    a, b = two_gateways
    assert chat(a)[0] == 200 and chat(b)[0] == 200
    for gateway in (a, b):
        listed = eventually(lambda: (lambda r: r if r[1]["result_info"]["total_count"] == 2 else None)(
            call(api(gateway, "/gateways/shared/logs"))))
        assert listed and listed[1]["result_info"]["total_count"] == 2


@pytest.mark.parametrize("technique", ["fixed", "sliding"])
def test_a_rate_limit_holds_exactly_across_processes(two_gateways, technique):
    a, b = two_gateways
    status, _ = call(api(a, "/gateways"), "POST", {"id": "limited", "rate_limiting_limit": 10,
                                                   "rate_limiting_interval": 3600, "rate_limiting_technique": technique})
    assert status == 200
    assert eventually(lambda: call(api(b, "/gateways/limited"))[0] == 200)
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda i: chat((a, b)[i % 2], "limited")[0], range(40)))
    assert statuses.count(200) == 10 and statuses.count(429) == 30


def test_a_change_through_one_process_applies_on_the_other(two_gateways):
    # How soon is the sync interval's business (500 ms by default); a loaded machine may be
    # slower than that, so only that the change arrives is asserted.
    a, b = two_gateways
    assert call(api(a, "/gateways"), "POST", {"id": "guarded"})[0] == 200
    assert eventually(lambda: chat(b, "guarded")[0] == 200)
    assert call(api(a, "/gateways/guarded"), "PUT", {"authentication": True})[0] == 200
    assert eventually(lambda: chat(b, "guarded")[0] == 401)
    # A run token made through one process opens the gateway on the other.
    token = call(api(a, "/gateways/guarded/tokens"), "POST", {"name": "shared"})[1]["result"]["token"]
    assert eventually(lambda: chat(b, "guarded", {"cf-aig-authorization": f"Bearer {token}"})[0] == 200)


def test_requests_go_on_while_the_database_is_away_and_logs_follow_when_it_is_back(two_gateways):
    a, _ = two_gateways
    assert chat(a)[0] == 200
    subprocess.run(["bash", f"{ROOT}/scripts/postgres", "stop"], check=True)
    try:
        statuses = [chat(a)[0] for _ in range(20)]
        assert statuses == [200] * 20
        status, ready = call(f"{a.url}/readyz")
        assert status == 503 and ready["database"] == "unreachable" and ready["logs_queued"] >= 1
    finally:
        subprocess.run(["bash", f"{ROOT}/scripts/postgres", "start"], check=True, capture_output=True)
    assert eventually(lambda: call(f"{a.url}/readyz")[0] == 200, timeout=30)
    listed = eventually(lambda: (lambda r: r if r[1]["result_info"]["total_count"] == 21 else None)(
        call(api(a, "/gateways/shared/logs"))), timeout=30)
    assert listed, call(api(a, "/gateways/shared/logs"))[1]["result_info"]


def mock_total(mock_upstream):
    with urllib.request.urlopen(f"{mock_upstream['url']}/_mock/stats", timeout=10) as response:
        return json.loads(response.read())["total"]


def kept_entries(database):
    result = subprocess.run([f"{os.environ['AIGW_TEST_POSTGRES_BIN']}/psql", database, "-tAc", "SELECT COUNT(*) FROM cache_entries"],
                            capture_output=True, text=True, check=True)
    return int(result.stdout.strip() or 0)


def test_the_shared_cache_tier_serves_one_process_what_another_kept(tmp_path, mock_upstream, database):
    gateways = []
    try:
        for index in range(2):
            workdir = tmp_path / f"cached-{index}"
            workdir.mkdir()
            gateways.append(Gateway(workdir, mock_upstream["env"], config={"cache": {"shared": True}}, args=["--database", database]))
        a, b = gateways
        kept_so_far = 0
        for body in ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "shared?"}]},
                     {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "shared stream?"}]}):
            url = lambda g: g.gateway_url("shared-cache", "openai") + "/chat/completions"
            headers = {"content-type": "application/json", "authorization": "Bearer sk-1", "cf-aig-cache-ttl": "300"}
            first = urllib.request.urlopen(urllib.request.Request(url(a), json.dumps(body).encode(), headers), timeout=30)
            first_body, first_status = first.read(), first.headers["cf-aig-cache-status"]
            before = mock_total(mock_upstream)
            # The write to the shared tier happens off the request path: wait for its row.
            kept_so_far += 1
            assert eventually(lambda: kept_entries(database) >= kept_so_far, timeout=5)
            second = urllib.request.urlopen(urllib.request.Request(url(b), json.dumps(body).encode(), headers), timeout=30)
            assert first_status == "MISS" and second.headers["cf-aig-cache-status"] == "HIT"
            assert second.read() == first_body
            assert mock_total(mock_upstream) == before
    finally:
        for gateway in gateways:
            gateway.stop()


def test_a_shared_cache_needs_postgresql(tmp_path):
    from conftest import AIGW
    config = tmp_path / "aigw.json"
    config.write_text(json.dumps({"cache": {"shared": True}}))
    result = subprocess.run([str(AIGW), "serve", "--config", str(config), "--port", "0"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0 and "cache.shared needs a postgres" in result.stderr


def test_every_accepted_log_reaches_postgresql_before_exit(start_gateway, database):
    # A flush interval far longer than the test: only the shutdown drain can write the tail.
    gateway = start_gateway(config={"log_queue": {"flush_interval_ms": 600000, "batch_size": 100000}}, args=["--database", database])
    count = 300
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda i: chat(gateway, "drain")[0], range(count)))
    assert statuses == [200] * count
    assert gateway.stop() == 0
    rows = subprocess.run([f"{os.environ['AIGW_TEST_POSTGRES_BIN']}/psql", database, "-tAc",
                           "SELECT COUNT(*) FROM logs WHERE gateway_id = 'drain'"], capture_output=True, text=True, check=True)
    assert int(rows.stdout.strip()) == count


def test_two_processes_share_one_spend_budget(two_gateways):
    """A budget spent through one process refuses through the other; a burst of 50 at the edge,
    spread over both, overshoots by at most the requests in flight."""
    a, b = two_gateways
    rules = {"spend_limits": {"rules": [{"id": "shared", "limit": 1, "limitType": "cost", "window": 3600}]}}
    assert call(api(a, "/gateways"), "POST", {"id": "spend", **rules})[0] == 200
    cost = {"cf-aig-custom-cost": json.dumps({"total_cost": 0.4})}
    assert eventually(lambda: (call(api(b, "/gateways/spend"))[1].get("result") or {}).get("spend_limits"))
    assert chat(b, "spend", cost)[0] == 200
    assert chat(a, "spend", cost)[0] == 200
    assert chat(b, "spend", cost)[0] == 200  # $1.20 spent now, across both
    assert eventually(lambda: chat(a, "spend", cost)[0] == 429 and chat(b, "spend", cost)[0] == 429)

    edge = {"spend_limits": {"rules": [{"id": "edge", "limit": 1, "limitType": "cost", "window": 3600}]}}
    assert call(api(a, "/gateways"), "POST", {"id": "edge", **edge})[0] == 200
    tenth = {"cf-aig-custom-cost": json.dumps({"total_cost": 0.1})}
    assert eventually(lambda: (call(api(b, "/gateways/edge"))[1].get("result") or {}).get("spend_limits"))
    assert chat(b, "edge", tenth)[0] == 200
    for _ in range(8):
        assert chat(a, "edge", tenth)[0] == 200
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda i: chat((a, b)[i % 2], "edge", tenth)[0], range(50)))
    served = statuses.count(200)
    assert served >= 1 and served + statuses.count(429) == 50
    print(f"\nspend burst, two processes on PostgreSQL: {served} of 50 served; "
          f"spent ${0.9 + served * 0.1:.2f} of $1 (overshoot ${served * 0.1 - 0.1:.2f}, bound $4.90)")
    assert eventually(lambda: chat(a, "edge", tenth)[0] == 429 and chat(b, "edge", tenth)[0] == 429)


def test_a_custom_provider_made_through_one_process_is_served_by_the_other(two_gateways, mock_upstream):
    a, b = two_gateways
    status, created = call(api(a, "/custom-providers"), "POST",
                           {"name": "Shared", "slug": "shared", "base_url": mock_upstream["url"] + "/v1"})
    assert status == 200 and created["result"]["slug"] == "shared"
    url = b.gateway_url("shared", "custom-shared") + "/chat/completions"
    assert eventually(lambda: call(url, "POST", {"model": "m", "messages": []})[0] == 200)
    assert call(api(b, f"/custom-providers/{created['result']['id']}"), "DELETE")[0] == 200
    assert eventually(lambda: call(a.gateway_url("shared", "custom-shared") + "/chat/completions", "POST",
                                   {"model": "m", "messages": []})[0] == 400)


def test_a_route_deployed_through_one_process_is_live_in_the_other(two_gateways):
    a, b = two_gateways
    assert call(api(a, "/gateways"), "POST", {"id": "routed"})[0] == 200

    def graph(provider, model):
        return [{"id": "start", "type": "start", "outputs": {"next": {"elementId": "m"}}},
                {"id": "m", "type": "model", "properties": {"provider": provider, "model": model, "timeout": 10000, "retries": 0},
                 "outputs": {"success": {"elementId": "end"}}},
                {"id": "end", "type": "end", "outputs": {}}]

    status, created = call(api(a, "/gateways/routed/routes"), "POST", {"name": "live", "elements": graph("openai", "gpt-4o-mini")})
    assert status == 200
    route = created["result"]["id"]

    def provider_via(gateway):
        request = urllib.request.Request(
            gateway.gateway_url("routed", "compat") + "/chat/completions", method="POST",
            data=json.dumps({"model": "dynamic/live", "messages": []}).encode(), headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.headers.get("cf-aig-provider")
        except urllib.error.HTTPError:
            return None

    assert eventually(lambda: provider_via(b) == "openai")
    status, version = call(api(a, f"/gateways/routed/routes/{route}/versions"), "POST", {"elements": graph("groq", "llama-3.1-8b-instant")})
    assert call(api(a, f"/gateways/routed/routes/{route}/deployments"), "POST",
                {"version_id": version["result"]["version"]["version_id"]})[0] == 200
    assert provider_via(a) == "groq"
    assert eventually(lambda: provider_via(b) == "groq")


def test_logpush_from_two_processes_exports_every_log_once(tmp_path, mock_upstream, database):
    """Two processes with the same destination: one holds the export lease at a time, and the
    files hold every log stored through either process, each once, in the order stored."""
    from test_logpush import PUBLIC_PEM, lines

    export = tmp_path / "export"
    config = tmp_path / "logpush.json"
    config.write_text(json.dumps({"logpush": {"directory": str(export), "interval_ms": 50, "batch_size": 7}}))
    gateways = []
    for index in range(2):
        workdir = tmp_path / f"gateway-{index}"
        workdir.mkdir()
        gateways.append(Gateway(workdir, mock_upstream["env"], args=["--database", database, "--config", str(config)]))
    try:
        status, _ = call(api(gateways[0], "/gateways"), "POST", {"id": "pushed", "logpush": True, "logpush_public_key": PUBLIC_PEM})
        assert status == 200
        # The other process learns of the gateway within its sync interval.
        deadline = time.monotonic() + 10
        while ((call(api(gateways[1], "/gateways/pushed"))[1] or {}).get("result") or {}).get("logpush") is not True:
            assert time.monotonic() < deadline, "the second process never saw the gateway's settings"
            time.sleep(0.05)
        ids = []
        for n in range(30):
            request = urllib.request.Request(
                gateways[n % 2].gateway_url("pushed", "openai") + "/chat/completions", method="POST",
                data=json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"n{n}"}]}).encode(),
                headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                ids.append(response.headers["cf-aig-log-id"])
    finally:
        for gateway in gateways:
            assert gateway.stop() == 0
    exported = [line["ID"] for line in lines(export.glob("aigw-logs-*.ndjson.gz"))]
    assert sorted(exported) == sorted(ids) and len(set(exported)) == len(exported)
