"""What a crash can lose: with `log_queue.durable`, nothing a client was answered.

Under load the gateway is killed with SIGKILL (no drain); every answer a client received
whole must then have its log in the database. (Without `durable`, the records still queued
are lost: the benchmark measures how many.)
"""

import http.client
import json
import signal
import sqlite3
import threading

from conftest import AIGW  # noqa: F401  (the binary the fixtures start)


def hammer(port: int, path: str, answered: list, stop: threading.Event, lock: threading.Lock) -> None:
    """Keep-alive requests until told to stop or the gateway dies; records the log ids of whole answers."""
    body = json.dumps({"model": "gpt-4o-mini", "messages": []})
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            connection.request("POST", path, body=body, headers={"content-type": "application/json"})
            response = connection.getresponse()
            response.read()  # raises if the answer breaks off: only whole answers count
            if response.status == 200:
                with lock:
                    answered.append(response.getheader("cf-aig-log-id"))
    except (OSError, http.client.HTTPException):
        pass  # the gateway was killed


def test_sigkill_under_load_loses_no_answered_log_when_durable(start_gateway):
    gateway = start_gateway(config={"log_queue": {"durable": True}})
    path = "/v1/local/crash/openai/chat/completions"
    answered, stop, lock = [], threading.Event(), threading.Lock()
    workers = [threading.Thread(target=hammer, args=(gateway.port, path, answered, stop, lock)) for _ in range(16)]
    for worker in workers:
        worker.start()
    # Kill once a few hundred answers are in, with 16 requests in flight.
    while True:
        with lock:
            if len(answered) >= 400:
                break
        if not any(worker.is_alive() for worker in workers):
            break
    gateway.process.send_signal(signal.SIGKILL)
    gateway.process.wait(timeout=30)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert len(answered) >= 400
    with sqlite3.connect(gateway.database) as connection:
        stored = {row[0] for row in connection.execute("SELECT id FROM logs WHERE gateway_id = 'crash'")}
    missing = [log_id for log_id in answered if log_id not in stored]
    assert missing == [], f"{len(missing)} of {len(answered)} answered requests have no log"


def test_durable_answers_wait_for_their_log(start_gateway):
    """While another connection holds the database's write lock, an answer cannot complete."""
    gateway = start_gateway(config={"log_queue": {"durable": True}})
    url_path = "/v1/local/barrier/openai/chat/completions"
    body = json.dumps({"model": "gpt-4o-mini", "messages": []})
    # One answer first, so the gateway and its tables exist.
    warm = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    warm.request("POST", url_path, body=body, headers={"content-type": "application/json"})
    assert warm.getresponse().read()
    blocker = sqlite3.connect(gateway.database, timeout=30, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    done = threading.Event()
    result = {}

    def ask():
        connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=60)
        connection.request("POST", url_path, body=body, headers={"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        result["log_id"] = response.getheader("cf-aig-log-id")
        done.set()

    thread = threading.Thread(target=ask)
    thread.start()
    # Held answers stay held: the answer has not completed after a second of the lock.
    assert not done.wait(timeout=1.0), "the answer completed before its log could be written"
    blocker.execute("ROLLBACK")
    blocker.close()
    assert done.wait(timeout=30)
    thread.join()
    # Completed means written: the log is there at once, with no waiting.
    assert gateway.rows("SELECT COUNT(*) FROM logs WHERE id = ?", (result["log_id"],)) == [(1,)]
