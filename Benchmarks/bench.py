#!/usr/bin/env python3
"""aigw's benchmark, side by side in one run (run it through `bash Benchmarks/run`).

Throughput and latency targets, all POSTing a small chat completion to the fastest possible
provider, nginx returning a fixed 330-byte completion (so that what is measured is the
gateway's own cost; the project's mock stands in when nginx is missing):
  direct      straight to the fixed upstream
  nginx       through nginx as a plain reverse proxy (the floor any proxy pays)
  aigw        through aigw with logging on (SQLite)
  aigw-nolog  through aigw, on a gateway with `collect_logs: false` (the cost of logging)
  cached      through aigw on a cache hit
and the cost of spend limits (spend_cost.py: a gateway with three rules beside one with none),
of telemetry (telemetry_cost.py: OTLP exporters up, down and hanging, and Logpush, beside none),

It measures requests per second and p50/p99 at concurrency 32 and 256 (wrk), latency p50/p99
at concurrency 1 and what aigw adds over direct beside what nginx adds, resident memory
sampled through the load runs (at concurrency 256, and the peak), memory over a soak run,
logs written per second (the writer into SQLite, and what the load run wrote), and, against
the mock (which streams and injects faults): time to first byte and the delay between chunks
with 1, 100 and 1,000 concurrent streams, and what a crash loses: with logs queued (the
default) and durable (`log_queue.durable`), the throughput, and how many answers received
whole have no log after a SIGKILL under load (`--only-crash` runs just that). It writes
Benchmarks/results/latest.json and latest.md. Nothing here asserts: the goals are reported as
met or not.
"""

import argparse
import asyncio
import datetime
import json
import os
import re
import shutil
import http.client
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "Benchmarks" / "results"
CHAT = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
# What the fixed upstream answers: a small chat completion, about 330 bytes.
COMPLETION = ('{"id":"chatcmpl-bench","object":"chat.completion","created":1750000000,"model":"gpt-4o-mini",'
              '"choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},'
              '"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,'
              '"total_tokens":18},"system_fingerprint":"fp_bench"}')
STREAM_CHUNKS = 20
# The throughput targets, in the order they are taken (and reported).
TARGETS = ("direct", "nginx", "aigw", "aigw-nolog", "cached")
STREAM_DELAY_MS = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def memory_kb(pid: int) -> dict:
    """Resident memory now (VmRSS) and at its peak so far (VmHWM), in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


class Process:
    def __init__(self, args, env=None, cwd=None, port=None):
        self.process = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if port:
            wait_for_port(port)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def to_microseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[unit]


def wrk(url: str, connections: int, seconds: int, headers: dict | None = None, threads: int = 2, body: str = CHAT) -> dict:
    """One wrk run; requests per second, latency percentiles, and errors."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}", 'wrk.headers["Content-Type"] = "application/json"',
             'wrk.headers["Authorization"] = "Bearer sk-bench"']
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    script.write_text("\n".join(lines) + "\n")
    output = subprocess.run(
        ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True).stdout
    script.unlink()
    result = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "99"):
        match = re.search(rf"^\s+{percentile}(?:\.000)?%\s+([\d.]+\w+)", output, re.M)
        result[f"p{percentile}_us"] = to_microseconds(match.group(1)) if match else None
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    result["socket_errors"] = sum(map(int, errors.groups())) if errors else 0
    return result


def side_by_side(targets: dict, duration: int, rounds: int) -> dict:
    """Two or more wrk targets (name -> (url, headers, body)) taken in turn, round after round, at
    c=32 and c=1: each target's medians, and the last target's ratio to the first (req/s at
    c=32) and what it adds (p50 at c=1)."""
    runs: dict = {}
    for _ in range(rounds):
        for name, (url, headers, body) in targets.items():
            runs.setdefault(name, {}).setdefault("c32", []).append(wrk(url, 32, duration, headers, body=body))
            runs[name].setdefault("c1", []).append(wrk(url, 1, duration, headers, threads=1, body=body))
    result = {name: {"requests_per_second_c32": statistics.median(r["requests_per_second"] for r in by_c["c32"]),
                     "p50_us_c1": statistics.median(r["p50_us"] for r in by_c["c1"]),
                     "p99_us_c1": statistics.median(r["p99_us"] for r in by_c["c1"]),
                     "non_2xx": sum(r["non_2xx"] for r in by_c["c32"] + by_c["c1"])}
              for name, by_c in runs.items()}
    first, last = result[next(iter(targets))], result[list(targets)[-1]]
    result["ratio_requests_per_second"] = round(last["requests_per_second_c32"] / first["requests_per_second_c32"], 3)
    result["added_p50_us_c1"] = round(last["p50_us_c1"] - first["p50_us_c1"], 1)
    return result


def serve_against(aigw: str, workdir: Path, upstream_port: int, database: str, config: dict | None = None):
    """`aigw serve` on a free port with OpenAI pointed at the fixed upstream, `database`, and
    `config` (written to a file of its own) when given; returns the process and its port."""
    port = free_port()
    args = [aigw, "serve", "--port", str(port), "--database", database]
    if config is not None:
        path = workdir / f"config-{port}.json"
        path.write_text(json.dumps(config))
        args += ["--config", str(path)]
    env = os.environ | {"AIGW_PROVIDER_OPENAI_BASE_URL": f"http://127.0.0.1:{upstream_port}/v1"}
    process = Process(args, env=env, cwd=workdir, port=port)
    time.sleep(1)
    return process, port


def cost_script(doc: str, run) -> None:
    """The command line of a cost script (spend_cost.py, route_cost.py, telemetry_cost.py):
    `--aigw` (made absolute: the gateway runs in a directory of its own), `--duration`,
    `--rounds`; prints `run`'s figures as JSON."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aigw", required=True)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(str(Path(args.aigw).resolve()), args.duration, args.rounds), indent=2))


def median_run(rounds: list[dict], key: str) -> dict:
    """The run whose `key` is the median of the rounds (the lower middle one for an even
    count), with every round's value beside it."""
    ordered = sorted(rounds, key=lambda run: run[key])
    return ordered[(len(ordered) - 1) // 2] | {f"rounds_{key}": [run[key] for run in rounds]}


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def start_nginx_with(workdir: Path, name: str, http_block: str) -> tuple[Process, int]:
    """An nginx of its own (prefix `workdir/name`) listening on a free port, serving `http_block`
    (`{port}` in it is replaced by the port)."""
    port = free_port()
    prefix = workdir / name
    prefix.mkdir()
    os.chmod(prefix, 0o777)
    config = prefix / "nginx.conf"
    config.write_text(f"""
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    keepalive_requests 1000000;
{http_block.replace("{port}", str(port))}
}}
""")
    return Process([nginx_binary(), "-c", str(config), "-p", str(prefix), "-g", "daemon off;"], port=port), port


def start_fixed_upstream(workdir: Path) -> tuple[Process, int]:
    """The fastest possible provider: nginx answering every request with ``COMPLETION``."""
    return start_nginx_with(workdir, "fixed", f"""
    server {{
        listen 127.0.0.1:{{port}};
        location / {{
            default_type application/json;
            return 200 '{COMPLETION}';
        }}
    }}""")


def start_nginx(workdir: Path, upstream_port: int) -> tuple[Process, int]:
    """nginx as a plain reverse proxy in front of the upstream."""
    return start_nginx_with(workdir, "proxy", f"""
    upstream provider {{ server 127.0.0.1:{upstream_port}; keepalive 512; }}
    server {{
        listen 127.0.0.1:{{port}};
        location / {{
            proxy_pass http://provider;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }}
    }}""")


class MemorySampler:
    """Samples a process's resident memory every 0.2 s on a thread of its own, so that the
    peak of a run is seen, not one reading at its end."""

    def __init__(self, pid: int):
        self.pid, self.samples, self.stop_event = pid, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.samples.append((time.monotonic(), memory_kb(self.pid)["VmRSS"] / 1024))
            except (OSError, KeyError):
                return
            time.sleep(0.2)

    def peak_between(self, start: float, end: float) -> float:
        return round(max((mb for t, mb in self.samples if start <= t <= end), default=0.0), 1)

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=2)


# MARK: - Streams


async def one_stream(port: int, path: str, headers: dict, deadline: float) -> dict:
    """One streamed request: time to its first event, and the gaps between event arrivals."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"model": "gpt-4o", "stream": True, "messages": []}).encode()
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", f"Content-Length: {len(body)}",
            "Authorization: Bearer sk-bench", "Connection: close"] + [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    arrivals, seen, done = [], b"", False
    try:
        while time.monotonic() < deadline:
            data = await asyncio.wait_for(reader.read(65536), timeout=max(0.1, deadline - time.monotonic()))
            if not data:
                break
            now = time.monotonic()
            seen += data
            events = data.count(b"data: ")
            arrivals += [now] * min(events, 1)  # events that arrive together count as one arrival
            if b"[DONE]" in seen:
                done = True
                break
    except asyncio.TimeoutError:
        pass
    finally:
        writer.close()
    gaps = [(b - a) * 1000 for a, b in zip(arrivals, arrivals[1:])]
    return {"ttfb_ms": (arrivals[0] - started) * 1000 if arrivals else None, "gaps_ms": gaps, "done": done}


async def streams(port: int, path: str, count: int) -> dict:
    headers = {"x-mock-chunks": str(STREAM_CHUNKS), "x-mock-chunk-delay-ms": str(STREAM_DELAY_MS)}
    deadline = time.monotonic() + 60
    results = await asyncio.gather(*(one_stream(port, path, headers, deadline) for _ in range(count)), return_exceptions=True)
    good = [r for r in results if isinstance(r, dict)]
    ttfb = sorted(r["ttfb_ms"] for r in good if r["ttfb_ms"] is not None)
    gaps = sorted(g for r in good for g in r["gaps_ms"])

    def percentile(values, p):
        return round(values[min(len(values) - 1, int(len(values) * p))], 2) if values else None

    # A stall: a stream that did not finish, or a gap of over a second between chunks sent 50 ms apart.
    stalls = sum(1 for r in good if not r["done"] or any(g > 1000 for g in r["gaps_ms"])) + (len(results) - len(good))
    return {"streams": count, "completed": sum(1 for r in good if r["done"]), "stalls": stalls,
            "ttfb_p50_ms": percentile(ttfb, 0.5), "ttfb_p99_ms": percentile(ttfb, 0.99),
            "gap_p50_ms": percentile(gaps, 0.5), "gap_p99_ms": percentile(gaps, 0.99), "gap_max_ms": percentile(gaps, 1.0)}


# MARK: - What a crash loses


def hammer(port: int, path: str, answered: list, stop: threading.Event, lock: threading.Lock) -> None:
    """Keep-alive requests until told to stop or the gateway dies; records the log ids of whole answers."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            connection.request("POST", path, body=CHAT, headers={"content-type": "application/json"})
            response = connection.getresponse()
            response.read()  # raises if the answer breaks off: only whole answers count
            if response.status == 200:
                with lock:
                    answered.append(response.getheader("cf-aig-log-id"))
    except (OSError, http.client.HTTPException):
        pass  # the gateway was killed


def crash(aigw: str, env: dict, workdir: Path, durable: bool, duration: int, rounds: int) -> dict:
    """A gateway with `log_queue.durable` on or off: its throughput (wrk, c=32 and c=256), then
    SIGKILL under load from 32 connections, `rounds` times: how many answers received whole
    have no log in the database afterwards."""
    mode = "durable" if durable else "default"
    config = workdir / f"crash-{mode}.json"
    config.write_text(json.dumps({"log_queue": {"durable": durable}}))
    result = {"durable": durable, "kills": []}
    for round_index in range(rounds):
        port = free_port()
        database = workdir / f"crash-{mode}-{round_index}.sqlite"
        gateway = Process([aigw, "serve", "--port", str(port), "--database", f"sqlite:{database}", "--config", str(config)],
                          env=env, cwd=workdir, port=port)
        path = "/v1/local/crash/openai/chat/completions"
        if round_index == 0:
            url = f"http://127.0.0.1:{port}{path}"
            print(f"== logs {mode}: wrk c=32 and c=256", flush=True)
            result["requests_per_second"] = {f"c{c}": wrk(url, c, duration)["requests_per_second"] for c in (32, 256)}
        print(f"== logs {mode}: SIGKILL under load ({round_index + 1} of {rounds})", flush=True)
        answered, stop, lock = [], threading.Event(), threading.Lock()
        workers = [threading.Thread(target=hammer, args=(port, path, answered, stop, lock)) for _ in range(32)]
        for worker in workers:
            worker.start()
        time.sleep(2)  # load for two seconds, then the kill lands among requests in flight
        os.kill(gateway.pid, signal.SIGKILL)
        gateway.process.wait(timeout=30)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        with sqlite3.connect(database) as connection:
            stored = {row[0] for row in connection.execute("SELECT id FROM logs WHERE gateway_id = 'crash'")}
        missing = sum(1 for log_id in answered if log_id not in stored)
        result["kills"].append({"answered": len(answered), "missing": missing})
    answered = sum(kill["answered"] for kill in result["kills"])
    missing = sum(kill["missing"] for kill in result["kills"])
    result |= {"answered": answered, "missing": missing, "missing_percent": round(100 * missing / max(answered, 1), 3)}
    return result


# MARK: - The run


def metric(port: int, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    match = re.search(rf"^{name}(?:{{[^}}]*}})? ([\d.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aigw", required=True, help="the release aigw binary")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--soak", type=int, default=60, help="seconds of the memory soak at concurrency 256 (600 for the 10-minute figure)")
    parser.add_argument("--streams", default="1,100,1000", help="concurrent stream counts")
    parser.add_argument("--logs", type=int, default=200000, help="logs for the writer's throughput run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the throughput and latency runs, targets taken in turn; medians are reported")
    parser.add_argument("--crash-rounds", type=int, default=3, help="SIGKILLs under load per log mode (default and durable)")
    parser.add_argument("--only-crash", action="store_true",
                        help="only what a crash loses, with logs queued and durable (prints it; writes no results file)")
    parser.add_argument("--quick", action="store_true", help="short runs, for trying the benchmark out")
    parser.add_argument("--dashboard-logs", type=int, default=1_000_000,
                        help="logs a gateway holds for the dashboard's timings (0: skip them)")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.soak, args.streams, args.logs, args.rounds = 3, 10, "1,100", 50000, 1
        args.dashboard_logs = min(args.dashboard_logs, 100_000)

    workdir = Path(tempfile.mkdtemp(prefix="aigw-bench-"))
    aigw = args.aigw
    started_processes = []
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": {"cores": os.cpu_count(), "kernel": os.uname().release},
               "settings": {"duration_s": args.duration, "rounds": args.rounds, "soak_s": args.soak, "stream_chunks": STREAM_CHUNKS,
                            "stream_chunk_delay_ms": STREAM_DELAY_MS}}
    try:
        mock_port = free_port()
        mock = Process([aigw, "mock-upstream", "--port", str(mock_port), "--no-record"], port=mock_port)
        started_processes.append(mock)
        exports = subprocess.run([aigw, "mock-upstream", "--print-env", "--port", str(mock_port)],
                                 capture_output=True, text=True, check=True).stdout
        env = dict(os.environ)
        for line in exports.splitlines():
            name, value = line.removeprefix("export ").split("=", 1)
            env[name] = value.strip("'")
        if args.only_crash:
            crashes = {mode: crash(aigw, env, workdir, mode == "durable", args.duration, args.crash_rounds)
                       for mode in ("default", "durable")}
            print(json.dumps(crashes, indent=2))
            return
        # The throughput and latency runs go to the fastest upstream: nginx with a fixed answer.
        fixed_port = mock_port
        if nginx_binary():
            fixed, fixed_port = start_fixed_upstream(workdir)
            started_processes.append(fixed)
        results["upstream"] = "nginx, fixed answer" if fixed_port != mock_port else "the mock (nginx is not installed)"
        serving_env = env | {"AIGW_PROVIDER_OPENAI_BASE_URL": f"http://127.0.0.1:{fixed_port}/v1"}
        config = workdir / "bench.json"
        config.write_text(json.dumps({"gateways": {"bench-nolog": {"collect_logs": False}}}))
        gateway_port = free_port()
        gateway = Process([aigw, "serve", "--port", str(gateway_port), "--database", f"sqlite:{workdir}/bench.sqlite",
                           "--config", str(config)], env=serving_env, cwd=workdir, port=gateway_port)
        started_processes.append(gateway)
        nginx, nginx_port = start_nginx(workdir, fixed_port) if nginx_binary() else (None, None)
        if nginx:
            started_processes.append(nginx)
        time.sleep(1)
        results["memory_idle_mb"] = round(memory_kb(gateway.pid)["VmRSS"] / 1024, 1)
        sampler = MemorySampler(gateway.pid)

        aigw_base = f"http://127.0.0.1:{gateway_port}/v1/local"
        targets = {"direct": f"http://127.0.0.1:{fixed_port}/v1/chat/completions",
                   "aigw": f"{aigw_base}/bench/openai/chat/completions",
                   "aigw-nolog": f"{aigw_base}/bench-nolog/openai/chat/completions",
                   "cached": f"{aigw_base}/bench-cache/openai/chat/completions"}
        if nginx:
            targets["nginx"] = f"http://127.0.0.1:{nginx_port}/v1/chat/completions"
        extra = {"cached": {"cf-aig-cache-ttl": "3600"}}
        # The targets are taken in turn, round after round, and each figure is the median of its
        # rounds: on a shared machine, runs minutes apart differ by more than the changes measured.
        runs: dict = {}
        written_before = metric(gateway_port, "aigw_logs_written_total")
        aigw_seconds = 0
        load_started = time.monotonic()
        for round_index in range(args.rounds):
            for connections in (32, 256):
                for name in TARGETS:
                    if name not in targets:
                        continue
                    print(f"== round {round_index + 1}: wrk {name} c={connections}", flush=True)
                    started = time.monotonic()
                    run = wrk(targets[name], connections, args.duration, extra.get(name))
                    if name.startswith("aigw") or name == "cached":
                        run["memory_peak_mb"] = sampler.peak_between(started, time.monotonic())
                    if name == "aigw":
                        aigw_seconds += args.duration
                    runs.setdefault(name, {}).setdefault(f"c{connections}", []).append(run)
            for name in ("direct", "nginx", "aigw", "aigw-nolog"):
                if name in targets:
                    print(f"== round {round_index + 1}: latency {name} c=1", flush=True)
                    runs.setdefault(name, {}).setdefault("c1", []).append(wrk(targets[name], 1, args.duration, threads=1))
        results["memory_load_peak_mb"] = sampler.peak_between(load_started, time.monotonic())
        throughput = {name: {c: median_run(rounds, "requests_per_second") for c, rounds in by_c.items() if c != "c1"}
                      for name, by_c in runs.items()}
        results["throughput"] = throughput
        results["memory_at_c256_mb"] = max(run["memory_peak_mb"] for name in ("aigw", "aigw-nolog", "cached")
                                           for run in runs.get(name, {}).get("c256", []))
        results["latency_c1"] = {name: {p: statistics.median(run[p] for run in by_c["c1"]) for p in ("p50_us", "p99_us")}
                                 | {"rounds": by_c["c1"]} for name, by_c in runs.items() if "c1" in by_c}

        # Logs: what the load runs wrote, and the writer's own rate into SQLite.
        time.sleep(1)
        written = metric(gateway_port, "aigw_logs_written_total") - written_before
        results["logs"] = {"written_during_load": int(written), "dropped": int(metric(gateway_port, "aigw_logs_dropped_total")),
                           "written_per_second_under_load": round(written / max(aigw_seconds, 1))}
        print("== log writer into SQLite", flush=True)
        bench_logs = subprocess.run([aigw, "bench-logs", "--database", f"sqlite:{workdir}/bench-logs.sqlite", "--count",
                                     str(args.logs)], capture_output=True, text=True, check=True).stdout
        results["logs"]["writer_sqlite"] = json.loads(bench_logs.strip().splitlines()[-1])
        postgres = os.environ.get("AIGW_BENCH_POSTGRES")
        if postgres:
            print("== log writer into PostgreSQL", flush=True)
            out = subprocess.run([aigw, "bench-logs", "--database", postgres, "--count", str(args.logs)],
                                 capture_output=True, text=True, check=True).stdout
            results["logs"]["writer_postgresql"] = json.loads(out.strip().splitlines()[-1])

        stream_results = {}
        for count in [int(c) for c in args.streams.split(",") if c]:
            for name, port, path in (("direct", mock_port, "/v1/chat/completions"),
                                     ("aigw", gateway_port, "/v1/local/bench-stream/groq/chat/completions")):
                print(f"== {count} streams {name}", flush=True)
                stream_results.setdefault(name, {})[str(count)] = asyncio.run(streams(port, path, count))
        results["streams"] = stream_results

        print(f"== soak {args.soak} s at c=256", flush=True)
        samples = []
        script = workdir / "soak.lua"
        script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(CHAT)}\nwrk.headers["Content-Type"] = "application/json"\n')
        soak = subprocess.Popen(["wrk", "-t2", "-c256", f"-d{args.soak}s", "-s", str(script), targets["aigw"]],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.monotonic()
        while soak.poll() is None:
            samples.append((round(time.monotonic() - start, 1), round(memory_kb(gateway.pid)["VmRSS"] / 1024, 1)))
            time.sleep(max(1, args.soak / 30))
        settled = [mb for t, mb in samples if t >= min(10, args.soak / 3)] or [mb for _, mb in samples]
        results["soak"] = {"seconds": args.soak, "samples_mb": samples, "min_mb": min(settled), "max_mb": max(settled),
                           "growth_after_warmup_mb": round(settled[-1] - settled[0], 1)}
        sampler.stop()
        results["memory_peak_mb"] = round(memory_kb(gateway.pid)["VmHWM"] / 1024, 1)
        results["crash"] = {mode: crash(aigw, env, workdir, mode == "durable", args.duration, args.crash_rounds)
                            for mode in ("default", "durable")}
        print("== spend limits: gateways with and without rules", flush=True)
        import spend_cost  # here: it uses this module's helpers
        results["spend_limits"] = spend_cost.run(aigw, min(args.duration, 5), args.rounds)
        print("== dynamic routes: a three-element route beside the same model named directly", flush=True)
        import route_cost  # here: it uses this module's helpers
        results["dynamic_route"] = route_cost.run(aigw, min(args.duration, 5), args.rounds)
        print("== telemetry: exporters up, down and hanging, and Logpush, beside a gateway with none", flush=True)
        import telemetry_cost  # here: it uses this module's helpers
        results["telemetry"] = telemetry_cost.run(aigw, min(args.duration, 5), args.rounds)
        print("== guardrails and DLP: added latency", flush=True)
        import protection_cost  # here: it uses this module's helpers
        results["protection"] = protection_cost.run(aigw, 20 if args.quick else 40)
        if args.dashboard_logs > 0:
            import dashboard_scale  # here: it uses this module's helpers
            results["dashboard"] = dashboard_scale.run(aigw, args.dashboard_logs)
    finally:
        for process in reversed(started_processes):
            process.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    summarize(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = report(results)
    (RESULTS / "latest.md").write_text(markdown)
    print(markdown)


def summarize(results: dict) -> None:
    """Ratios and goals (issue 17's: logging that costs nothing visible)."""
    t, lat = results["throughput"], results["latency_c1"]
    ratios = {}
    for c in ("c32", "c256"):
        ratios[f"aigw_over_direct_{c}"] = round(t["aigw"][c]["requests_per_second"] / t["direct"][c]["requests_per_second"], 3)
        if "nginx" in t:
            for name in ("aigw", "aigw-nolog", "cached"):
                ratios[f"{name}_over_nginx_{c}"] = round(t[name][c]["requests_per_second"] / t["nginx"][c]["requests_per_second"], 3)
            ratios[f"aigw_p99_over_nginx_p99_{c}"] = round(t["aigw"][c]["p99_us"] / max(t["nginx"][c]["p99_us"], 1), 2)
    results["ratios"] = ratios
    added = {p: round(lat["aigw"][f"{p}_us"] - lat["direct"][f"{p}_us"], 1) for p in ("p50", "p99")}
    results["added_latency_c1_us"] = added
    floor = {"p50": 0.0, "p99": 0.0}
    if "nginx" in lat:
        # The floor: what a plain C reverse proxy adds on the same machine, in the same run.
        floor = {p: round(lat["nginx"][f"{p}_us"] - lat["direct"][f"{p}_us"], 1) for p in ("p50", "p99")}
        results["nginx_added_latency_c1_us"] = floor
    biggest = max((int(k) for k in results["streams"]["aigw"]), default=0)
    has_nginx = "nginx" in t
    results["goals"] = {
        "aigw (logging on) at least 0.8 of nginx req/s (c=32 and c=256)": has_nginx and min(
            ratios["aigw_over_nginx_c32"], ratios["aigw_over_nginx_c256"]) >= 0.8,
        "aigw p99 at c=32 at most 2 x nginx's": has_nginx and ratios["aigw_p99_over_nginx_p99_c32"] <= 2,
        "added latency at c=1 within 100 us (p50) and 300 us (p99) of nginx's": has_nginx
            and added["p50"] - floor["p50"] <= 100 and added["p99"] - floor["p99"] <= 300,
        "memory under 100 MB at c=256 (load runs and soak)": max(results["memory_at_c256_mb"], results["soak"]["max_mb"]) < 100,
        "memory peak under 128 MB (streams included)": results["memory_peak_mb"] < 128,
        "memory flat over the soak (under 10 MB growth after warm-up)": abs(results["soak"]["growth_after_warmup_mb"]) < 10,
        "cache hits at least as fast as nginx (c=32)": has_nginx and ratios["cached_over_nginx_c32"] >= 1,
        f"{biggest} concurrent streams with no stall": results["streams"]["aigw"][str(biggest)]["stalls"] == 0,
    }
    # Issue 18's: the dashboard over a gateway of many logs.
    for store, figures in {k: v for k, v in results.get("dashboard", {}).items() if isinstance(v, dict)}.items():
        count = results["dashboard"]["logs"]
        results["goals"][f"overview of {count:,} logs under 300 ms ({store})"] = figures["overview page ms"] < 300
        results["goals"][f"logs page of {count:,} logs under 100 ms ({store})"] = figures["logs page, first page ms"] < 100


def report(r: dict) -> str:
    t, lat = r["throughput"], r["latency_c1"]
    lines = [f"# aigw benchmark, {r['date']}", "",
             f"{r['machine']['cores']} cores; {r['settings']['duration_s']} s per wrk run (2 threads), the targets in turn, "
             f"median of {r['settings'].get('rounds', 1)} rounds; upstream: {r.get('upstream', 'the mock')}; "
             "aigw logging to SQLite (aigw-nolog: a gateway with collect_logs false).", "",
             "| target | req/s c=32 | p99 c=32 | req/s c=256 | p99 c=256 | p50 c=1 | p99 c=1 |", "|---|---|---|---|---|---|---|"]
    fmt = lambda v: f"{v:,.0f} µs" if v is not None else "-"
    for name in TARGETS:
        if name in t:
            l = lat.get(name, {})
            lines.append(f"| {name} | {t[name]['c32']['requests_per_second']:,.0f} | {fmt(t[name]['c32']['p99_us'])} | "
                         f"{t[name]['c256']['requests_per_second']:,.0f} | {fmt(t[name]['c256']['p99_us'])} | "
                         f"{fmt(l.get('p50_us'))} | {fmt(l.get('p99_us'))} |")
    lines += ["", "| ratio | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in r["ratios"].items()]
    if "nginx" in t:
        per_round = {c: [round(a / n, 3) for a, n in zip(t["aigw"][c]["rounds_requests_per_second"],
                                                          t["nginx"][c]["rounds_requests_per_second"])]
                     for c in ("c32", "c256")}
        lines += ["", f"aigw / nginx in each round: c=32 {per_round['c32']}, c=256 {per_round['c256']}."]
    lines += ["", f"Added latency at c=1 (aigw − direct): p50 {r['added_latency_c1_us']['p50']} µs, "
                  f"p99 {r['added_latency_c1_us']['p99']} µs"
                  + (f" (nginx − direct, the floor on this machine: p50 {r['nginx_added_latency_c1_us']['p50']} µs, "
                     f"p99 {r['nginx_added_latency_c1_us']['p99']} µs)" if "nginx_added_latency_c1_us" in r else "")
                  + ".", "",
              f"Memory (RSS, sampled every 0.2 s): idle {r['memory_idle_mb']} MB, at c=256 {r['memory_at_c256_mb']} MB, "
              f"through the load runs {r.get('memory_load_peak_mb', '-')} MB, peak {r['memory_peak_mb']} MB; "
              f"soak {r['soak']['seconds']} s: {r['soak']['min_mb']}–{r['soak']['max_mb']} MB, growth after warm-up "
              f"{r['soak']['growth_after_warmup_mb']} MB.", ""]
    logs = r["logs"]
    lines.append(f"Logs: {logs['written_during_load']:,} written during the aigw load runs "
                 f"({logs['written_per_second_under_load']:,}/s, {logs['dropped']} dropped); the writer alone: "
                 + ", ".join(f"{v['database']} {v['logs_per_second']:,}/s" for k, v in logs.items() if k.startswith("writer_")) + ".")
    lines += ["", f"| streams ({r['settings']['stream_chunks']} chunks, {r['settings']['stream_chunk_delay_ms']} ms apart) | "
                  "target | completed | stalls | TTFB p50 | TTFB p99 | gap p50 | gap p99 | gap max |",
              "|---|---|---|---|---|---|---|---|---|"]
    for count in r["streams"]["aigw"]:
        for name in ("direct", "aigw"):
            s = r["streams"][name][count]
            lines.append(f"| {count} | {name} | {s['completed']} | {s['stalls']} | {s['ttfb_p50_ms']} ms | {s['ttfb_p99_ms']} ms | "
                         f"{s['gap_p50_ms']} ms | {s['gap_p99_ms']} ms | {s['gap_max_ms']} ms |")
    if "crash" in r:
        lines += ["", "| logs (SIGKILL under load, 32 connections) | req/s c=32 | req/s c=256 | answered | no log after the kill |",
                  "|---|---|---|---|---|"]
        for mode, c in r["crash"].items():
            rps = c["requests_per_second"]
            lines.append(f"| {mode} | {rps['c32']:,.0f} | {rps['c256']:,.0f} | {c['answered']:,} | "
                         f"{c['missing']} ({c['missing_percent']}%) |")
    if "spend_limits" in r:
        lines += ["", "| spend limits (3 rules) vs none, same process | req/s c=32 without | with | ratio | p50 c=1 without | with | added |",
                  "|---|---|---|---|---|---|---|"]
        for store, f in r["spend_limits"].items():
            lines.append(f"| {store} | {f['plain']['requests_per_second_c32']:,.0f} | {f['budgeted']['requests_per_second_c32']:,.0f} | "
                         f"{f['ratio_requests_per_second']} | {f['plain']['p50_us_c1']:.0f} us | {f['budgeted']['p50_us_c1']:.0f} us | "
                         f"{f['added_p50_us_c1']:.0f} us |")
    if "dynamic_route" in r:
        f = r["dynamic_route"]
        lines += ["", "| /compat, same process | req/s c=32 | p50 c=1 | p99 c=1 |", "|---|---|---|---|"]
        for name in ("direct", "route"):
            lines.append(f"| {name} | {f[name]['requests_per_second_c32']:,.0f} | {f[name]['p50_us_c1']:.0f} us | {f[name]['p99_us_c1']:.0f} us |")
        lines.append(f"| route / direct | {f['ratio_requests_per_second']} | +{f['added_p50_us_c1']:.0f} us | |")
    if "telemetry" in r:
        f = r["telemetry"]
        lines += ["", "| telemetry, same process | req/s c=32 | over none | p50 c=1 | added |", "|---|---|---|---|---|"]
        for name, run in f["runs"].items():
            ratio = f.get(f"{name}_over_plain", 1.0)
            added = f.get(f"{name}_added_p50_us_c1")
            p50 = f"{run['p50_us_c1']:.0f} us" if "p50_us_c1" in run else "–"
            lines.append(f"| {name} | {run['requests_per_second_c32']:,.0f} | {ratio} | {p50} | "
                         f"{'–' if added is None else f'{added:+.0f} us'} |")
        drained = f["logpush_drain"]
        lines.append(f"| Logpush export after the load | {drained['logs_per_second'] or 0:,} logs/s | | | |")
    if "protection" in r:
        lines += ["", "| guardrails and DLP, c=1 median | without | with | added |", "|---|---|---|---|"]
        for name, f in r["protection"].items():
            lines.append(f"| {name} | {f['without_ms']} ms | {f['with_ms']} ms | {f['added_ms']} ms |")
    if "dashboard" in r:
        d = r["dashboard"]
        lines += ["", f"| dashboard over {d['logs']:,} logs (median of 5) | first start (migration) | overview page | analytics API | logs page |",
                  "|---|---|---|---|---|"]
        for store in ("sqlite", "postgresql"):
            if store in d:
                f = d[store]
                lines.append(f"| {store} | {f['first_start_s']} s | {f['overview page ms']} ms | "
                             f"{f['analytics API (24 h, hourly) ms']} ms | {f['logs page, first page ms']} ms |")
    lines += ["", "| goal | met |", "|---|---|"] + [f"| {k} | {'yes' if v else 'NO'} |" for k, v in r["goals"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
