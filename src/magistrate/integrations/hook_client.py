"""The Claude Code hook as a thin client of a running `magistrate serve`.

With `MAGISTRATE_URL` set (and `MAGISTRATE_KEY`, an agent key), `magistrate hook claude-code`
posts each event's action to the server's `/v1/check` and prints the hook protocol's answer:
the constitution, trust, sessions, provenance, audit and approvals are the server's, and the
process imports the standard library and this package's event mapping only (no governor, no
pattern database), so it answers in tens of milliseconds.

* PreToolUse: the tool call's action, judged as `--principal` (the key must be that principal,
  or may act as it); allow, deny, escalate → allow, deny, ask.
* UserPromptSubmit: the prompt, as a `prompt` action with the session: the server records its
  values as the principal's instruction (and judges and audits it); the prompt goes on.
* PostToolUse: the result, as `tool_output` actions judged as `tool:NAME` (the key needs
  `--may-act-as 'tool:*'`); credentials in it are redacted here, as the standalone hook does.

It fails closed as the standalone hook does when governance is unavailable: a server that
cannot be reached, refuses the key, times out or answers anything but a verdict blocks the
event (exit status 2, the reason on stderr). Redirects are not followed (the key goes to the
configured server only).
"""

from __future__ import annotations

import json
import os

from magistrate.integrations import hook_flow
from magistrate.integrations.hook_event import (
    EXIT_OK,
    PERMISSION,
    HookAnswer,
    action_fields,
    blocked,
    decision_json,
    parse_event,
    reason_text,
)

TYPE_CHECKING = False  # on the thin client's path: no `typing` at run time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from magistrate.integrations.hook_flow import Judge

ENV_URL = "MAGISTRATE_URL"
ENV_KEY = "MAGISTRATE_KEY"
ENV_TIMEOUT = "MAGISTRATE_HOOK_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 30.0  # Sofia's System 2 may read the action within its budget
MAX_ANSWER_BYTES = 4_000_000


class Unavailable(Exception):
    """The server could not give a verdict: the event is blocked with this reason."""


class Invalid(Exception):
    """The server found the action invalid (422): denied, as the standalone hook denies."""


class Server:
    """A Magistrate server's `/v1/check`, over HTTP(S) with a bearer key (`http.client`: no
    redirects followed, no proxy from the environment; HTTPS certificates are verified)."""

    def __init__(self, url: str, key: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port  # ValueError when it is not a port
        self.path = parts.path.rstrip("/") + "/v1/check"
        self.url = f"{parts.scheme}://{parts.netloc}{self.path}"
        self.key = key
        self.timeout_s = timeout_s

    def check(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The verdict for one action (the server's JSON); Unavailable or Invalid otherwise."""
        import http.client

        body = json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass")
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = kind(self.host, self.port, timeout=self.timeout_s)
        try:
            connection.request("POST", self.path, body, headers)
            response = connection.getresponse()
            raw = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out
            raise Unavailable(f"cannot reach {self.url}: {exc}") from None
        finally:
            connection.close()
        if response.status == 422:
            raise Invalid(_detail(raw))
        if response.status != 200:
            raise Unavailable(f"the server answered {response.status}: {_detail(raw)}")
        return _verdict(raw)


def _detail(raw: bytes) -> str:
    try:
        data = json.loads(raw[:65_536])
        detail = data.get("detail") if isinstance(data, dict) else None
    except ValueError:
        detail = None
    return str(detail)[:500] if detail else "(no detail)"


def _verdict(raw: bytes) -> dict[str, Any]:
    """The server's answer, checked: a JSON object with a known decision, a tier, citations
    and reasons of the expected shapes. Anything else is no verdict."""
    if len(raw) > MAX_ANSWER_BYTES:
        raise Unavailable("the server's answer is larger than a verdict")
    try:
        data = json.loads(raw)
    except ValueError:
        raise Unavailable("the server's answer is not JSON") from None
    if not isinstance(data, dict) or data.get("decision") not in PERMISSION:
        raise Unavailable("the server's answer is not a verdict (no known decision)")
    citations = data.get("citations")
    reasons = data.get("reasons")
    approval = data.get("approval_id")
    if (
        not isinstance(data.get("risk"), str)
        or not isinstance(citations, list)
        or not all(isinstance(c, dict) for c in citations)
        or not isinstance(reasons, list)
        or not all(isinstance(r, str) for r in reasons)
        or (approval is not None and not isinstance(approval, str))
    ):
        raise Unavailable("the server's answer is not a verdict (malformed fields)")
    return data


def _reason(verdict: Mapping[str, Any]) -> str:
    cited = [
        f'art. {c.get("article_number")} "{c.get("article_title")}" ({c.get("rule_id")})'
        for c in verdict["citations"][:3]
    ]
    return reason_text(
        verdict["decision"], verdict["risk"], cited, verdict["reasons"], verdict.get("approval_id")
    )


def _judge(server: Server) -> Judge:
    def judge(fields: dict[str, Any]) -> tuple[str, str]:
        try:
            verdict = server.check(fields)
        except Invalid as exc:
            return "deny", f"Magistrate: deny — invalid: {exc}"
        return verdict["decision"], _reason(verdict)

    return judge


def claude_code_remote(
    raw: str,
    server: Server,
    *,
    principal: str = "agent:claude-code",
    role: str | None = None,
    defer_allow: bool = False,
) -> HookAnswer:
    """Answer one Claude Code hook event through the server; fail closed when it cannot."""
    event = parse_event(raw)
    if isinstance(event, HookAnswer):
        return event
    try:
        return _answer(event, server, principal, role, defer_allow)
    except Unavailable as exc:
        return blocked(f"Magistrate: governance unavailable ({exc}); blocked.")
    except Exception as exc:  # the last resort: no verdict, no tool call
        return blocked(f"Magistrate: hook error ({type(exc).__name__}: {exc}); blocked.")


def _answer(
    event: dict[str, Any], server: Server, principal: str, role: str | None, defer_allow: bool
) -> HookAnswer:
    name = event.get("hook_event_name")
    if name == "UserPromptSubmit":
        fields = hook_flow.prompt_fields(event, principal)
        if fields is not None:
            _judge(server)(fields)  # recorded as the instruction; the prompt goes on
        return HookAnswer("", "", EXIT_OK)
    if name == "PostToolUse":
        return hook_flow.post_tool_use(event, _judge(server))
    try:
        fields = action_fields(event, principal, role)
    except ValueError as exc:  # InvalidAction, naming the field
        reason = f"Magistrate: deny — invalid tool call: {exc}"
        return HookAnswer(decision_json("deny", reason), "", EXIT_OK)
    try:
        verdict = server.check(fields)
    except Invalid as exc:
        reason = f"Magistrate: deny — invalid tool call: {exc}"
        return HookAnswer(decision_json("deny", reason), "", EXIT_OK)
    decision = PERMISSION[verdict["decision"]]
    if decision == "allow" and event.get("tool_name") == "Read":
        masked = hook_flow.redacted_read(event, _judge(server))  # art. 3, as standalone
        if masked is not None:
            return HookAnswer(decision_json("deny", masked), "", EXIT_OK)
    if decision == "allow" and defer_allow:
        return HookAnswer("", "", EXIT_OK)
    return HookAnswer(decision_json(decision, _reason(verdict)), "", EXIT_OK)


def server_from_env(environ: Mapping[str, str] | None = None) -> Server | str | None:
    """The server the environment names; None without `MAGISTRATE_URL`; the reason (a string)
    when it is set but unusable (no key, not an http(s) URL, a bad timeout)."""
    env = os.environ if environ is None else environ
    url = env.get(ENV_URL, "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        return f"{ENV_URL} must be an http:// or https:// URL; got {url[:100]!r}"
    key = env.get(ENV_KEY, "").strip()
    if not key:
        return f"{ENV_URL} is set but {ENV_KEY} (an agent key for the server) is not"
    try:
        timeout = float(env.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT_S)
    except ValueError:
        return f"{ENV_TIMEOUT} must be a number of seconds"
    if not 0 < timeout <= 3_600:
        return f"{ENV_TIMEOUT} must be between 0 and 3600 seconds"
    try:
        return Server(url, key, timeout)
    except ValueError as exc:
        return f"{ENV_URL}: {exc}"


__all__ = ["Server", "claude_code_remote", "server_from_env"]
