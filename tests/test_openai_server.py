"""The OpenAI-compatible note writer against a real HTTP server on 127.0.0.1 (http.server in a thread):
scripted JSON, the tiny transformers model, 429 + Retry-After, 500 then success, malformed bodies and
replies, slow replies (timeouts), servers without JSON mode; plus doctor's endpoint check."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lecture_notes.backends.base import NoteWriter
from lecture_notes.backends.registry import create
from lecture_notes.backends.llm_openai import check_endpoint, normalize_base_url, retry_after_seconds
from lecture_notes.core.types import Chunk, ChunkNotes, Sentence

CHUNK = Chunk(0, 0.0, 12.0, (Sentence(0.0, 5.0, "Gradient descent updates the weights."),
                             Sentence(5.0, 12.0, "The learning rate controls the step.")))
GOOD = json.dumps({"summary": [{"text": "Gradient descent updates the weights.", "start": 0.0, "end": 5.0}],
                   "key_points": [{"text": "The learning rate controls the step.", "start": 5.0, "end": 12.0}],
                   "qa": [{"question": "What controls the step?", "answer": "The learning rate.",
                           "kind": "concept", "start": 5.0, "end": 12.0}]})


class Fallback(NoteWriter):
    name = "extractive"

    def write(self, chunk, *, context=""):
        return ChunkNotes(chunk.start, chunk.end, (), (), (), backend="extractive")


class Server:
    """A loopback OpenAI-compatible server; ``script`` is a list of actions consumed one per chat request."""

    def __init__(self):
        self.script = []
        self.bodies = []
        self.times = []
        self.headers = []
        self.generate = None  # callable(messages) -> text, for the tiny-model mode
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, payload, headers=None):
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                if self.path == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": "tiny", "max_model_len": 4096}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self):
                self._post()

            def _post(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                outer.times.append(time.monotonic())
                outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                action = outer.script.pop(0) if outer.script else ("ok", GOOD)
                kind, arg = action
                if kind == "ok":
                    self._send(200, {"choices": [{"message": {"role": "assistant", "content": arg}}]})
                elif kind == "model":
                    text = outer.generate(body["messages"])
                    self._send(200, {"choices": [{"message": {"role": "assistant", "content": text}}]})
                elif kind == "status":
                    code, headers = arg
                    self._send(code, {"error": {"message": f"status {code}"}}, headers)
                elif kind == "no_json_mode":
                    if "response_format" in body:
                        self._send(400, {"error": {"message": "response_format is not supported"}})
                    else:
                        self._send(200, {"choices": [{"message": {"content": GOOD}}]})
                elif kind == "raw":
                    self._send(200, arg)
                elif kind == "slow":
                    # Counted while the request is being "worked on", not while the reply is written: a client
                    # that has read the reply may start its next request before this handler returns.
                    with outer.lock:
                        outer.in_flight += 1
                        outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    try:
                        time.sleep(arg)
                    finally:
                        with outer.lock:
                            outer.in_flight -= 1
                    self._send(200, {"choices": [{"message": {"content": GOOD}}]})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    s = Server()
    yield s
    s.close()


def writer(url, **kw):
    opts = dict(base_url=url, model="tiny", backoff=0.05, max_backoff=2.0, timeout=5.0, fallback=Fallback())
    opts.update(kw)
    return create("notes", "openai", **opts)


def test_scripted_reply_json_mode_auth_and_grounding(server, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-test")
    w = writer(server.url, api_key_env="MY_KEY")
    notes = w.write(CHUNK)
    assert notes.backend == "openai" and notes.qa[0].answer == "The learning rate."
    body = server.bodies[0]
    assert body["model"] == "tiny" and body["response_format"] == {"type": "json_object"}
    assert body["messages"][0]["role"] == "system" and "[5.0-12.0]" in body["messages"][1]["content"]
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    assert w.context_length == 4096  # from GET /v1/models max_model_len
    assert w.stats()["llm_chunks"] == 1


def test_model_discovered_when_not_given(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    w = writer(server.url, model="")
    w.write(CHUNK)
    assert w.model == "tiny" and server.bodies[0]["model"] == "tiny"
    assert "authorization" not in server.headers[0]  # no key configured: no auth header at all


def test_429_honours_retry_after(server):
    server.script = [("status", (429, {"Retry-After": "1"})), ("ok", GOOD)]
    w = writer(server.url)
    assert w.write(CHUNK).backend == "openai"
    assert len(server.bodies) == 2 and server.times[1] - server.times[0] >= 0.95


def test_500_then_success_with_backoff(server):
    server.script = [("status", (500, {})), ("status", (503, {})), ("ok", GOOD)]
    w = writer(server.url, backoff=0.1)
    assert w.write(CHUNK).backend == "openai"
    gaps = [b - a for a, b in zip(server.times, server.times[1:])]
    assert len(server.bodies) == 3 and gaps[0] >= 0.09 and gaps[1] >= 0.19  # 0.1 s, then doubled


def test_client_error_is_not_retried_and_falls_back(server):
    server.script = [("status", (401, {}))]
    w = writer(server.url)
    assert w.write(CHUNK).backend == "extractive"
    assert len(server.bodies) == 1 and w.stats()["llm_errors"] == 1 and w.stats()["llm_fallbacks"] == 1


def test_malformed_body_retried_then_fallback(server):
    server.script = [("raw", b"<html>oops"), ("raw", b"{not json"), ("raw", b"{}")]
    w = writer(server.url, max_retries=1)
    assert w.write(CHUNK).backend == "extractive"
    s = w.stats()
    assert len(server.bodies) == 2 and s["llm_errors"] == 1 and s["llm_fallbacks"] == 1 and s["llm_repairs"] == 0


def test_malformed_reply_content_is_repaired(server):
    server.script = [("ok", '{"summary": [ broken'), ("ok", GOOD)]
    w = writer(server.url)
    assert w.write(CHUNK).backend == "openai"
    assert "invalid JSON" in server.bodies[1]["messages"][-1]["content"]
    assert w.stats()["llm_repairs"] == 1


def test_slow_reply_times_out_and_retries(server):
    server.script = [("slow", 1.5), ("ok", GOOD)]
    w = writer(server.url, timeout=0.5)
    t0 = time.monotonic()
    assert w.write(CHUNK).backend == "openai"
    assert len(server.bodies) == 2 and time.monotonic() - t0 < 1.5


def test_server_without_json_mode(server):
    server.script = [("no_json_mode", None), ("no_json_mode", None)]
    w = writer(server.url)
    assert w.write(CHUNK).backend == "openai"
    assert "response_format" in server.bodies[0] and "response_format" not in server.bodies[1]
    assert w.json_mode == "off"


def test_write_many_concurrent(server):
    server.script = [("slow", 0.4)] * 4
    w = writer(server.url, concurrency=4)
    t0 = time.monotonic()
    out = w.write_many([CHUNK] * 4)
    assert [n.backend for n in out] == ["openai"] * 4
    assert time.monotonic() - t0 < 1.2  # four 0.4 s replies in parallel, not 1.6 s in sequence


def test_429_then_500_then_success_with_backoff(server):
    """Issue 7: a busy vLLM server answers 429 and then 500 before it succeeds; the writer backs off and the
    chunk is written by the model, not the fallback."""
    server.script = [("status", (429, {})), ("status", (500, {})), ("ok", GOOD)]
    w = writer(server.url, backoff=0.1)
    assert w.write(CHUNK).backend == "openai"
    gaps = [b - a for a, b in zip(server.times, server.times[1:])]
    assert len(server.bodies) == 3 and gaps[0] >= 0.09 and gaps[1] >= 0.19
    assert w.stats()["llm_errors"] == 0 and w.stats()["llm_fallbacks"] == 0


def test_requests_run_concurrently_but_never_above_the_bound(server):
    server.script = [("slow", 0.3)] * 9
    w = writer(server.url, concurrency=3)
    t0 = time.monotonic()
    out = w.write_many([CHUNK] * 9)
    elapsed = time.monotonic() - t0
    assert [n.backend for n in out] == ["openai"] * 9 and len(server.bodies) == 9
    assert server.max_in_flight == 3  # really concurrent, and never more than `concurrency`
    assert elapsed < 9 * 0.3 * 0.6  # about three rounds of 0.3 s, not nine


def test_without_the_sdk_the_openai_backend_says_how_to_install_it(tmp_path):
    """Without the optional openai SDK, `--llm openai:URL` fails at once with the install line."""
    import subprocess
    import sys
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "samples" / "lecture.mp4"
    code = ("import sys\n"
            "sys.modules['openai'] = None  # as if the SDK were not installed\n"
            "from lecture_notes.cli import main\n"
            f"main(['build', {str(sample)!r}, '-o', {str(tmp_path / 'out')!r}, '--llm', 'openai:http://127.0.0.1:9/v1'])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "pip install 'lecture-notes[openai]'" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    code = ("import sys\nsys.modules['openai'] = None\n"
            "from lecture_notes.backends.registry import create\n"
            "create('notes', 'openai', base_url='http://127.0.0.1:9/v1')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "BackendError: the openai backend needs the openai SDK; install it with pip install " \
           "'lecture-notes[openai]'" in proc.stderr


def test_serving_the_tiny_transformers_model(server, tiny_llm_dir, tmp_path):
    local = create("notes", "transformers", model=str(tiny_llm_dir), max_new_tokens=5)
    server.generate = lambda messages: local._generate([messages], max_new_tokens=5)[0]
    server.script = [("model", None), ("model", None)]
    w = writer(server.url)
    assert w.write(CHUNK).backend == "extractive"
    s = w.stats()
    assert len(server.bodies) == 2 and s["llm_repairs"] == 1 and s["llm_fallbacks"] == 1


def test_doctor_endpoint_check(server):
    ok = check_endpoint(server.url, model="tiny")
    assert ok.ok and "tiny" in ok.message
    wrong = check_endpoint(server.url, model="llama")
    assert not wrong.ok and "does not serve 'llama'" in wrong.message and "--llm-model tiny" in wrong.fix
    server.close()
    down = check_endpoint(server.url, timeout=0.5)
    assert not down.ok and "connection failed" in down.message
    server.httpd = type("X", (), {"shutdown": lambda s: None, "server_close": lambda s: None})()


def test_url_and_retry_after_helpers():
    assert normalize_base_url("http://h:1") == "http://h:1/v1"
    assert normalize_base_url("http://h:1/v1/chat/completions") == "http://h:1/v1"
    assert normalize_base_url("https://x.ai/openai/v1/") == "https://x.ai/openai/v1"
    assert retry_after_seconds("3") == 3.0 and retry_after_seconds(None) is None
    assert 0 <= retry_after_seconds(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))) <= 6
