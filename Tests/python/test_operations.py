"""What an operator sees of a running gateway: the start-up banner, one access-log line per
request at AIGW_LOG_LEVEL=info (never a secret), token and cost counters on /metrics, and a
shutdown line."""

import json
import re
import urllib.request

from openai import OpenAI

from conftest import Gateway


def test_banner_access_log_metrics_and_shutdown_line(tmp_path, mock_upstream):
    env = mock_upstream["env"] | {"AIGW_LOG_LEVEL": "info", "AIGW_MASTER_KEY": "operations test master key, 32+ chars"}
    gateway = Gateway(tmp_path, env, config={"admin_token": "ops-admin-token"})
    try:
        second = gateway.process.stdout.readline()
        assert "admin token set" in second and "master key set" in second and "dashboard http://" in second
        assert "ops-admin-token" not in second and "operations test master key" not in second

        client = OpenAI(api_key="sk-very-secret-123", base_url=gateway.gateway_url("default", "openai"), max_retries=0)
        answers = [client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "a prompt with hunter2"}],
            extra_headers={"cf-aig-metadata": json.dumps({"user": "u-1"})}) for _ in range(2)]
        usage = answers[0].parse().usage
        ids = [a.headers["cf-aig-log-id"] for a in answers]
        gateway.wait_for_log(ids[-1])

        with urllib.request.urlopen(f"{gateway.url}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        labels = 'provider="openai",model="gpt-4o-mini"'
        tokens_in = [l for l in metrics.splitlines() if l.startswith("aigw_tokens_total") and labels.replace(",", "") in l.replace(",", "") and 'direction="input"' in l]
        assert tokens_in and float(tokens_in[0].split()[-1]) == 2 * usage.prompt_tokens
        cost = [l for l in metrics.splitlines() if l.startswith("aigw_cost_usd_total") and 'model="gpt-4o-mini"' in l]
        assert cost and float(cost[0].split()[-1]) > 0
    finally:
        assert gateway.stop() == 0
    assert "aigw stopped" in gateway.process.stdout.read()

    log = (tmp_path / f"aigw-{gateway.port}.stderr").read_text()
    lines = [l for l in log.splitlines() if re.search(r"POST default openai/gpt-4o-mini chat/completions 200 \d+ms", l)]
    assert len(lines) == 2, log
    for line, log_id in zip(lines, ids):
        assert re.search(rf"in={usage.prompt_tokens} out={usage.completion_tokens} \$0\.\d+ MISS {log_id}", line), line
    assert "sk-very-secret-123" not in log and "hunter2" not in log and "u-1" not in log
