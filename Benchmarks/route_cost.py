"""What a dynamic route adds to a request: one gateway process, the fixed nginx upstream, and
`/compat/chat/completions` asked for the same model two ways, `openai/gpt-4o-mini` (direct)
and `dynamic/bench`, a three-element route (start, model openai/gpt-4o-mini, end); rounds taken
in turn, medians reported with the route/direct ratio. Used by bench.py; runnable alone:

    python3 Benchmarks/route_cost.py --aigw .build/release/aigw [--duration 5] [--rounds 3]
"""
import json
import shutil
import tempfile
import urllib.request
from pathlib import Path

import bench

ELEMENTS = [
    {"id": "start", "type": "start", "outputs": {"next": {"elementId": "model"}}},
    {"id": "model", "type": "model", "properties": {"provider": "openai", "model": "gpt-4o-mini", "timeout": 30000, "retries": 0},
     "outputs": {"success": {"elementId": "end"}}},
    {"id": "end", "type": "end", "outputs": {}},
]
BODIES = {"direct": '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}',
          "route": '{"model":"dynamic/bench","messages":[{"role":"user","content":"Hello"}]}'}


def run(aigw: str, duration: int = 5, rounds: int = 3) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="aigw-route-"))
    upstream, upstream_port = bench.start_fixed_upstream(workdir)
    gateway, port = bench.serve_against(aigw, workdir, upstream_port, f"sqlite:{workdir}/route.sqlite")
    try:
        api = f"http://127.0.0.1:{port}/client/v4/accounts/local/ai-gateway/gateways"
        for url, body in ((api, {"id": "bench"}), (f"{api}/bench/routes", {"name": "bench", "elements": ELEMENTS})):
            request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                             headers={"content-type": "application/json"})
            urllib.request.urlopen(request, timeout=30).read()
        url = f"http://127.0.0.1:{port}/v1/local/bench/compat/chat/completions"
        return bench.side_by_side({name: (url, None, body) for name, body in BODIES.items()}, duration, rounds)
    finally:
        gateway.stop()
        upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    bench.cost_script(__doc__, run)
