"""Log export (Logpush, SPEC section 11): the stored logs of a gateway with `logpush` on,
written as gzip NDJSON in Cloudflare's dataset field names, Metadata and the bodies each
sealed for the gateway's RSA key. The files are opened here with Python's `cryptography`
(RSA-OAEP-SHA256 and AES-GCM, nothing of aigw's) and by `aigw logs decrypt`, and hold exactly
the logs stored, in order; a SIGKILL in the middle of exporting loses none and repeats none."""

import base64
import gzip
import json
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from openai import OpenAI

from conftest import AIGW
from otlp_receiver import OTLPReceiver
from test_cloudflare_client import client as cloudflare

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = PRIVATE_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
PRIVATE_PEM = PRIVATE_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def unseal(field: dict) -> bytes:
    """Opens one sealed field as any RSA-OAEP / AES-GCM implementation would."""
    assert field["type"] == "encrypted"
    key = PRIVATE_KEY.decrypt(
        base64.b64decode(field["key"]),
        padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    return AESGCM(key).decrypt(base64.b64decode(field["iv"]), base64.b64decode(field["data"]), None)


def lines(paths) -> list[dict]:
    result = []
    for path in sorted(paths):
        with gzip.open(path, "rt") as file:  # every gzip member, one after another
            result += [json.loads(line) for line in file if line.strip()]
    return result


def enable_logpush(gateway, gateway_id="exported"):
    cloudflare(gateway).ai_gateway.create(
        account_id="local", id=gateway_id, cache_invalidate_on_update=False, cache_ttl=0, collect_logs=True,
        rate_limiting_interval=0, rate_limiting_limit=0, logpush=True, logpush_public_key=PUBLIC_PEM)


def wait_until_exported(gateway, logs: int | None = None, timeout: float = 30):
    """Waits until `logs` logs of the gateway are stored (when given) and none waits for export."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = gateway.rows("SELECT COUNT(*) FROM logs WHERE gateway_id = 'exported'")[0][0]
        waiting = gateway.rows("SELECT COUNT(*) FROM logpush_outbox")[0][0]
        if (logs is None or stored >= logs) and waiting == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the Logpush queue did not empty")


def test_files_decrypt_to_exactly_the_logs_stored_in_order(start_gateway, tmp_path):
    export = tmp_path / "export"
    gateway = start_gateway(config={"logpush": {"directory": str(export), "batch_size": 7, "interval_ms": 50}})
    enable_logpush(gateway)
    client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("exported", "openai"), max_retries=0)
    other = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("default", "openai"), max_retries=0)
    sent = {}
    for n in range(20):
        answer = client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"prompt number {n}"}],
            extra_headers={"cf-aig-metadata": json.dumps({"n": n, "team": "blue"})})
        sent[answer.headers["cf-aig-log-id"]] = n
        other.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "not exported"}])
    wait_until_exported(gateway, logs=len(sent))
    assert gateway.stop() == 0
    assert not list(export.glob("*.partial"))  # the open file is finished at shutdown
    files = list(export.glob("aigw-logs-*.ndjson.gz"))
    exported = lines(files)

    stored = gateway.rows("SELECT id FROM logs WHERE gateway_id = 'exported' ORDER BY rowid")
    assert [line["ID"] for line in exported] == [row[0] for row in stored]
    assert set(sent) == {row[0] for row in stored}
    for line in exported:
        n = sent[line["ID"]]
        assert line["Gateway"] == "exported" and line["Provider"] == "openai" and line["Model"] == "gpt-4o-mini"
        assert line["StatusCode"] == 200 and line["Cached"] is False and line["RateLimited"] is False
        assert line["Endpoint"] == "chat/completions" and line["Metrics"]["tokensIn"] > 0 and line["Metrics"]["cost"] > 0
        assert json.loads(unseal(line["Metadata"])) == {"n": n, "team": "blue"}
        assert json.loads(unseal(line["RequestBody"]))["messages"][0]["content"] == f"prompt number {n}"
        assert json.loads(unseal(line["ResponseBody"]))["choices"][0]["message"]["content"]
        assert f"prompt number {n}" not in json.dumps(line)  # nothing in clear

    # aigw's own reader opens the same fields to the same bytes.
    printed = subprocess.run(
        [str(AIGW), "logs", "decrypt", "--key", str(write(tmp_path / "private.pem", PRIVATE_PEM))] + [str(f) for f in sorted(files)],
        capture_output=True, text=True, check=True).stdout.splitlines()
    decrypted = [json.loads(line) for line in printed]
    assert [d["ID"] for d in decrypted] == [line["ID"] for line in exported]
    for d, line in zip(decrypted, exported):
        assert d["RequestBody"] == unseal(line["RequestBody"]).decode()
        assert d["Metadata"] == json.loads(unseal(line["Metadata"]))

    # Another key cannot open them: a clear error, naming the line.
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    refused = subprocess.run(
        [str(AIGW), "logs", "decrypt", "--key", str(write(tmp_path / "other.pem", other_key)), str(sorted(files)[0])],
        capture_output=True, text=True)
    assert refused.returncode != 0 and "line 1" in refused.stderr and "cannot be decrypted" in refused.stderr


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_sigkill_while_exporting_loses_and_repeats_nothing(start_gateway, tmp_path):
    export = tmp_path / "export"
    # Durable logs: every answered request's log is stored before its answer completes, so
    # "none missing" holds from the client's answers to the exported files.
    config = {
        "log_queue": {"durable": True},
        "logpush": {"directory": str(export), "batch_size": 5, "interval_ms": 20, "max_file_bytes": 4000},
    }
    gateway = start_gateway(config=config)
    enable_logpush(gateway)

    stop = threading.Event()
    answered = []

    def load(port):
        client = OpenAI(api_key="sk-test", base_url=f"http://127.0.0.1:{port}/v1/local/exported/openai", max_retries=0)
        while not stop.is_set():
            try:
                client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "load"}])
                answered.append(1)
            except Exception:
                return  # the process was killed

    workers = [threading.Thread(target=load, args=(gateway.port,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    # Kill once some files are finished and more batches are under way.
    deadline = time.monotonic() + 30
    while len(list(export.glob("*.ndjson.gz"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(export.glob("*.ndjson.gz")), "no file was finished before the kill"
    gateway.stop(signal.SIGKILL)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)

    # The same database and directory: the export resumes where it was delivered to.
    restarted = start_gateway(config=config)
    wait_until_exported(restarted)
    assert restarted.stop() == 0
    exported = [line["ID"] for line in lines(export.glob("aigw-logs-*.ndjson.gz"))]
    stored = [row[0] for row in restarted.rows("SELECT id FROM logs WHERE gateway_id = 'exported' ORDER BY rowid")]
    assert len(stored) >= len(answered) > 0
    assert len(exported) == len(set(exported)), "a log was exported twice"
    assert exported == stored


def test_http_endpoint_receives_gzip_ndjson_batches(start_gateway):
    endpoint = OTLPReceiver()  # records any POST, gunzipped
    try:
        gateway = start_gateway(config={"logpush": {
            "url": endpoint.url.replace("/v1/traces", "/logs"), "headers": {"x-logs-key": "k-1"}, "interval_ms": 50}})
        enable_logpush(gateway)
        client = OpenAI(api_key="sk-test", base_url=gateway.gateway_url("exported", "openai"), max_retries=0)
        ids = [client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "to the endpoint"}]).headers["cf-aig-log-id"] for _ in range(3)]
        wait_until_exported(gateway, logs=3)
        received = [json.loads(line) for _, headers, body in endpoint.exports for line in body.decode().splitlines()]
        assert [line["ID"] for line in received] == ids
        assert all(headers["x-logs-key"] == "k-1" and headers["content-type"] == "application/x-ndjson"
                   for _, headers, _ in endpoint.exports)
        assert json.loads(unseal(received[0]["RequestBody"]))["messages"][0]["content"] == "to the endpoint"
    finally:
        endpoint.close()
