"""Trust, suspensions and session histories in Redis, shared by every server and worker.

Same semantics as the memory stores (`trust.MemoryTrustLedger`, `sessions.MemorySessionStore`):
the same decay toward the baseline, penalties, recovery and suspensions, computed inside Lua
scripts so that each update is atomic — two servers penalizing one principal at once never lose
an update. Time comes from the calling server's clock (servers keep NTP time; trust decays over
an hour, so seconds of skew do not matter).

If Redis cannot be reached or does not answer within its short timeout (0.25 s by default) the
calls raise StoreUnavailable and the governor turns that into a fail-closed verdict; a circuit
breaker then fails calls at once for a few seconds instead of letting every request wait out
the timeout again. Suspensions are recorded in the database (see `suspensions`): Redis holds a
cache of them, restored from the database after a restart or FLUSHALL.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import NoScriptError
from redis.retry import Retry

from magistrate.breaker import Breaker
from magistrate.db.base import StoreUnavailable
from magistrate.errors import SuspensionError
from magistrate.levels import Decision, Risk
from magistrate.redis_wire import Wire
from magistrate.trust import TrustPolicy, TrustState, decayed

# Trust: a hash per principal {s: score, u: updated (unix s), x: suspended 0/1, r: reason}.
# KEYS[1] the hash. ARGV: now, decision, risk rank, baseline, suspend_below, half_life_s,
# recovery, deny penalty, escalate penalty, suspend on critical deny (1/0), suspend_below as
# Python prints it, ttl ms, the suspension the verdict was judged with ('0', '1', or '' for
# any). Mirrors trust.apply_outcome exactly (both are IEEE doubles). When the stored suspension
# differs from the one judged with (another server suspended or lifted meanwhile), nothing is
# written and the stored standing comes back as {'stale', score, updated, suspended, reason}.
_RECORD = """
local now = tonumber(ARGV[1])
local decision = ARGV[2]
local rank = tonumber(ARGV[3])
local baseline = tonumber(ARGV[4])
local suspend_below = tonumber(ARGV[5])
local half_life = tonumber(ARGV[6])
local stored = redis.call('HMGET', KEYS[1], 's', 'u', 'x', 'r')
local score, updated, suspended, reason = baseline, now, false, ''
if stored[1] then
  score = tonumber(stored[1])
  updated = tonumber(stored[2])
  suspended = stored[3] == '1'
  reason = stored[4] or ''
end
if ARGV[13] ~= '' and ARGV[13] ~= (suspended and '1' or '0') then
  return {'stale', string.format('%.17g', score), string.format('%.17g', updated),
          suspended and '1' or '0', reason}
end
local before = score
local dt = now - updated
if dt > 0 and score ~= baseline then
  before = baseline + (score - baseline) * (0.5 ^ (dt / half_life))
end
local after = before
if decision == 'deny' then
  after = after - tonumber(ARGV[8])
  if rank == 3 and ARGV[10] == '1' and not suspended then
    suspended = true
    reason = 'denied a CRITICAL action'
  end
elseif decision == 'escalate' then
  after = after - tonumber(ARGV[9])
elseif rank <= 1 then
  after = after + tonumber(ARGV[7])
end
if after > 1.0 then after = 1.0 end
if after < 0.0 then after = 0.0 end
if after < suspend_below and not suspended then
  suspended = true
  reason = 'trust ' .. string.format('%.2f', after) .. ' fell below ' .. ARGV[11]
end
redis.call('HSET', KEYS[1], 's', string.format('%.17g', after), 'u', ARGV[1],
           'x', suspended and '1' or '0', 'r', reason)
if suspended then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[12])
end
return {string.format('%.17g', before), string.format('%.17g', after),
        suspended and '1' or '0', reason}
"""

# KEYS[1] the hash. ARGV: now, baseline, half_life_s, reason.
_SUSPEND = """
local now = tonumber(ARGV[1])
local baseline = tonumber(ARGV[2])
local stored = redis.call('HMGET', KEYS[1], 's', 'u')
local score = baseline
if stored[1] then
  score = tonumber(stored[1])
  local dt = now - tonumber(stored[2])
  if dt > 0 and score ~= baseline then
    score = baseline + (score - baseline) * (0.5 ^ (dt / tonumber(ARGV[3])))
  end
end
redis.call('HSET', KEYS[1], 's', string.format('%.17g', score), 'u', ARGV[1], 'x', '1',
           'r', ARGV[4])
redis.call('PERSIST', KEYS[1])
return 1
"""

# KEYS[1] the hash. ARGV: now, baseline, half_life_s, floor, reason, ttl ms.
# Returns 0 when the principal is not suspended.
_LIFT = """
local stored = redis.call('HMGET', KEYS[1], 's', 'u', 'x')
if not stored[1] or stored[3] ~= '1' then
  return 0
end
local now = tonumber(ARGV[1])
local baseline = tonumber(ARGV[2])
local score = tonumber(stored[1])
local dt = now - tonumber(stored[2])
if dt > 0 and score ~= baseline then
  score = baseline + (score - baseline) * (0.5 ^ (dt / tonumber(ARGV[3])))
end
local floor = tonumber(ARGV[4])
if floor > score then score = floor end
redis.call('HSET', KEYS[1], 's', string.format('%.17g', score), 'u', ARGV[1], 'x', '0',
           'r', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"""

# After Redis lost its data (restart without persistence, FLUSHALL): the suspensions the
# database records, put back. KEYS[1] the marker key, then one trust hash per principal.
# ARGV: baseline, now, then one reason per principal. Returns how many were restored (0 when the
# marker shows Redis kept its data: a principal lifted meanwhile must not be re-suspended).
_RESTORE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
for i = 2, #KEYS do
  if redis.call('HEXISTS', KEYS[i], 's') == 0 then
    redis.call('HSET', KEYS[i], 's', ARGV[1], 'u', ARGV[2])
  end
  redis.call('HSET', KEYS[i], 'x', '1', 'r', ARGV[i + 1])
  redis.call('PERSIST', KEYS[i])
end
redis.call('SET', KEYS[1], ARGV[2])
return #KEYS - 1
"""

# Sessions: a list per session of JSON [time, [marks]]. KEYS[1] the list.
# ARGV: entry, max events, ttl ms.
_SESSION_ADD = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


def connect(url: str, timeout_s: float = 2.0) -> redis.Redis:
    """A Redis client that fails fast: `timeout_s` to connect and per command, one retry (a
    pooled connection cut by a Redis restart), then the error reaches the caller."""
    client: redis.Redis = redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=30,
        # One retry for a connection cut by a restart; none for a timeout (a frozen Redis
        # would cost every request twice the timeout).
        retry=Retry(
            ExponentialBackoff(cap=0.1, base=0.01), 1, supported_errors=(redis.ConnectionError,)
        ),
    )
    return client


_DOWN = (redis.ConnectionError, redis.TimeoutError)
MAX_NEAR = 100_000  # principals whose standing a process keeps between decisions


def guarded(breaker: Breaker, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call Redis through the breaker: fail at once while it is open; a connection failure or
    timeout opens it and reaches the caller as StoreUnavailable."""
    breaker.check()
    try:
        out = fn(*args, **kwargs)
    except _DOWN as exc:
        breaker.failed(exc)
        raise StoreUnavailable(f"redis: {type(exc).__name__}: {exc}") from exc
    breaker.succeeded()
    return out


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def _bytes(value: str | int) -> bytes:
    return str(value).encode()


def _num(value: float) -> str:
    return repr(float(value))  # the shortest text that reads back as the same double


class StaleStanding(RuntimeError):
    """A principal's suspension changed on another server while this one judged an action
    with the old standing: the verdict fails closed (the next check sees the new standing)."""


class RedisTrustLedger:
    """The trust ledger in Redis: atomic updates by Lua script, shared by all servers.

    One round trip per decision: `state` answers from what this process last read or wrote
    for the principal (for up to `fresh_s` seconds, decay applied), and `record` is a single
    script that also checks that the stored suspension is still the one the verdict was judged
    with; when another server suspended (or lifted) meanwhile, nothing is written and the
    verdict fails closed (`StaleStanding`), so a suspension is never missed. What the cache
    can hide for `fresh_s` is only another server's change to the score, which moves a verdict
    only in adaptive mode; this worker's own changes are seen at once."""

    def __init__(
        self,
        client: redis.Redis,
        policy: TrustPolicy | None = None,
        *,
        prefix: str = "magistrate:",
        breaker: Breaker | None = None,
        fresh_s: float = 5.0,
    ) -> None:
        self.client = client
        self.policy = policy or TrustPolicy()
        self.prefix = prefix
        self.breaker = breaker or Breaker("redis")
        # A principal back at the baseline carries no information: forget it once its
        # distance from the baseline has halved 24 times (suspended principals are kept).
        self.ttl_ms = int(max(86_400.0, 24 * self.policy.half_life_s) * 1000)
        self._record = client.register_script(_RECORD)
        self._wire = Wire.for_client(client)  # the record's own lean connection (redis_wire)
        self._suspend = client.register_script(_SUSPEND)
        self._lift = client.register_script(_LIFT)
        self._restore = client.register_script(_RESTORE)
        p = self.policy
        self._fresh = TrustState(p.baseline, 0.0)
        self._local = threading.local()  # a batch's standings, per thread (see `batch`)
        self.fresh_s = fresh_s
        # principal -> (when read, stored standing): shared by this process's threads
        self._near: dict[str, tuple[float, TrustState | None]] = {}
        self._policy_args = (
            _num(p.baseline),
            _num(p.suspend_below),
            _num(p.half_life_s),
            _num(p.recovery),
        )
        # The record script's arguments after the time, the decision and the rank, before the
        # expected standing: fixed by the policy, so encoded once per rank, not per decision.
        self._record_tail = [
            tuple(
                _bytes(v)
                for v in (
                    *self._policy_args,
                    _num(p.deny_penalty[rank]),
                    _num(p.escalate_penalty[rank]),
                    1 if p.suspend_on_critical_deny else 0,
                    str(p.suspend_below),
                    self.ttl_ms,
                )
            )
            for rank in range(len(p.deny_penalty))
        ]

    def _key(self, principal: str) -> str:
        return f"{self.prefix}trust:{principal}"

    @staticmethod
    def _stored(row: list[Any]) -> TrustState | None:
        score, updated, suspended, reason = row
        if score is None or updated is None:
            return None
        return TrustState(float(score), float(updated), suspended == "1", str(reason or ""))

    @contextlib.contextmanager
    def batch(self, principals: Iterable[str]) -> Iterator[None]:
        """For a batch judged in this thread: read every principal's standing in one pipelined
        round trip, then follow it through the batch's own updates, so each decision costs one
        round trip (the atomic update) instead of two. Updates stay atomic in Redis; what other
        servers change meanwhile is seen from the next request on."""
        unique = list(dict.fromkeys(principals))
        pipe = self.client.pipeline(transaction=False)
        for principal in unique:
            pipe.hmget(self._key(principal), ["s", "u", "x", "r"])
        rows = guarded(self.breaker, pipe.execute)
        self._local.cache = {p: self._stored(row) for p, row in zip(unique, rows, strict=True)}
        try:
            yield
        finally:
            self._local.cache = None

    def _remember(self, principal: str, stored: TrustState | None) -> None:
        near = self._near
        if len(near) >= MAX_NEAR:  # many principals: start over rather than grow
            near.clear()
        near[principal] = (time.monotonic(), stored)

    def state(self, principal: str) -> TrustState:
        """The principal's current state (decay applied)."""
        cache: dict[str, TrustState | None] | None = getattr(self._local, "cache", None)
        if cache is not None and principal in cache:
            stored = cache[principal]
        else:
            seen = self._near.get(principal)
            if seen is not None and time.monotonic() - seen[0] <= self.fresh_s:
                stored = seen[1]
            else:
                row = guarded(
                    self.breaker, self.client.hmget, self._key(principal), ["s", "u", "x", "r"]
                )
                stored = self._stored(row)
                self._remember(principal, stored)
        # what this thread judges with: `record` checks it against the stored suspension
        self._local.judged = (principal, stored is not None and stored.suspended)
        if stored is None:
            return self._fresh
        now = time.time()
        return TrustState(decayed(stored, self.policy, now), now, stored.suspended, stored.reason)

    def record(self, principal: str, decision: Decision, risk: Risk) -> tuple[float, float]:
        """Apply a verdict atomically; returns trust (before, after)."""
        rank = risk.rank
        now = _num(time.time())
        judged = getattr(self._local, "judged", None)
        self._local.judged = None
        expected = (b"1" if judged[1] else b"0") if judged and judged[0] == principal else b""
        args = [
            now.encode(),
            Decision(decision).value.encode(),
            _bytes(rank),
            *self._record_tail[rank],
            expected,
        ]
        out = guarded(self.breaker, self._run_record, self._key(principal), args)
        cache: dict[str, TrustState | None] | None = getattr(self._local, "cache", None)
        if out[0] == "stale":
            _, score, updated, suspended, reason = out
            stored = TrustState(float(score), float(updated), suspended == "1", reason)
            self._remember(principal, stored)
            if cache is not None:
                cache[principal] = stored
            change = "suspended" if stored.suspended else "lifted the suspension of"
            raise StaleStanding(f"another server {change} {principal} while this action was judged")
        before, after, suspended, reason = out
        stored = TrustState(float(after), float(now), suspended == "1", reason)
        self._remember(principal, stored)
        if cache is not None:
            cache[principal] = stored
        return float(before), float(after)

    def _run_record(self, key: str, args: list[bytes]) -> Any:
        """The record script's reply, over the lean connection when there is one."""
        if self._wire is None:
            return self._record(keys=[key], args=args)
        # `args` already as redis-py would encode them: text as UTF-8, integers as digits
        command = (b"EVALSHA", self._record.sha.encode(), b"1", key.encode(), *args)
        try:
            return self._wire.call_bytes(*command)
        except NoScriptError:  # Redis restarted, or its scripts were flushed: load it again
            self.client.script_load(_RECORD)
            return self._wire.call_bytes(*command)

    def _forget_cached(self, principal: str) -> None:
        self._near.pop(principal, None)
        cache: dict[str, TrustState | None] | None = getattr(self._local, "cache", None)
        if cache is not None:
            cache.pop(principal, None)

    def suspend(self, principal: str, reason: str) -> None:
        """Suspend a principal."""
        self._forget_cached(principal)
        guarded(
            self.breaker,
            self._suspend,
            keys=[self._key(principal)],
            args=[
                _num(time.time()),
                _num(self.policy.baseline),
                _num(self.policy.half_life_s),
                reason,
            ],
        )

    def lift_suspension(self, principal: str, by: str, approvers: frozenset[str]) -> None:
        """Lift a suspension; only a configured approver other than the principal may."""
        if by == principal:
            raise SuspensionError(f"{by} cannot lift their own suspension")
        if by not in approvers:
            raise SuspensionError(f"{by} is not an approver")
        self._forget_cached(principal)
        p = self.policy
        lifted = guarded(
            self.breaker,
            self._lift,
            keys=[self._key(principal)],
            args=[
                _num(time.time()),
                _num(p.baseline),
                _num(p.half_life_s),
                _num(p.suspend_below + 0.1),
                f"lifted by {by}",
                self.ttl_ms,
            ],
        )
        if not int(lifted):
            raise SuspensionError(f"{principal} is not suspended")

    def restore_suspensions(self, suspended: list[tuple[str, str]]) -> int:
        """After Redis lost its data, put back the suspensions the database records (given as
        (principal, reason)); a no-op while Redis still holds what it was given. Returns how
        many were restored."""
        keys = [f"{self.prefix}suspensions:restored"] + [self._key(p) for p, _ in suspended]
        args = [_num(self.policy.baseline), _num(time.time()), *(r for _, r in suspended)]
        restored = int(guarded(self.breaker, self._restore, keys=keys, args=args))
        if restored:  # Redis had lost them: what this process remembers is older still
            self._near.clear()
        return restored

    def clear(self) -> None:
        """Forget every principal under this prefix."""
        self._near.clear()
        _delete_matching(self.client, f"{_glob_escape(self.prefix)}trust:*")
        self.client.delete(f"{self.prefix}suspensions:restored")

    def __len__(self) -> int:
        return sum(1 for _ in self.client.scan_iter(f"{_glob_escape(self.prefix)}trust:*"))

    def ping(self) -> None:
        """Raise unless Redis answers."""
        guarded(self.breaker, self.client.ping)

    def close(self) -> None:
        """Release the client's connections."""
        self.client.close()
        if self._wire is not None:
            self._wire.close()


class RedisSessionStore:
    """Session histories in Redis: the last `max_events` marks of each session, kept while the
    session is active (for `ttl_s` after its last action)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "magistrate:",
        max_events: int = 64,
        ttl_s: float = 86_400.0,
        breaker: Breaker | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.breaker = breaker or Breaker("redis")
        self.max_events = max_events
        self.ttl_ms = int(ttl_s * 1000)
        self._add = client.register_script(_SESSION_ADD)

    def _key(self, session: str) -> str:
        return f"{self.prefix}session:{session}"

    def recent(self, session: str, within_s: float) -> list[frozenset[str]]:
        """Marks of the session's actions in the last `within_s` seconds, oldest first."""
        cutoff = time.time() - within_s
        out: list[frozenset[str]] = []
        for raw in guarded(self.breaker, self.client.lrange, self._key(session), 0, -1):
            try:
                when, marks = json.loads(raw)
            except (ValueError, TypeError):
                continue  # not ours: skip rather than fail every check of the session
            if when >= cutoff:
                out.append(frozenset(marks))
        return out

    def add(self, session: str, marks: frozenset[str]) -> None:
        """Remember an action's marks (empty marks are not stored)."""
        if not marks:
            return
        entry = json.dumps([time.time(), sorted(marks)], separators=(",", ":"))
        guarded(
            self.breaker,
            self._add,
            keys=[self._key(session)],
            args=[entry, self.max_events, self.ttl_ms],
        )

    def clear(self) -> None:
        """Forget every session under this prefix."""
        _delete_matching(self.client, f"{_glob_escape(self.prefix)}session:*")

    def close(self) -> None:
        """Release the client's connections."""
        self.client.close()


def _delete_matching(client: redis.Redis, pattern: str) -> None:
    batch: list[Any] = []
    for key in client.scan_iter(pattern, count=1000):
        batch.append(key)
        if len(batch) >= 500:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)
