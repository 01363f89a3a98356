#!/usr/bin/env python3
"""Two aigw builds side by side, for a change's before and after: both serve at once (logging
to SQLite) in front of nginx's fixed answer, and wrk is pointed at nginx-as-proxy, build A and
build B in turn, round after round, at concurrency 32 and 256. Prints the median requests per
second and p99 of each, and B / A; then latency at concurrency 1 (p50, p99) the same way. Shorter than `bash Benchmarks/run`, which stays the record.

Usage: python3 Benchmarks/compare.py --a OLD_BINARY --b NEW_BINARY [--rounds 5] [--duration 5]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="the baseline aigw binary")
    parser.add_argument("--b", required=True, help="the changed aigw binary")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="aigw-compare-"))
    processes = []
    try:
        fixed, fixed_port = bench.start_fixed_upstream(workdir)
        processes.append(fixed)
        nginx, nginx_port = bench.start_nginx(workdir, fixed_port)
        processes.append(nginx)
        env = dict(os.environ) | {"AIGW_PROVIDER_OPENAI_BASE_URL": f"http://127.0.0.1:{fixed_port}/v1"}
        targets = {"nginx": f"http://127.0.0.1:{nginx_port}/v1/chat/completions"}
        for name, binary in (("A", args.a), ("B", args.b)):
            port = bench.free_port()
            directory = workdir / name
            directory.mkdir()
            processes.append(bench.Process(
                [binary, "serve", "--port", str(port), "--database", f"sqlite:{directory}/logs.sqlite"],
                env=env, cwd=directory, port=port))
            targets[name] = f"http://127.0.0.1:{port}/v1/local/bench/openai/chat/completions"
        time.sleep(1)
        runs = {(name, c): [] for name in targets for c in (1, 32, 256)}
        for round_index in range(args.rounds):
            for connections in (1, 32, 256):
                for name, url in targets.items():
                    run = bench.wrk(url, connections, args.duration, threads=1 if connections == 1 else 2)
                    runs[(name, connections)].append(run)
                    print(f"round {round_index + 1} c={connections} {name}: {run['requests_per_second']:,.0f} req/s "
                          f"p99 {run['p99_us']:,.0f} µs", flush=True)
        summary = {}
        for (name, connections), results in runs.items():
            summary[f"{name} c={connections}"] = {
                "req/s": statistics.median(r["requests_per_second"] for r in results),
                "p99 µs": statistics.median(r["p99_us"] for r in results),
                "p50 µs": statistics.median(r["p50_us"] for r in results)}
        for connections in (32, 256):
            a, b, floor = (summary[f"{n} c={connections}"]["req/s"] for n in ("A", "B", "nginx"))
            summary[f"c={connections}"] = {"B/A": round(b / a, 3), "A/nginx": round(a / floor, 3),
                                           "B/nginx": round(b / floor, 3)}
        summary["c=1 p50/p99 µs"] = {n: [summary[f"{n} c=1"]["p50 µs"], summary[f"{n} c=1"]["p99 µs"]] for n in targets}
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    finally:
        for process in processes:
            process.stop()


if __name__ == "__main__":
    main()
