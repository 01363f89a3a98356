"""Fixtures that run the real `aigw` binary: a mock upstream and a gateway, each on a
free loopback port, in a temporary working directory with its own SQLite file."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AIGW = Path(os.environ.get("AIGW_BIN", ROOT / ".build" / "debug" / "aigw"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 30) -> str:
    """Reads the process's stdout until a line containing `text` (its banner) appears."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if text in line:
            return line
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before printing {text!r}")
    raise TimeoutError(f"{process.args} printed no {text!r} within {timeout} s")


class Gateway:
    """A running `aigw serve` process."""

    def __init__(self, workdir: Path, env: dict, config: dict | None = None, args: list[str] | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.database = workdir / "aigw.sqlite"
        command = [str(AIGW), "serve", "--port", str(self.port)] + (args or [])
        if config is not None:
            config_path = workdir / "aigw.json"
            config_path.write_text(json.dumps(config))
            command += ["--config", str(config_path)]
        self.stderr = open(workdir / f"aigw-{self.port}.stderr", "w")
        self.process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=self.stderr, text=True
        )
        self.banner = wait_for_line(self.process, "aigw listening on")
        self.url = f"http://127.0.0.1:{self.port}"

    def gateway_url(self, gateway: str, provider: str) -> str:
        return f"{self.url}/v1/local/{gateway}/{provider}"

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def rows(self, sql: str, params=()) -> list:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def wait_for_log(self, log_id: str, timeout: float = 10):
        """The log row with this id, once the batch writer has stored it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.rows("SELECT provider, model, tokens_in, tokens_out, status_code, success FROM logs WHERE id = ?", (log_id,))
            if rows:
                return rows[0]
            time.sleep(0.02)
        raise AssertionError(f"log {log_id} was not stored within {timeout} s")


@pytest.fixture(scope="session")
def mock_upstream():
    """`aigw mock-upstream` on a free port, and the environment that points a gateway at it."""
    port = free_port()
    process = subprocess.Popen(
        [str(AIGW), "mock-upstream", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    wait_for_line(process, "listening on")
    exports = subprocess.run(
        [str(AIGW), "mock-upstream", "--print-env", "--port", str(port)], capture_output=True, text=True, check=True
    ).stdout
    env = dict(os.environ)
    for line in exports.splitlines():
        name, value = line.removeprefix("export ").split("=", 1)
        env[name] = value.strip("'")
    yield {"port": port, "url": f"http://127.0.0.1:{port}", "env": env}
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@pytest.fixture
def gateway(tmp_path, mock_upstream):
    """A gateway with default settings, pointed at the mock."""
    running = Gateway(tmp_path, mock_upstream["env"])
    yield running
    running.stop()


@pytest.fixture
def start_gateway(tmp_path, mock_upstream):
    """Starts gateways with a given configuration; stops any still running afterwards."""
    started = []

    def start(config=None, args=None):
        running = Gateway(tmp_path, mock_upstream["env"], config=config, args=args)
        started.append(running)
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.stop(signal.SIGKILL)
