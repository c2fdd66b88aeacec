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

from magistrate import redis_scripts as scripts
from magistrate.breaker import Breaker
from magistrate.db.base import StoreUnavailable
from magistrate.errors import SuspensionError
from magistrate.levels import Decision, Risk
from magistrate.redis_wire import Wire
from magistrate.trust import TrustPolicy, TrustState, apply_outcome, decayed
from magistrate.trust_settlement import Settled


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

    def __init__(self, message: str, stored: TrustState) -> None:
        super().__init__(message)
        self.stored = stored  # the standing Redis holds


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
        self._record = client.register_script(scripts.RECORD)
        self._record_many = client.register_script(scripts.RECORD_MANY)
        self._wire = Wire.for_client(client)  # the record's own lean connection (redis_wire)
        self._suspend = client.register_script(scripts.SUSPEND)
        self._lift = client.register_script(scripts.LIFT)
        self._restore = client.register_script(scripts.RESTORE)
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
    def holding(self, principals: Iterable[str]) -> Iterator[HeldRecords]:
        """For a batch judged in this thread (`trust_settlement.held_updates` only): the
        principals' standings (read in one pipelined round trip, but for those this process
        read or wrote within `fresh_s`, as `state` would), followed through the batch's own
        updates, which `record` holds back until the caller settles them in one more round
        trip. Each update stays atomic in Redis and checks the suspension it was judged with;
        what other servers change meanwhile is seen from the next request on. Updates left
        unsettled when the block ends (a caller's bug) are sent then, never dropped."""
        cache: dict[str, TrustState | None] = {}
        unread: list[str] = []
        now = time.monotonic()
        for principal in dict.fromkeys(principals):
            seen = self._near.get(principal)
            if seen is not None and now - seen[0] <= self.fresh_s:
                cache[principal] = seen[1]
            else:
                unread.append(principal)
        if unread:
            reads = [(b"HMGET", self._key(p).encode(), b"s", b"u", b"x", b"r") for p in unread]
            rows = guarded(self.breaker, self._pipelined, reads)
            for principal, row in zip(unread, rows, strict=True):
                if isinstance(row, Exception):
                    raise row
                cache[principal] = stored = self._stored(row)
                self._remember(principal, stored)
        held = HeldRecords(self, cache)
        outer = (getattr(self._local, "cache", None), getattr(self._local, "held", None))
        self._local.cache, self._local.held = cache, held
        try:
            yield held
        finally:
            self._local.cache, self._local.held = outer
            if held.held:
                with contextlib.suppress(Exception):
                    held.settle()

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
        cache: dict[str, TrustState | None] | None = getattr(self._local, "cache", None)
        held: HeldRecords | None = getattr(self._local, "held", None)
        if held is not None and cache is not None and principal in cache:
            return held.hold(principal, decision, risk, args)
        out = guarded(self.breaker, self._run_record, self._key(principal), args)
        if out[0] == "stale":
            stale = self._stale(principal, out)
            if cache is not None:
                cache[principal] = stale.stored
            raise stale
        before, after, suspended, reason = out
        stored = TrustState(float(after), float(now), suspended == "1", reason)
        self._remember(principal, stored)
        if cache is not None:
            cache[principal] = stored
        return float(before), float(after)

    def _stale(self, principal: str, reply: list[Any]) -> StaleStanding:
        """The refusal of a record script that found another suspension than the one judged
        with; the standing it found is remembered."""
        _, score, updated, suspended, reason = reply
        stored = TrustState(float(score), float(updated), suspended == "1", reason)
        self._remember(principal, stored)
        change = "suspended" if stored.suspended else "lifted the suspension of"
        return StaleStanding(
            f"another server {change} {principal} while this action was judged", stored
        )

    def _run_record(self, key: str, args: list[bytes]) -> Any:
        """The record script's reply, over the lean connection when there is one."""
        if self._wire is None:
            return self._record(keys=[key], args=args)
        # `args` already as redis-py would encode them: text as UTF-8, integers as digits
        command = (b"EVALSHA", self._record.sha.encode(), b"1", key.encode(), *args)
        try:
            return self._wire.call_bytes(*command)
        except NoScriptError:  # Redis restarted, or its scripts were flushed: load it again
            self.client.script_load(scripts.RECORD)
            return self._wire.call_bytes(*command)

    def _pipelined(self, commands: list[tuple[bytes, ...]]) -> list[Any]:
        """The replies to commands sent at once, over the lean connection when there is one
        (error replies as exceptions, in their place)."""
        if self._wire is not None:
            return self._wire.call_many_bytes(commands)
        pipe = self.client.pipeline(transaction=False)
        queue: Any = pipe.execute_command  # redis-py leaves it unannotated
        for command in commands:
            queue(*command)
        replies: list[Any] = pipe.execute(raise_on_error=False)
        return replies

    def _run_records(self, keys: list[bytes], args: list[bytes]) -> list[Any]:
        """The replies of one RECORD_MANY call (one per key, in order). Never resent after it
        may have run: a connection cut or a timeout raises (the updates may or may not have
        been applied), as does an error reply (those before the error were applied)."""
        if len(args) != len(keys) * scripts.RECORD_ARGS:
            raise ValueError(f"{len(args)} arguments for {len(keys)} updates")
        sha = self._record_many.sha.encode()
        command = (b"EVALSHA", sha, str(len(keys)).encode(), *keys, *args)
        reply = self._once(command)
        if isinstance(reply, NoScriptError):  # nothing ran: load the script and send again
            self.client.script_load(scripts.RECORD_MANY)
            reply = self._once(command)
        if isinstance(reply, Exception):
            raise reply
        if not isinstance(reply, list) or len(reply) != len(keys):
            raise redis.ResponseError(f"RECORD_MANY answered {type(reply).__name__}")
        return reply

    def _once(self, command: tuple[bytes, ...]) -> Any:
        """One command's reply (an error reply as its exception), sent once: no retry."""
        if self._wire is not None:
            return self._wire.call_many_bytes([command], retry=False)[0]
        pool: Any = self.client.connection_pool  # redis-py leaves it unannotated
        connection = pool.get_connection()
        try:
            connection.send_command(*command)
            return connection.read_response()
        except redis.ResponseError as exc:
            return exc
        except (redis.ConnectionError, redis.TimeoutError):
            connection.disconnect()  # a late reply must never be read as another's
            raise
        finally:
            pool.release(connection)

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


class HeldRecords:
    """The trust updates of one batch, held until `settle` sends them in one script call;
    meanwhile each update is applied to the batch's own copy of the standings (the same
    arithmetic as the script: `trust.apply_outcome`)."""

    def __init__(self, ledger: RedisTrustLedger, cache: dict[str, TrustState | None]) -> None:
        self.ledger = ledger
        self.cache = cache
        self._records: list[tuple[str, Decision, Risk, list[bytes]]] = []

    @property
    def held(self) -> int:
        """How many updates are held so far."""
        return len(self._records)

    def hold(
        self, principal: str, decision: Decision, risk: Risk, args: list[bytes]
    ) -> tuple[float, float]:
        """Hold one update (`args` as `record` built them for the script); trust (before, after) as
        the batch's copy has it."""
        policy = self.ledger.policy
        now = float(args[0])  # the script's own clock: the text it is sent, read back
        stored = self.cache[principal]
        state = stored if stored is not None else TrustState(policy.baseline, now)
        before = decayed(state, policy, now)
        after = apply_outcome(state, decision, risk, policy, now)
        self.cache[principal] = after
        self._records.append((principal, decision, risk, args))
        return before, after.score

    def settle(self) -> list[Settled | Exception]:
        """Send the held updates in one script call (RECORD_MANY); what Redis applied (or
        refused) for each, in order."""
        records, self._records = self._records, []
        if not records:
            return []
        ledger = self.ledger
        keys = [ledger._key(principal).encode() for principal, *_ in records]
        args = [arg for *_, record_args in records for arg in record_args]
        try:
            replies = guarded(ledger.breaker, ledger._run_records, keys, args)
        except Exception:  # some updates may have been applied: read these standings again
            for principal, *_ in records:
                ledger._forget_cached(principal)
            raise
        out: list[Settled | Exception] = []
        for (principal, decision, risk, record_args), reply in zip(records, replies, strict=True):
            if reply[0] == "stale":
                out.append(ledger._stale(principal, reply))
                continue
            before, after, suspended, reason = reply
            stored = TrustState(float(after), float(record_args[0]), suspended == "1", reason)
            ledger._remember(principal, stored)
            out.append(Settled(principal, decision, risk, float(before), float(after)))
        return out


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
        self._add = client.register_script(scripts.SESSION_ADD)

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
