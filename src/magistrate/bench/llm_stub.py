"""A local OpenAI-compatible chat-completions server, for tests and benchmarks.

Real HTTP on loopback, speaking `POST /v1/chat/completions` as vLLM, Ollama or llama.cpp do.
Behaviour is chosen per server (`mode`, `latency_s`, `recommendation`, `schema`) or per
request by a marker in the last user message: `[[latency=0.5]]`, `[[status=500]]`, `[[hang]]`,
`[[malformed]]`, `[[partial]]` (the JSON cut off), `[[fenced]]` (in a ```json block),
`[[prose]]` (the object inside sentences), `[[recommend=refuse]]`, `[[professional]]`.
With `schema=False` the server answers 400 to a `json_schema` response format, as older
endpoints do. Requests, their models, response formats and bodies are recorded, so tests can
check what was sent, single-flight and caching.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_MARKER = re.compile(r"\[\[(\w+)(?:=([\w.]+))?\]\]")
_CRISIS = re.compile(
    r"\b(suicid\w*|kill (myself|himself|herself)|end (my|his|her) life|"
    r"self[- ]harm|hurt (myself|someone))\b",
    re.I,
)


class StubLLM:
    """Start with `start()`; `url` is the base URL to give the OpenAI SDK."""

    def __init__(
        self,
        latency_s: float = 0.0,
        mode: str = "normal",
        recommendation: str = "proceed",
        schema: bool = True,
    ) -> None:
        self.latency_s = latency_s
        self.mode = mode  # normal | error | hang | malformed | partial | fenced | prose
        self.recommendation = recommendation
        self.schema = schema  # False: a json_schema response format is a 400
        self.requests = 0
        self.models: list[str] = []
        self.formats: list[str | None] = []  # response_format type of each request
        self.bodies: list[dict[str, Any]] = []
        self.active = 0  # requests being answered now
        self.peak = 0  # the most answered at once (tests check batches run concurrently)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> StubLLM:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                return

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle's algorithm
                # against the client's delayed ACK adds ~40 ms to every answer
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with stub._lock:
                    stub.active += 1
                    stub.peak = max(stub.peak, stub.active)
                try:
                    stub._serve(self, body)
                finally:
                    with stub._lock:
                        stub.active -= 1

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # the default backlog (5) drops bursts of connects
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StubLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        fmt = body.get("response_format")
        fmt_type = fmt.get("type") if isinstance(fmt, dict) else None
        with self._lock:
            self.requests += 1
            self.models.append(str(body.get("model")))
            self.formats.append(fmt_type)
            self.bodies.append(body)
        if fmt_type == "json_schema" and not self.schema:
            message = "response_format json_schema is not supported"
            self._send(handler, 400, {"error": {"message": message, "type": "invalid_request"}})
            return
        messages = body.get("messages") or []
        last = str(messages[-1].get("content", "")) if messages else ""
        markers = {m.group(1): m.group(2) for m in _MARKER.finditer(last)}
        latency = float(markers.get("latency") or self.latency_s)
        mode = self.mode
        for name in ("hang", "malformed", "partial", "fenced", "prose"):
            if name in markers:
                mode = name
        if "status" in markers:
            mode = "error"
        if mode == "hang":
            time.sleep(30)
        if latency:
            time.sleep(latency)
        if mode == "error":
            status = int(markers.get("status") or 500)
            self._send(handler, status, {"error": {"message": "stub failure", "type": "server"}})
            return
        recommendation = markers.get("recommend") or self.recommendation
        professional = "professional" in markers or bool(_CRISIS.search(last))
        if professional:
            recommendation = "escalate"
        answer = {
            "recommendation": recommendation,
            "articles": ["confidentiality"] if recommendation != "proceed" else [],
            "concerns": ["stub concern"] if recommendation != "proceed" else [],
            "questions": ["Is it reversible?"],
            "confidence": 0.8,
            "requires_professional": professional,
            "counsel": f"stub counsel: {recommendation}",
        }
        content = _render(json.dumps(answer), mode)
        self._send(
            handler,
            200,
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
        )

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout)


def _render(answer: str, mode: str) -> str:
    """The answer as a model in this mode would write it."""
    if mode == "malformed":
        return "this is { not json"
    if mode == "partial":
        return answer[: len(answer) // 2]  # cut off mid-object, as at a token limit
    if mode == "fenced":
        return f"Here is my assessment:\n```json\n{answer}\n```"
    if mode == "prose":
        return f"Having weighed the action, my judgment is {answer} — please review."
    return answer


def main(argv: list[str] | None = None) -> None:
    """Serve until killed, printing the base URL first (benchmarks run it in its own process)."""
    import argparse

    parser = argparse.ArgumentParser(description="Local OpenAI-compatible stub server")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering")
    parser.add_argument("--recommend", default="proceed", help="default recommendation")
    args = parser.parse_args(argv)
    stub = StubLLM(latency_s=args.latency, recommendation=args.recommend).start()
    print(stub.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
