"""Request bodies, parsed by the pydantic models of `models` — the same models the OpenAPI
document publishes, so what is validated and what is documented cannot drift apart.

The raw bytes are parsed by `jsonin` first (400 for what is not JSON; 422 for JSON over a limit,
without recursing into hostile depth), then validated by the model in strict mode (JSON types
as they are: `true` is no integer, `1.0` no string). A validation error is a 422 naming the
field (`actions[3].text`) and the limit in the words the library uses. The model's fields and
limits are the library's (`Action`'s constants); `Action` then checks what a schema cannot say
(the kind's aliases, Unicode, the size and depth of `args`)."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from magistrate import jsonin
from magistrate.action import Action
from magistrate.errors import InvalidAction
from magistrate.keys import ApiKey
from magistrate.server.auth import acting_principal
from magistrate.server.models import ActionIn, ResolveIn

M = TypeVar("M", bound=BaseModel)


def parse_json(raw: bytes) -> Any:
    """The JSON body: 400 when it is not JSON, 422 when it is over a limit."""
    try:
        return jsonin.parse(raw)
    except jsonin.MalformedJSON as exc:
        raise HTTPException(400, str(exc)) from None


def parse(model: type[M], data: Any, whole: str = "body") -> M:
    """`data` validated by `model`; InvalidAction (422) naming the first field at fault
    (`whole` when the body itself is the wrong shape)."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise problem(exc, whole) from None


def problem(exc: ValidationError, whole: str = "body") -> InvalidAction:
    """The first error of a validation as InvalidAction(field, message)."""
    errors = exc.errors(include_url=False)
    error = errors[0]
    loc = tuple(error.get("loc", ()))
    if (  # `str | int`: one error per member, each tagged with the member's type
        len(errors) > 1
        and loc
        and loc[-1] == "str"
        and tuple(errors[1].get("loc", ()))[:-1] == loc[:-1]
    ):
        loc = loc[:-1]
        error = {**error, "type": "str_or_int"}
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return InvalidAction(name or whole, _message(error, loc))


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    got = type(value).__name__
    if kind == "string_type":
        return f"must be a string; got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a JSON object; got {got}"
    if kind == "list_type":
        return f"must be a list of {loc[-1] if loc else 'items'}; got {got}"
    if kind == "string_unicode" and isinstance(value, str):
        position = next((i for i, c in enumerate(value) if "\ud800" <= c <= "\udfff"), 0)
        return f"is not valid Unicode text: an unpaired surrogate at position {position}"
    if kind == "string_too_long":
        return f"is {len(value):,} characters; the limit is {ctx.get('max_length', 0):,}"
    if kind == "too_long":
        noun = loc[-1] if loc and isinstance(loc[-1], str) else "items"
        size = len(value) if isinstance(value, list) else ctx.get("actual_length")
        return f"has {size:,} {noun}; the limit is {ctx.get('max_length', 0):,}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}; got {value!r}"
    if kind == "str_or_int":
        return f"must be a string or an integer; got {got}"
    if kind == "extra_forbidden":
        return "unknown field"
    return str(error.get("msg", "invalid"))


def action(key: ApiKey, body: ActionIn, where: str = "") -> Action:
    """The Action a validated body describes, judged as the principal the key may act as."""
    fields = dict(body.__dict__)
    if body.__pydantic_extra__:
        fields.update(body.__pydantic_extra__)
    fields["principal"] = acting_principal(key, body.principal, f"{where}principal")
    try:
        return Action.from_dict(fields)
    except InvalidAction as exc:
        if where:
            raise InvalidAction(f"{where}{exc.field}", exc.message) from None
        raise


async def note(request: Request) -> str | None:
    """The approver's note from an optional `{"note": ...}` body, read whatever the content
    type (as `/v1/check` reads its body): empty means no note."""
    raw = await request.body()
    if not raw.strip():
        return None
    return parse(ResolveIn, parse_json(raw)).note
