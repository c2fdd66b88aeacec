"""`@governed`: a Python tool function runs only when governance allows the call.

    @governed(kind="shell", principal="agent:ops", text="command")
    def run(command: str) -> str: ...

    @governed(principal="agent:etl")            # kind "tool": name and arguments are judged
    async def delete_rows(table: str, where: str) -> int: ...

Allow → the function runs. Deny → `ActionDenied` (carrying the verdict) is raised and the
function does not run. Escalate → with `escalation="wait"` (the default, from
`MAGISTRATE_ESCALATION`) the call waits for a human's approval up to `approval_timeout` seconds
(`MAGISTRATE_APPROVAL_TIMEOUT_S`) and then runs, or raises `ApprovalPending` (an
`ActionDenied`) when it is denied or the wait runs out; with `"return"` it raises
`ApprovalPending` at once, naming the approval id.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar, cast, overload

from magistrate.action import KINDS, MAX_TEXT_CHARS, Action
from magistrate.errors import ActionDenied, ApprovalPending, InvalidAction
from magistrate.governor import Governor
from magistrate.integrations.escalation import (
    Escalation,
    Outcome,
    check_escalation,
    resolve,
    resolve_sync,
)
from magistrate.integrations.redaction import redact

P = ParamSpec("P")
R = TypeVar("R")
Part = str | Callable[..., Any] | None

_default: Governor | None = None
_default_lock = threading.Lock()


def default_governor() -> Governor:
    """The process-wide governor `@governed` uses unless given one (`Governor.from_settings()`,
    created on first use and closed at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Governor.from_settings()
            atexit.register(_default.close)
        return _default


def _settings_escalation() -> tuple[Escalation, float]:
    from magistrate.config import Settings

    s = Settings()
    return s.escalation, s.approval_timeout_s


def _jsonable(value: Any) -> Any:
    """Arguments as JSON: values that are not JSON become their repr."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        if isinstance(value, Mapping):
            return {str(k): _jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [_jsonable(v) for v in value]
        return repr(value)


class _Spec:
    """How one decorated function's calls become actions."""

    def __init__(
        self,
        func: Callable[..., Any],
        kind: str,
        tool: str | None,
        text: Part,
        target: Part,
        principal: str | Callable[..., str] | None,
        role: str | None,
        session: str | Callable[..., str] | None,
        include_args: bool,
    ) -> None:
        if kind not in KINDS:
            raise InvalidAction("kind", f"must be one of {', '.join(sorted(KINDS))}; got {kind!r}")
        self.signature = inspect.signature(func)
        for name, part in (("text", text), ("target", target)):
            if isinstance(part, str) and part not in self.signature.parameters:
                raise ValueError(
                    f"@governed({name}={part!r}): {func.__qualname__} has no parameter {part!r}"
                )
        self.kind = kind
        self.tool = tool or func.__name__
        self.text = text
        self.target = target
        self.principal = principal
        self.role = role
        self.session = session
        self.include_args = include_args

    def action(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Action:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidAction("arguments", str(exc)) from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        values.pop("self", None)
        values.pop("cls", None)
        text = self._part("text", self.text, values)
        if text is None:
            text = self._default_text(values)
        return Action(
            kind=self.kind,
            text=text or "",
            tool=self.tool,
            args=_jsonable(values) if self.include_args else None,
            principal=self._call(self.principal, values),
            role=self.role,
            session=self._call(self.session, values),
            target=self._part("target", self.target, values),
        )

    def _default_text(self, values: dict[str, Any]) -> str | None:
        """Kinds other than `tool` judge text: the first string argument, by default."""
        if self.kind == "tool":
            return None
        for value in values.values():
            if isinstance(value, str):
                return value
        return None

    @staticmethod
    def _part(field: str, part: Part, values: dict[str, Any]) -> str | None:
        if part is None:
            return None
        value = values.get(part) if isinstance(part, str) else part(**values)
        if value is not None and not isinstance(value, str):
            raise InvalidAction(field, f"must be a string; got {type(value).__name__}")
        return value

    @staticmethod
    def _call(part: str | Callable[..., str] | None, values: dict[str, Any]) -> str | None:
        if part is None or isinstance(part, str):
            return part
        return part(**values)


def returned(gov: Governor, action: Action, result: Any) -> Any:
    """What a governed call returns: with a session, recorded as data (provenance: values it
    names are untrusted; orders in it taint the session); credentials masked (article 3)."""
    if action.session and isinstance(result, (str, dict, list)):
        text = result if isinstance(result, str) else json.dumps(_jsonable(result), default=str)
        if text.strip():
            gov.check(
                Action(
                    kind="tool_output",
                    text=text[:MAX_TEXT_CHARS],
                    tool=action.tool,
                    principal=action.principal,
                    session=action.session,
                )
            )
    return redact(result)[0]


def _raise_unless_allowed(outcome: Outcome) -> None:
    if outcome.allowed:
        return
    verdict = outcome.verdict
    if outcome.pending:
        note = outcome.note or f"approval {verdict.approval_id} pending"
        raise ApprovalPending(verdict, f"escalated for approval: {note}")
    if outcome.note:
        raise ActionDenied(verdict, f"escalation denied: {outcome.note}")
    raise ActionDenied(verdict)


@overload
def governed(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def governed(
    func: None = None,
    /,
    *,
    kind: str = "tool",
    principal: str | Callable[..., str] | None = None,
    role: str | None = None,
    session: str | Callable[..., str] | None = None,
    tool: str | None = None,
    text: Part = None,
    target: Part = None,
    include_args: bool = True,
    governor: Governor | None = None,
    escalation: Escalation | None = None,
    approval_timeout: float | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def governed(
    func: Callable[P, R] | None = None,
    /,
    *,
    kind: str = "tool",
    principal: str | Callable[..., str] | None = None,
    role: str | None = None,
    session: str | Callable[..., str] | None = None,
    tool: str | None = None,
    text: Part = None,
    target: Part = None,
    include_args: bool = True,
    governor: Governor | None = None,
    escalation: Escalation | None = None,
    approval_timeout: float | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the decorated function (sync or async) only when governance allows the call.

    `text` and `target` name a parameter (or are a function of the arguments) giving the
    action's text and target; by default kinds other than `tool` judge the first string
    argument. The tool name is the function's name unless `tool` is given, and the arguments
    are judged as `args` unless `include_args=False`. `principal` and `session` may be strings
    or functions of the arguments.
    """
    if escalation is not None:
        check_escalation(escalation)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        spec = _Spec(fn, kind, tool, text, target, principal, role, session, include_args)

        resolved: list[tuple[Escalation, float]] = []

        def policy() -> tuple[Governor, Escalation, float]:
            gov = governor or default_governor()
            if not resolved:  # read the settings once, on the first call
                how, timeout = (
                    _settings_escalation()
                    if escalation is None or approval_timeout is None
                    else (escalation, approval_timeout)
                )
                resolved.append(
                    (
                        escalation if escalation is not None else how,
                        approval_timeout if approval_timeout is not None else timeout,
                    )
                )
            return gov, *resolved[0]

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                action = spec.action(args, kwargs)
                gov, how, timeout = policy()
                verdict = await gov.acheck(action)
                _raise_unless_allowed(await resolve(gov, action, verdict, how, timeout))
                result = await cast(Callable[..., Any], fn)(*args, **kwargs)
                return returned(gov, action, result)

            async_wrapper.__magistrate_governed__ = spec  # type: ignore[attr-defined]
            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            action = spec.action(args, kwargs)
            gov, how, timeout = policy()
            verdict = gov.check(action)
            _raise_unless_allowed(resolve_sync(gov, action, verdict, how, timeout))
            return returned(gov, action, fn(*args, **kwargs))

        wrapper.__magistrate_governed__ = spec  # type: ignore[attr-defined]
        return cast(Callable[P, R], wrapper)

    if func is not None:
        return decorate(func)
    return decorate


__all__ = ["ActionDenied", "ApprovalPending", "default_governor", "governed"]
