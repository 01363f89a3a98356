"""The gateway as a process: the no-argument start, graceful shutdown that writes every
accepted log, and secrets that never reach the disk."""

import concurrent.futures
import json
import signal
import socket
import subprocess
import urllib.request

import pytest

from conftest import AIGW, wait_for_line


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_every_accepted_log_is_written_before_exit(start_gateway, sig):
    # A flush interval far longer than the test: only the shutdown drain can write the tail.
    gateway = start_gateway(config={"log_queue": {"flush_interval_ms": 600000, "batch_size": 100000}})
    url = gateway.gateway_url("drain", "openai") + "/chat/completions"
    count = 300
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: post(url, {"model": f"m-{i}", "messages": []}), range(count)))
    assert all(status == 200 for status, _ in results)
    assert gateway.stop(sig) == 0
    assert gateway.rows("SELECT COUNT(*) FROM logs WHERE gateway_id = 'drain'") == [(count,)]
    ids = {headers["cf-aig-log-id"] for _, headers in results}
    stored = {row[0] for row in gateway.rows("SELECT id FROM logs")}
    assert ids == stored


def test_credentials_never_reach_the_database(start_gateway):
    gateway = start_gateway()
    secrets = {
        "openai": ("/chat/completions", {"authorization": "Bearer sk-proc-SECRET-0f1e2d3c"}),
        "anthropic": ("/v1/messages", {"x-api-key": "sk-ant-proc-SECRET-9a8b7c"}),
        "google-ai-studio": ("/v1beta/models/gemini:generateContent", {"x-goog-api-key": "AIza-proc-SECRET-55"}),
    }
    for provider, (path, headers) in secrets.items():
        status, _ = post(gateway.gateway_url("secrets", provider) + path, {"model": "m", "messages": []},
                         headers={**headers, "cf-aig-authorization": "Bearer gw-token-SECRET-77"})
        assert status == 200
    assert gateway.stop() == 0
    assert gateway.rows("SELECT COUNT(*) FROM logs") == [(3,)]
    on_disk = b"".join(path.read_bytes() for path in gateway.workdir.glob("aigw.sqlite*"))
    for needle in [b"SECRET", b"sk-proc", b"sk-ant-proc", b"AIza-proc", b"gw-token"]:
        assert needle not in on_disk


def test_serve_with_no_arguments(tmp_path, mock_upstream):
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8787)) == 0:
            pytest.skip("port 8787 is in use on this machine")
    process = subprocess.Popen([str(AIGW), "serve"], cwd=tmp_path, env=mock_upstream["env"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = wait_for_line(process, "aigw listening on")
        assert "http://127.0.0.1:8787" in banner
        assert (tmp_path / "aigw.sqlite").exists()
        status, headers = post("http://127.0.0.1:8787/v1/local/default/openai/chat/completions", {"model": "m"})
        assert status == 200 and "cf-aig-log-id" in headers
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_bad_configuration_is_a_clear_error(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text('{"acount_id": "x"}')
    result = subprocess.run([str(AIGW), "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "acount_id" in result.stderr
