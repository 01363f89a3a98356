"""The command line over the management API (`aigw logs|gateways|url`) and the seed example
executable, each run as a user would run them against a freshly started `aigw serve`."""

import json
import re
import os
import subprocess
import time
import urllib.request

from conftest import AIGW

SEED_EXAMPLE = AIGW.parent / "seed-example"


def aigw(gateway, *args, check=True, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(AIGW), *args, "--url", gateway.url], capture_output=True, text=True, check=check, timeout=60,
        env=env or dict(os.environ),
    )


def test_seed_example_walks_through_every_step(gateway):
    result = subprocess.run(
        [str(SEED_EXAMPLE), gateway.url], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    log_id = next(line.split()[-1] for line in lines if line.startswith("2. aiGatewayLogId:"))
    assert len(log_id) == 26
    assert any("4. getLog: provider workers-ai" in line and "feedback 1, score 100" in line for line in lines)
    assert f"   getUrl(.openai): {gateway.url}/v1/local/seed-example/openai" in lines
    assert f"   getUrl(.anthropic): {gateway.url}/v1/local/seed-example/anthropic" in lines
    assert "6. Universal run: HTTP 200 from step 1" in lines
    # The log carries what the example attached; the failed first Universal step is logged too.
    rows = gateway.rows("SELECT feedback, score, metadata FROM logs WHERE id = ?", (log_id,))
    assert rows[0][0] == 1 and rows[0][1] == 100 and json.loads(rows[0][2])["rating"] == "great"
    query = "SELECT step, status_code FROM logs WHERE gateway_id = 'seed-example' AND provider IN ('openai', 'anthropic') ORDER BY step"
    deadline = time.monotonic() + 10
    while len(gateway.rows(query)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert gateway.rows(query) == [(0, 500), (1, 200)]


def test_gateways_commands(gateway):
    created = aigw(gateway, "gateways", "create", "cli-gw", "--set", "cache_ttl=60", "--set", "rate_limiting_technique=sliding")
    assert "created gateway cli-gw" in created.stdout
    listed = json.loads(aigw(gateway, "gateways", "list", "--json").stdout)
    assert [g["id"] for g in listed] == ["cli-gw"] and listed[0]["cache_ttl"] == 60
    table = aigw(gateway, "gateways", "list").stdout
    assert table.splitlines()[0].split()[:2] == ["ID", "LOGS"] and "cli-gw" in table
    updated = json.loads(aigw(gateway, "gateways", "update", "cli-gw", "--set", "cache_ttl=null", "--json").stdout)
    assert "cache_ttl" not in updated or updated["cache_ttl"] is None
    refused = aigw(gateway, "gateways", "update", "cli-gw", "--set", "retry_max_attempts=9", check=False)
    assert refused.returncode == 1 and "retry_max_attempts" in refused.stderr
    assert "deleted gateway cli-gw" in aigw(gateway, "gateways", "delete", "cli-gw").stdout
    missing = aigw(gateway, "gateways", "delete", "cli-gw", check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_logs_commands_and_url(gateway):
    for status in ("200", "200", "500"):
        subprocess.run(
            ["curl", "-s", "-o", "/dev/null", gateway.gateway_url("cli-logs", "openai") + "/chat/completions",
             "-H", "content-type: application/json", "-H", f"x-mock-status: {status}",
             "-d", '{"model":"gpt-4o-mini","messages":[]}'],
            check=True, timeout=30,
        )
    logs = json.loads(aigw(gateway, "logs", "list", "-g", "cli-logs", "--json").stdout)
    assert len(logs) == 3
    failed = json.loads(aigw(gateway, "logs", "list", "-g", "cli-logs", "--filter", "success:eq:false", "--json").stdout)
    assert [log["status_code"] for log in failed] == [500]
    table = aigw(gateway, "logs", "list", "-g", "cli-logs").stdout
    assert "gpt-4o-mini" in table and "3 of 3 logs" in table

    log_id = logs[0]["id"]
    patched = json.loads(aigw(gateway, "logs", "patch", log_id, "-g", "cli-logs", "--feedback", "-1", "--score", "12", "--json").stdout)
    assert patched["feedback"] == -1 and patched["score"] == 12
    shown = aigw(gateway, "logs", "get", log_id, "-g", "cli-logs").stdout
    assert any(line.startswith("score") and line.split()[-1] == "12" for line in shown.splitlines())
    bad = aigw(gateway, "logs", "patch", log_id, "-g", "cli-logs", "--score", "101", check=False)
    assert bad.returncode == 1 and "score" in bad.stderr

    assert "deleted 1 logs" in aigw(gateway, "logs", "delete", "-g", "cli-logs", "--filter", "status_code:eq:500").stdout
    assert len(json.loads(aigw(gateway, "logs", "list", "-g", "cli-logs", "--json").stdout)) == 2

    assert aigw(gateway, "url", "openai", "-g", "cli-logs").stdout.strip() == f"{gateway.url}/v1/local/cli-logs/openai"
    assert aigw(gateway, "url", "-g", "cli-logs").stdout.strip() == f"{gateway.url}/v1/local/cli-logs/"


def test_admin_token_comes_from_the_environment(start_gateway):
    gateway = start_gateway(config={"admin_token": "adm-cli"})
    denied = aigw(gateway, "gateways", "list", check=False, env={**os.environ, "AIGW_ADMIN_TOKEN": ""})
    assert denied.returncode == 1 and "unauthorized" in denied.stderr
    allowed = aigw(gateway, "gateways", "list", "--json", env={**os.environ, "AIGW_ADMIN_TOKEN": "adm-cli"})
    assert json.loads(allowed.stdout) == []


def test_spend_and_log_management_commands(gateway):
    aigw(gateway, "gateways", "create", "cli-budget")
    aigw(gateway, "spend", "add-rule", "cli-budget", "--id", "daily", "--limit", "0.5", "--window", "86400",
         "--partition", "user", "--filter", "team=a,b")
    url = gateway.gateway_url("cli-budget", "openai") + "/chat/completions"
    headers = {"content-type": "application/json", "cf-aig-custom-cost": json.dumps({"total_cost": 0.3}),
               "cf-aig-metadata": json.dumps({"user": "ada", "team": "a"})}
    for _ in range(2):
        request = urllib.request.Request(url, data=b'{"model":"gpt-4o-mini","messages":[]}', headers=headers, method="POST")
        urllib.request.urlopen(request, timeout=30).read()
    standings = json.loads(aigw(gateway, "spend", "show", "cli-budget", "--json").stdout)
    assert len(standings) == 1 and standings[0]["rule_id"] == "daily" and standings[0]["partition"] == "user=ada"
    assert abs(standings[0]["spent"] - 0.6) < 1e-9 and standings[0]["remaining"] == 0 and standings[0]["retry_after"] >= 1
    table = aigw(gateway, "spend", "show", "cli-budget").stdout
    assert "daily" in table and "user=ada" in table and "$0.600000" in table

    aigw(gateway, "spend", "remove-rule", "cli-budget", "daily")
    assert "no spend rules" in aigw(gateway, "spend", "show", "cli-budget").stdout
    missing = aigw(gateway, "spend", "remove-rule", "cli-budget", "daily", check=False)
    assert missing.returncode != 0 and "no spend rule 'daily'" in missing.stderr

    shown = aigw(gateway, "log-management", "cli-budget", "--keep", "100", "--strategy", "stop_inserting",
                 "--retention-days", "30").stdout
    assert "2 logs stored" in shown and "at most 100 logs, STOP_INSERTING" in shown and "30 days" in shown
    as_json = json.loads(aigw(gateway, "log-management", "cli-budget", "--keep", "none", "--json").stdout)
    assert as_json["log_management"] is None and as_json["log_retention_days"] == 30
    bad = aigw(gateway, "log-management", "cli-budget", "--strategy", "KEEP_ALL", check=False)
    assert bad.returncode != 0 and "log_management_strategy" in bad.stderr


def test_routes_commands(gateway):
    aigw(gateway, "gateways", "create", "cli-routes")
    base = f"{gateway.url}/client/v4/accounts/local/ai-gateway/gateways/cli-routes/routes"

    def send(url, body):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"})
        return json.loads(urllib.request.urlopen(request, timeout=30).read())["result"]

    def graph(provider, model):
        return [{"id": "start", "type": "start", "outputs": {"next": {"elementId": "m"}}},
                {"id": "m", "type": "model", "properties": {"provider": provider, "model": model, "timeout": 10000, "retries": 0},
                 "outputs": {"success": {"elementId": "end"}}},
                {"id": "end", "type": "end", "outputs": {}}]

    route = send(base, {"name": "chat", "elements": graph("openai", "gpt-4o-mini")})
    v1 = route["version"]["version_id"]
    v2 = send(f"{base}/{route['id']}/versions", {"elements": graph("groq", "llama-3.1-8b-instant")})["version"]["version_id"]
    listed = aigw(gateway, "routes", "list", "-g", "cli-routes").stdout
    assert "chat" in listed and v1 in listed
    aigw(gateway, "routes", "deploy", "chat", v2, "-g", "cli-routes")
    shown = aigw(gateway, "routes", "show", "chat", "-g", "cli-routes").stdout
    assert "llama-3.1-8b-instant" in shown and "m [model]" in shown and "success → end" in shown and v1 in shown
    assert json.loads(aigw(gateway, "routes", "list", "-g", "cli-routes", "--json").stdout)[0]["deployment"]["version_id"] == v2
    rolled = aigw(gateway, "routes", "rollback", "chat", "-g", "cli-routes").stdout
    assert f"from version {v2} to {v1}" in rolled
    assert json.loads(aigw(gateway, "routes", "list", "-g", "cli-routes", "--json").stdout)[0]["deployment"]["version_id"] == v1
    missing = aigw(gateway, "routes", "show", "nope", "-g", "cli-routes", check=False)
    assert missing.returncode != 0 and "'nope'" in missing.stderr


def test_start_failures_say_what_to_do_in_one_line_and_crash_nothing(gateway, tmp_path):
    def start(*args):
        return subprocess.run([str(AIGW), "serve", *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)

    busy = start("--port", str(gateway.port), "--database", f"sqlite:{tmp_path}/busy.sqlite")
    assert busy.returncode == 1, busy.stderr
    assert f"port {gateway.port} on 127.0.0.1 is in use" in busy.stderr and "--port" in busy.stderr
    assert "Fatal" not in busy.stderr and "Backtrac" not in busy.stderr and len(busy.stderr.strip().splitlines()) == 1

    unopenable = start("--port", "0", "--database", "/nonexistent/dir/aigw.sqlite")
    assert unopenable.returncode != 0 and "cannot be opened" in unopenable.stderr and "Fatal" not in unopenable.stderr

    config = tmp_path / "bad.json"
    config.write_text('{"listen": {"port": "eighty"}}')
    bad = start("--config", str(config))
    assert bad.returncode != 0 and "listen.port" in bad.stderr and "Fatal" not in bad.stderr

    unreachable = start("--port", "0", "--database", "postgres://aigw@127.0.0.1:1/none")
    assert unreachable.returncode != 0 and "Fatal" not in unreachable.stderr and "Backtrac" not in unreachable.stderr


def test_cli_asks_before_deleting_every_log_and_says_which_gateway_to_pass(gateway):
    aigw(gateway, "gateways", "create", "confirm")
    request = urllib.request.Request(gateway.gateway_url("confirm", "openai") + "/chat/completions",
                                     data=b'{"model":"gpt-4o-mini","messages":[]}', headers={"content-type": "application/json"})
    log_id = urllib.request.urlopen(request, timeout=30).headers["cf-aig-log-id"]
    gateway.wait_for_log(log_id)
    refused = aigw(gateway, "logs", "delete", "-g", "confirm", check=False)
    assert refused.returncode != 0 and "--all" in refused.stderr
    assert len(json.loads(aigw(gateway, "logs", "list", "-g", "confirm", "--json").stdout)) == 1
    assert "deleted 1 logs" in aigw(gateway, "logs", "delete", "-g", "confirm", "--all").stdout

    no_gateway = aigw(gateway, "logs", "list", check=False)
    assert no_gateway.returncode != 0 and "pass -g GATEWAY" in no_gateway.stderr and "confirm" in no_gateway.stderr
    version = subprocess.run([str(AIGW), "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("aigw ")


def test_cli_costs_stats_keys_and_token_note(start_gateway):
    gateway = start_gateway(config={"master_key": "cli test master key, 32+ characters"})
    aigw(gateway, "gateways", "create", "costed")
    request = urllib.request.Request(gateway.gateway_url("costed", "openai") + "/chat/completions",
                                     data=b'{"model":"gpt-4o-mini","messages":[]}', headers={"content-type": "application/json"})
    log_id = urllib.request.urlopen(request, timeout=30).headers["cf-aig-log-id"]
    gateway.wait_for_log(log_id)

    listed = aigw(gateway, "logs", "list", "-g", "costed").stdout
    assert "COST" in listed and "CACHED" in listed and "e-0" not in listed
    assert re.search(r"\$0\.0000\d+", listed) and "this page:" in listed
    stats = aigw(gateway, "logs", "stats", "-g", "costed", "--since", "1h").stdout
    assert re.search(r"openai\s+1\s+0\s+0\s+\d+\s+\d+\s+\$0\.0000\d+", stats), stats
    assert re.search(r"gpt-4o-mini\s+1\s", stats), stats
    bad = aigw(gateway, "logs", "stats", "--since", "soon", check=False)
    assert bad.returncode != 0 and "--since" in bad.stderr

    # Stored keys: the secret from standard input, never printed back.
    added = subprocess.run([str(AIGW), "keys", "add", "-g", "costed", "--provider", "openai", "--url", gateway.url],
                           input="sk-cli-secret-42\n", capture_output=True, text=True, timeout=60, check=True)
    key_id = added.stdout.split()[3]
    listed = aigw(gateway, "keys", "list", "-g", "costed").stdout
    assert key_id in listed and "openai" in listed and "sk-cli-secret-42" not in listed
    conflict = subprocess.run([str(AIGW), "keys", "add", "-g", "costed", "--provider", "openai", "--url", gateway.url],
                              input="sk-other\n", capture_output=True, text=True, timeout=60)
    assert conflict.returncode != 0 and "conflict" in conflict.stderr and "bad request" not in conflict.stderr
    assert "removed" in aigw(gateway, "keys", "remove", "-g", "costed", key_id).stdout
    assert key_id not in aigw(gateway, "keys", "list", "-g", "costed").stdout

    # A token for a gateway that does not ask for one says so.
    made = aigw(gateway, "tokens", "create", "-g", "costed", "--name", "ci")
    assert "does not require authentication" in made.stderr and "--set authentication=true" in made.stderr


def test_a_reader_that_goes_away_ends_the_command_quietly(gateway):
    """`aigw logs stats | head -1`: once the reader has gone, writing fails (a broken pipe);
    the command ends there, without a crash or a backtrace."""
    process = subprocess.Popen([str(AIGW), "logs", "stats", "--url", gateway.url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert "Fatal error" not in stderr and "crashed" not in stderr
