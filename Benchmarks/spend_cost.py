"""The cost of spend limits per request: one gateway process answering the same small chat
completion from the fixed upstream (nginx) on two gateways side by side, `plain` (no rules)
and `budgeted` (three spend rules: every request, per `user` metadata partition, and
provider openai), rounds taken in turn, medians reported with the budgeted/plain ratio. On
SQLite (counters in the process) and, when AIGW_BENCH_POSTGRES names a server, PostgreSQL
(one read of the shared counters per request). Logging is on for both. Used by bench.py;
runnable alone:

    python3 Benchmarks/spend_cost.py --aigw .build/release/aigw [--duration 5] [--rounds 3]
"""
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import bench

RULES = {"spend_limits": {"rules": [
    {"id": "all", "limit": 1e9, "limitType": "cost", "window": 86400},
    {"id": "per-user", "limit": 1e9, "limitType": "cost", "window": 3600, "technique": "sliding",
     "metadata": {"user": {"mode": "partition"}}},
    {"id": "openai", "limit": 1e9, "limitType": "cost", "window": 60, "provider": {"mode": "filter", "values": ["openai"]}},
]}}
HEADERS = {"cf-aig-metadata": '{"user":"bench-user"}'}


def measure(aigw: str, database: str, upstream_port: int, workdir: Path, duration: int, rounds: int) -> dict:
    gateway, port = bench.serve_against(aigw, workdir, upstream_port, database, {"gateways": {"plain": {}, "budgeted": RULES}})
    try:
        base = f"http://127.0.0.1:{port}/v1/local"
        return bench.side_by_side({name: (f"{base}/{name}/openai/chat/completions", HEADERS, bench.CHAT)
                                   for name in ("plain", "budgeted")}, duration, rounds)
    finally:
        gateway.stop()


def run(aigw: str, duration: int = 5, rounds: int = 3) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="aigw-spend-"))
    upstream, upstream_port = bench.start_fixed_upstream(workdir)
    try:
        results = {"sqlite": measure(aigw, f"sqlite:{workdir}/spend.sqlite", upstream_port, workdir, duration, rounds)}
        postgres = os.environ.get("AIGW_BENCH_POSTGRES")
        if postgres:
            base, _, _ = postgres.rpartition("/")
            name = "aigw_spend_" + uuid.uuid4().hex[:8]
            bin_dir = os.environ.get("AIGW_TEST_POSTGRES_BIN", "")
            subprocess.run([f"{bin_dir}/psql" if bin_dir else "psql", postgres, "-qc", f"CREATE DATABASE {name}"], check=True)
            results["postgresql"] = measure(aigw, f"{base}/{name}", upstream_port, workdir, duration, rounds)
        return results
    finally:
        upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    bench.cost_script(__doc__, run)
