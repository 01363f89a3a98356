"""The cost of telemetry per request: one gateway process answering the same small chat
completion from the fixed upstream (nginx) on gateways side by side, rounds taken in turn:
  plain      no exporter, no Logpush
  exporting  an OTLP exporter (JSON) to a collector that answers at once
  down       an OTLP exporter to a port where nothing listens
  hanging    an OTLP exporter to a collector that takes the connection and never answers
  logpush    Logpush on, to a directory (each log sealed with RSA-OAEP and AES-GCM, gzip)
Each is reported as its req/s at c=32 over plain's and the p50 it adds at c=1: an exporter
that is down or hangs must cost requests nothing. Logpush is measured in a process of its own,
its backlog left to drain before each run (else the export of one run's logs would weigh on
the next run), and the drain's rate is reported: how many logs per second it exports once the
load stops. Used by bench.py; runnable alone:

    python3 Benchmarks/telemetry_cost.py --aigw .build/release/aigw [--duration 5] [--rounds 3]
"""
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import bench


def public_key_pem(workdir: Path) -> str:
    key = workdir / "logpush.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)],
                   check=True, capture_output=True)
    return subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout"], check=True, capture_output=True, text=True).stdout


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.split()[-1])
    return 0.0


def drain(port: int) -> dict:
    """Waits for Logpush's backlog to empty; how many logs it exported, and how fast."""
    start, pending = time.monotonic(), metric(port, "aigw_logpush_pending_logs")
    # Empty twice, half a second apart: the log writer's last batch (50 ms) is in by then.
    while metric(port, "aigw_logpush_pending_logs") > 0 or (time.sleep(0.5) or metric(port, "aigw_logpush_pending_logs") > 0):
        time.sleep(0.1)
    seconds = time.monotonic() - start - 0.5
    return {"logs": int(pending), "seconds": round(seconds, 2), "logs_per_second": round(pending / seconds) if seconds > 0.2 else None}


def run(aigw: str, duration: int = 5, rounds: int = 3) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="aigw-telemetry-"))
    upstream, upstream_port = bench.start_fixed_upstream(workdir)
    # Takes connections into its backlog and never answers them.
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(1024)
    collector = f"http://127.0.0.1:{upstream_port}/v1/traces"  # nginx answers any POST at once
    gateways = {
        "plain": {},
        "exporting": {"otel": [{"url": collector, "headers": {}}]},
        "down": {"otel": [{"url": "http://127.0.0.1:9/v1/traces", "headers": {}}]},
        "hanging": {"otel": [{"url": f"http://127.0.0.1:{hanging.getsockname()[1]}/v1/traces", "headers": {}}]},
    }
    result: dict = {}
    try:
        gateway, port = bench.serve_against(aigw, workdir, upstream_port, f"sqlite:{workdir}/otel.sqlite", {"gateways": gateways})
        try:
            base = f"http://127.0.0.1:{port}/v1/local"
            measured = bench.side_by_side({name: (f"{base}/{name}/openai/chat/completions", {}, bench.CHAT)
                                           for name in gateways}, duration, rounds)
            result["runs"] = {name: measured[name] for name in gateways}
            plain = measured["plain"]
            for name in list(gateways)[1:]:
                result[f"{name}_over_plain"] = round(measured[name]["requests_per_second_c32"] / plain["requests_per_second_c32"], 3)
                result[f"{name}_added_p50_us_c1"] = round(measured[name]["p50_us_c1"] - plain["p50_us_c1"], 1)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                result["metrics"] = [line for line in response.read().decode().splitlines()
                                     if line.startswith("aigw_otel_") and not line.startswith("#")]
        finally:
            gateway.stop()

        logpush = {"plain": {}, "logpush": {"logpush": True, "logpush_public_key": public_key_pem(workdir)}}
        gateway, port = bench.serve_against(
            aigw, workdir, upstream_port, f"sqlite:{workdir}/logpush.sqlite",
            {"gateways": logpush, "logpush": {"directory": str(workdir / "export")}})
        try:
            base = f"http://127.0.0.1:{port}/v1/local"
            runs: dict = {"plain": [], "logpush": []}
            drains = []
            for _ in range(rounds):
                for name in logpush:
                    runs[name].append(bench.wrk(f"{base}/{name}/openai/chat/completions", 32, duration))
                    if name == "logpush":
                        drains.append(drain(port))
            rps = {name: sorted(r["requests_per_second"] for r in runs[name])[(rounds - 1) // 2] for name in runs}
            result["runs"]["logpush"] = {"requests_per_second_c32": rps["logpush"]}
            result["logpush_plain_requests_per_second_c32"] = rps["plain"]
            result["logpush_over_plain"] = round(rps["logpush"] / rps["plain"], 3)
            result["logpush_drain"] = sorted(drains, key=lambda d: d["logs_per_second"] or 0)[(rounds - 1) // 2]
        finally:
            gateway.stop()
        return result
    finally:
        hanging.close()
        upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    bench.cost_script(__doc__, run)
