"""A small OTLP/HTTP receiver for the tests: records every export, and decodes the spans of
both encodings (protobuf with the reference `opentelemetry-proto` bindings, JSON by OTLP's
JSON mapping) into one plain shape, so a test can compare them."""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def _proto_value(value):
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def _json_value(value: dict):
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])  # 64-bit integers are strings in OTLP JSON
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return value["boolValue"]
    return None


def decode_protobuf(body: bytes) -> list[dict]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: _proto_value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append({
                    "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex() or None, "name": span.name, "kind": span.kind,
                    "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                    "attributes": {kv.key: _proto_value(kv.value) for kv in span.attributes},
                    "status": span.status.code, "resource": resource, "scope": scope_spans.scope.name,
                })
    return spans


def decode_json(body: bytes) -> list[dict]:
    request = json.loads(body)
    spans = []
    for resource_spans in request["resourceSpans"]:
        resource = {kv["key"]: _json_value(kv["value"]) for kv in resource_spans["resource"]["attributes"]}
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                spans.append({
                    "trace_id": span["traceId"], "span_id": span["spanId"], "parent_span_id": span.get("parentSpanId") or None,
                    "name": span["name"], "kind": span["kind"], "start": int(span["startTimeUnixNano"]),
                    "end": int(span["endTimeUnixNano"]),
                    "attributes": {kv["key"]: _json_value(kv["value"]) for kv in span["attributes"]},
                    "status": span.get("status", {}).get("code", 0), "resource": resource, "scope": scope_spans["scope"]["name"],
                })
    return spans


class OTLPReceiver:
    """Listens on a free loopback port; `status` is what it answers (e.g. 503 to act down),
    `hang` makes it never answer."""

    def __init__(self, status: int = 200, hang: bool = False):
        self.exports = []  # (path, headers, body)
        self.status = status
        self.hang = hang
        self.lock = threading.Lock()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                with receiver.lock:
                    receiver.exports.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.hang:
                    receiver.release.wait(60)
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self) -> list[dict]:
        with self.lock:
            exports = list(self.exports)
        spans = []
        for _, headers, body in exports:
            if headers.get("content-type") == "application/x-protobuf":
                spans += decode_protobuf(body)
            else:
                spans += decode_json(body)
        return spans

    def wait_for_spans(self, predicate, timeout: float = 20) -> list[dict]:
        """The spans received, once `predicate(spans)` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spans = self.spans()
            if predicate(spans):
                return spans
            time.sleep(0.05)
        raise AssertionError(f"spans not as expected within {timeout} s: {self.spans()}")

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
