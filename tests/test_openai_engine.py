"""The OpenAI-compatible engine against a local stand-in server: n samples, usage, errors."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cope.errors import CopeError
from cope.models.base import GenRequest
from cope.models.openai_engine import OpenAIEngine


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, with_usage: bool):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.with_usage = with_usage
        self.bodies: list[dict] = []


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_POST(self):  # noqa: N802 - the http.server hook name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append(body)
        text = f"answer with seed {body.get('seed')}"
        reply = {
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
        }
        if self.server.with_usage:
            reply["usage"] = {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server(request):
    srv = _Server(with_usage=getattr(request, "param", True))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()


def _engine(srv) -> OpenAIEngine:
    return OpenAIEngine("stand-in", base_url=f"http://127.0.0.1:{srv.server_port}/v1")


def test_n_samples_are_n_billed_calls_in_order(server):
    msgs = ({"role": "user", "content": "2+2?"},)
    reqs = [GenRequest(msgs, temperature=0.8, max_tokens=32, seed=k) for k in range(8)]
    out = _engine(server).generate(reqs)
    assert [g.text for g in out] == [f"answer with seed {k}" for k in range(8)]
    assert len(server.bodies) == 8 and all(b.get("n", 1) == 1 for b in server.bodies)
    assert {b["temperature"] for b in server.bodies} == {0.8}
    assert [(g.input_tokens, g.output_tokens) for g in out] == [(11, 4)] * 8


@pytest.mark.parametrize("server", [False], indirect=True)
def test_missing_usage_is_an_error_not_a_zero(server):
    with pytest.raises(CopeError, match="no token usage"):
        _engine(server).generate([GenRequest(({"role": "user", "content": "hi"},))])
