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


def record_hash(prev_hash: str, body: str) -> str:
    """SHA-256 of the previous hash and this record's body."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()


def signed_hash(signer: Signer, prev_hash: str, body: str) -> str:
    """The keyed hash of a signed record: HMAC over the previous hash and the body."""
    return signer.mac(f"{prev_hash}\n{body}".encode("utf-8", "surrogatepass"))


def _same(value: Any) -> Any:
    return value


def verdict_payload(action: Action, verdict: Verdict, time_ns: int) -> dict[str, Any]:
    """The audit record of a verdict (before chaining), secrets masked."""
    # When the scan saw no credential anywhere in the action there is nothing to mask.
    text = mask_secrets if verdict.contains_secrets else _same
    value = mask_value if verdict.contains_secrets else _same
    return {
        "type": "verdict",
        "record_id": verdict.verdict_id,
        "time": iso(time_ns),
        "action_id": action.id,
        "principal": action.principal,
        "session": action.session,
        "role": action.role,
        "kind": action.kind,
        "tool": action.tool,
        "text": text(action.text),
        "args": value(action.args) if action.args else {},
        "target": text(action.target) if action.target else None,
        "fingerprint": verdict.fingerprint,
        "decision": "ungoverned" if verdict.ungoverned else verdict.decision.value,
        "risk": verdict.risk.value,
        "citations": [{**c.to_dict(), "evidence": text(c.evidence)} for c in verdict.citations],
        "reasons": [text(r) for r in verdict.reasons],
        "constitution_version": verdict.constitution_version,
        "trust_before": round(verdict.trust_before, 6),
        "trust_after": round(verdict.trust_after, 6),
        "mode": verdict.mode,
        "approval_id": verdict.approval_id,
        "would_decision": verdict.would_decision.value if verdict.would_decision else None,
        "timings_ns": dict(verdict.timings_ns),
    }


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
            body = canonical({**payload, **extra, "seq": seq, "prev": prev})
            digest = record_hash(prev, body) if signer is None else signed_hash(signer, prev, body)
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
