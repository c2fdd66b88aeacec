"""Audit records: what is kept of each verdict, with secrets masked, and how records chain.

A record's body is canonical JSON (sorted keys, no spaces) that includes its chain id, its
sequence number and the previous record's hash. Its hash is over previous hash + body: an
HMAC-SHA256 under the audit key when the log has a signer (the body then names the key in
`sig`), plain SHA-256 otherwise (records written before signing existed, or signing disabled).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from hashlib import sha256
from typing import Any

import orjson

from magistrate.action import Action
from magistrate.analysis.secrets import mask_secrets, mask_value
from magistrate.audit.signing import Signer
from magistrate.db.base import Chainer
from magistrate.verdict import Verdict

_last_second: tuple[int, str] = (-1, "")


def iso(time_ns: int) -> str:
    """UTC ISO-8601 with microseconds: sortable as text."""
    global _last_second
    seconds, ns = divmod(time_ns, 1_000_000_000)
    last = _last_second  # records arrive in bursts within one second: format it once
    if last[0] != seconds:
        last = _last_second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{last[1]}.{ns // 1000:06d}Z"


def canonical(value: Any) -> str:
    """The canonical JSON form that is hashed: sorted keys, no spaces, UTF-8 as is.

    orjson writes it about ten times faster than `json` (it is the audit writer's largest
    cost); values orjson refuses (lone surrogates, integers beyond 64 bits) fall back to `json`
    with ASCII escapes, which any store can hold. Verification re-hashes the stored text, so
    either writer's output verifies.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _canonical_bytes(value: Any) -> bytes:
    """`canonical(value)` as UTF-8 (surrogates passed through)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def record_hash(prev_hash: str, body: str) -> str:
    """SHA-256 of the previous hash and this record's body."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()


def signed_hash(signer: Signer, prev_hash: str, body: str) -> str:
    """The keyed hash of a signed record: HMAC over the previous hash and the body."""
    return signer.mac(f"{prev_hash}\n{body}".encode("utf-8", "surrogatepass"))


def _verdict_values(action: Action, verdict: Verdict) -> tuple[Any, ...]:
    """A verdict's record fields but the time, in `payload_from_fields`'s order (the one list
    of them): attribute reads only, enums as they are (str enums: JSON writes their value)."""
    cited = verdict.citations
    return (
        verdict.contains_secrets,
        verdict.verdict_id,
        action.id,
        action.principal,
        action.session,
        action.role,
        action.kind,
        action.tool,
        action.text,
        action.args,
        action.target,
        verdict.fingerprint,
        "ungoverned" if verdict.ungoverned else verdict.decision,
        verdict.risk,
        [c.to_dict() for c in cited] if cited else (),
        verdict.reasons,
        verdict.constitution_version,
        verdict.trust_before,
        verdict.trust_after,
        verdict.mode,
        verdict.approval_id,
        verdict.would_decision,
        verdict.timings_ns,
    )


def verdict_fields(action: Action, verdict: Verdict, time_ns: int) -> tuple[Any, ...]:
    """What a verdict's record is built from, as plain values (cheap to take on the hot side
    of the writer and to send to a writer process; `payload_from_fields` builds the record):
    enums as plain strings (a store driver may write an enum by its name), a copy of the
    timings the caller's verdict still holds."""
    v = _verdict_values(action, verdict)
    would = v[21]
    return (
        time_ns,
        *v[:12],
        str(v[12]),
        str(v[13]),
        list(v[14]),
        list(v[15]),
        *v[16:21],
        str(would) if would else None,
        dict(v[22]),
    )


def verdict_wire(action: Action, verdict: Verdict) -> bytes:
    """`verdict_fields` but the time, as a JSON array: taken on the check path (a few attribute
    reads and one orjson call while the objects are in cache), so the verdict and action are
    freed at once and the record is the verdict as it was returned."""
    fields = _verdict_values(action, verdict)
    try:
        return orjson.dumps(fields, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, integers beyond 64 bits…
        return json.dumps(fields, default=str).encode()


def fields_from_wire(time_ns: int, wire: bytes) -> list[Any]:
    """The `verdict_fields` of a verdict taken by `verdict_wire` at `time_ns`."""
    try:
        fields: list[Any] = orjson.loads(wire)
    except orjson.JSONDecodeError:  # written by the `json` fallback
        fields = json.loads(wire)
    return [time_ns, *fields]


def payload_from_fields(f: Sequence[Any]) -> dict[str, Any]:
    """The audit record (before chaining) of a verdict's fields, secrets masked."""
    text, args, target, cited, reasons = f[9], f[10] or {}, f[11] or None, f[15], f[16]
    # When the scan saw no credential anywhere in the action there is nothing to mask (the
    # fields are the caller's fresh copies: the record may hold them as they are).
    if f[1]:
        text = mask_secrets(text)
        args = mask_value(args) if args else {}
        target = mask_secrets(target) if target else None
        cited = [{**c, "evidence": mask_secrets(c["evidence"])} for c in cited]
        reasons = [mask_secrets(r) for r in reasons]
    return {
        "type": "verdict",
        "record_id": f[2],
        "time": iso(f[0]),
        "action_id": f[3],
        "principal": f[4],
        "session": f[5],
        "role": f[6],
        "kind": f[7],
        "tool": f[8],
        "text": text,
        "args": args,
        "target": target,
        "fingerprint": f[12],
        "decision": f[13],
        "risk": f[14],
        "citations": list(cited),
        "reasons": list(reasons),
        "constitution_version": f[17],
        "trust_before": round(f[18], 6),
        "trust_after": round(f[19], 6),
        "mode": f[20],
        "approval_id": f[21],
        "would_decision": f[22],
        "timings_ns": f[23],
    }


def unbuilt(fields: Sequence[Any], exc: Exception) -> dict[str, Any]:
    """The record of a verdict whose full record could not be built from its fields."""
    return {
        "type": "verdict",
        "record_id": str(fields[2]),
        "time": iso(int(fields[0])),
        "principal": str(fields[4]),
        "decision": str(fields[13]),
        "risk": str(fields[14]),
        "error": f"the full record could not be built: {type(exc).__name__}: {exc}",
    }


def verdict_payload(action: Action, verdict: Verdict, time_ns: int) -> dict[str, Any]:
    """The audit record of a verdict (before chaining), secrets masked."""
    return payload_from_fields(verdict_fields(action, verdict, time_ns))


def event_payload(
    kind: str,
    record_id: str,
    principal: str,
    time_ns: int,
    decision: str,
    risk: str,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """An audit record of something other than a verdict (an approval resolved…)."""
    return {
        "type": kind,
        "record_id": record_id,
        "time": iso(time_ns),
        "principal": principal,
        "decision": decision,
        "risk": risk,
        **mask_value(dict(details)),
    }


def chainer(
    chain_id: str, payloads: Sequence[dict[str, Any]], signer: Signer | None = None
) -> Chainer:
    """A function that chains payloads onto a head, inside the store's write transaction
    (signed by `signer` when given)."""
    extra: dict[str, Any] = {"chain": chain_id}
    if signer is not None:
        extra["sig"] = signer.tag

    def chain(seq: int, prev: str, skip: set[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for payload in payloads:
            if payload["record_id"] in skip:
                continue
            seq += 1
            # What record_hash / signed_hash hash, from the encoder's bytes (no second encode)
            data = _canonical_bytes({**payload, **extra, "seq": seq, "prev": prev})
            body = data.decode("utf-8", "surrogatepass")
            data = prev.encode("utf-8", "surrogatepass") + b"\n" + data
            digest = sha256(data).hexdigest() if signer is None else signer.mac(data)
            rows.append(
                (
                    seq,
                    payload["record_id"],
                    payload["time"],
                    payload["type"],
                    payload.get("principal") or "",
                    payload.get("decision") or "",
                    payload.get("risk") or "",
                    body,
                    prev,
                    digest,
                )
            )
            prev = digest
        return rows

    return chain
