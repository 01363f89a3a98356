"""What guardrails and DLP add to a request: one gateway process, chat answered by the fixed nginx
upstream, the guard (Workers AI's Llama Guard) by the project's mock; gateways side by side:
`plain`, `dlp` (every built-in profile, FLAG on requests) and `guarded` (guardrails S1 FLAG on
prompts). Median latency of sequential requests (c=1): DLP with a 10 KB and a 1 MB prompt, the
guard check with a small one. Used by bench.py; runnable alone:

    python3 Benchmarks/protection_cost.py --aigw .build/release/aigw [--requests 40]
"""
import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import bench

PROFILES = ["credit_card", "iban", "us_ssn", "email", "phone", "secrets"]
CONFIG = {"gateways": {
    "plain": {},
    "dlp": {"dlp": {"enabled": True, "policies": [{"id": "all", "enabled": True, "action": "FLAG", "check": ["REQUEST"], "profiles": PROFILES}]}},
    "guarded": {"guardrails": {"prompt": {"S1": "FLAG"}, "response": {}}},
}}


def prompt(size: int) -> bytes:
    """A chat body whose prompt is `size` bytes of words and numbers that match no profile."""
    rng = random.Random(size)
    words = ["alpha", "beta", "gamma", "delta", "order", "item", "total", "2024", "17", "x9", "note:", "ref-"]
    text = []
    length = 0
    while length < size:
        word = rng.choice(words)
        text.append(word)
        length += len(word) + 1
    return json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": " ".join(text)[:size]}]}).encode()


def median_ms(port: int, path: str, body: bytes, count: int) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for _ in range(count + 3):
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers={"content-type": "application/json", "authorization": "Bearer sk-bench"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return round(statistics.median(times[3:]), 2)


def run(aigw: str, requests: int = 40) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="aigw-protection-"))
    upstream, upstream_port = bench.start_fixed_upstream(workdir)
    mock_port = bench.free_port()
    mock = bench.Process([aigw, "mock-upstream", "--port", str(mock_port), "--no-record"], port=mock_port)
    config = workdir / "protection.json"
    config.write_text(json.dumps(CONFIG))
    port = bench.free_port()
    env = os.environ | {"AIGW_PROVIDER_OPENAI_BASE_URL": f"http://127.0.0.1:{upstream_port}/v1",
                        "AIGW_PROVIDER_WORKERS_AI_BASE_URL": f"http://127.0.0.1:{mock_port}/client/v4/accounts/local/ai"}
    gateway = bench.Process([aigw, "serve", "--port", str(port), "--database", f"sqlite:{workdir}/p.sqlite", "--config", str(config)],
                            env=env, cwd=workdir, port=port)
    try:
        time.sleep(1)
        result = {}
        for label, size in (("10 KB prompt", 10_000), ("1 MB prompt", 1_000_000)):
            body = prompt(size)
            plain = median_ms(port, "/v1/local/plain/openai/chat/completions", body, requests)
            scanned = median_ms(port, "/v1/local/dlp/openai/chat/completions", body, requests)
            result[f"dlp, {label}"] = {"without_ms": plain, "with_ms": scanned, "added_ms": round(scanned - plain, 2)}
        body = prompt(200)
        plain = median_ms(port, "/v1/local/plain/openai/chat/completions", body, requests)
        guarded = median_ms(port, "/v1/local/guarded/openai/chat/completions", body, requests)
        result["guard check (mock Llama Guard)"] = {"without_ms": plain, "with_ms": guarded, "added_ms": round(guarded - plain, 2)}
        return result
    finally:
        gateway.stop()
        mock.stop()
        upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aigw", required=True)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    print(json.dumps(run(args.aigw, args.requests), indent=2))
