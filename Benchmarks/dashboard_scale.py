"""The dashboard and analytics at scale: a gateway holding many logs (1,000,000 by default) in
SQLite, and in PostgreSQL when AIGW_BENCH_POSTGRES names a server, seeded in one
`INSERT ... SELECT` over the last 24 hours; aigw then starts (the migration fills the analytics
rollups from the logs) and the overview page, the analytics API and the logs page's first page
are timed (median of 5). Used by bench.py; runnable alone:

    python3 Benchmarks/dashboard_scale.py --aigw .build/release/aigw [--logs 1000000]
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import bench

SEED = """
INSERT INTO logs (id, gateway_id, provider, model, path, duration, status_code, success, cached, tokens_in, tokens_out,
  cost, request_size, request_head_complete, response_size, response_head_complete, created_at)
SELECT {id}, 'big', CASE i % 3 WHEN 0 THEN 'openai' WHEN 1 THEN 'groq' ELSE 'anthropic' END, 'model-' || (i % 7),
  'chat/completions', (i * 37) % 2000, CASE WHEN i % 13 = 0 THEN 500 ELSE 200 END, {success}, {cached}, i % 500, i % 300,
  (i % 100) / 100000.0, 200, {true}, 300, {true}, {now} - (i * {spacing})
FROM {series}
"""
# The rollups, made again by the migration that fills them from the logs.
UNDO_ROLLUPS = ["DROP TABLE log_rollups", "DROP TABLE log_rollups_hourly"]
PAGES = {"overview page": "/dashboard/gateways/big", "analytics API (24 h, hourly)": "/client/v4/accounts/local/ai-gateway/gateways/big/analytics",
         "logs page, first page": "/dashboard/gateways/big/logs"}


def timed(url: str, count: int = 5) -> float:
    """The median of `count` answer times, in milliseconds."""
    times = []
    for _ in range(count):
        started = time.monotonic()
        with urllib.request.urlopen(url, timeout=600) as response:
            response.read()
        times.append((time.monotonic() - started) * 1000)
    return round(statistics.median(times), 1)


def serve(aigw: str, database: str, workdir: Path) -> tuple[bench.Process, int, float]:
    """Starts aigw on `database`; returns it, its port and how long it took to listen (the migration)."""
    port = bench.free_port()
    started = time.monotonic()
    process = bench.Process([aigw, "serve", "--port", str(port), "--database", database], cwd=workdir)
    bench.wait_for_port(port, timeout=1800)  # the migration reads every log once
    return process, port, round(time.monotonic() - started, 1)


def measure(aigw: str, database: str, workdir: Path, seed) -> dict:
    process, _, _ = serve(aigw, database, workdir)  # migrates an empty database
    process.stop()
    seed()
    process, port, start_seconds = serve(aigw, database, workdir)
    try:
        figures = {name: timed(f"http://127.0.0.1:{port}{path}") for name, path in PAGES.items()}
    finally:
        process.stop()
    return {"first_start_s": start_seconds} | {f"{name} ms": value for name, value in figures.items()}


def seed_sqlite(path: Path, logs: int, now: int):
    def seed():
        with sqlite3.connect(path) as db:
            db.execute(SEED.format(
                id="printf('%026d', i)", success="i % 13 != 0", cached="i % 5 = 0", true="1", now=now, spacing=86_400_000 // logs,
                series=f"(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {logs - 1}) SELECT i FROM n)"))
            db.execute("INSERT OR IGNORE INTO gateways (id, settings, created_at, modified_at) VALUES ('big', '{\"id\":\"big\"}', 0, 0)")
            for statement in UNDO_ROLLUPS + ["DROP TRIGGER gateway_rollups_deleted", "DELETE FROM schema_migrations WHERE version = 6"]:
                db.execute(statement)
    return seed


def seed_postgres(url: str, logs: int, now: int):
    def seed():
        sql = SEED.format(
            id="lpad(i::text, 26, '0')", success="i % 13 != 0", cached="i % 5 = 0", true="true", now=now,
            spacing=86_400_000 // logs, series=f"generate_series(0, {logs - 1}) AS i")
        statements = [sql, "INSERT INTO gateways (id, settings, created_at, modified_at) VALUES ('big', '{\"id\":\"big\"}', 0, 0) ON CONFLICT DO NOTHING"]
        statements += UNDO_ROLLUPS + ["DELETE FROM schema_migrations WHERE version = 5", "VACUUM ANALYZE logs"]
        for statement in statements:
            subprocess.run(["psql", url, "-qc", statement], check=True, capture_output=True)
    return seed


def run(aigw: str, logs: int) -> dict:
    aigw = str(Path(aigw).resolve())
    workdir = Path(tempfile.mkdtemp(prefix="aigw-dashboard-"))
    now = int(time.time() * 1000)
    results = {"logs": logs}
    try:
        print(f"== dashboard with {logs:,} logs, SQLite", flush=True)
        database = workdir / "big.sqlite"
        results["sqlite"] = measure(aigw, f"sqlite:{database}", workdir, seed_sqlite(database, logs, now))
        admin = os.environ.get("AIGW_BENCH_POSTGRES")
        if admin and shutil.which("psql"):
            print(f"== dashboard with {logs:,} logs, PostgreSQL", flush=True)
            name = f"aigw_dashboard_{os.getpid()}"
            subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
            url = admin.rsplit("/", 1)[0] + "/" + name
            try:
                results["postgresql"] = measure(aigw, url, workdir, seed_postgres(url, logs, now))
            finally:
                subprocess.run(["psql", admin, "-qc", f"DROP DATABASE {name}"], capture_output=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aigw", required=True)
    parser.add_argument("--logs", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(run(args.aigw, args.logs), indent=2))
