"""A batch judged against Redis settles its trust updates in one round trip
(`trust_settlement`): the same verdicts and trust figures as one check after another, and
whatever Redis refuses at settlement (a suspension changed elsewhere, an error reply, Redis out
of reach) fails those verdicts closed before they are audited."""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from magistrate import Action, Decision, Governor, Risk, RiskDetector
from magistrate.audit.log import AuditLog
from magistrate.config import Settings
from magistrate.db import open_database
from magistrate.db.base import AuditFilter
from magistrate.redis_store import HeldRecords, RedisTrustLedger
from magistrate.redis_wire import Wire
from magistrate.risk import RiskAssessment
from magistrate.trust_settlement import Settled, check_each
from magistrate.verdict import Verdict
from tests.servers import REDIS_URL, redis_prefix
from tests.storage.test_redis_store import RoundTrips


def shell(text: str, principal: str) -> Action:
    return Action(kind="shell", text=text, principal=principal)


BATCH = [shell(t, f"agent:{i % 2}") for i, t in enumerate(["ls", "git status", "ls -la", "pwd"])]


def suspend_during_settlement(
    client: redis.Redis, prefix: str, principal: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[[HeldRecords], list[Settled | Exception]]:
    """Another server suspends `principal` after the batch was judged, before it settles;
    returns the real `settle`."""
    elsewhere = RedisTrustLedger(client, prefix=prefix)
    settle = HeldRecords.settle

    def suspended_meanwhile(held: HeldRecords) -> list[Settled | Exception]:
        elsewhere.suspend(principal, "suspended on another server")
        return settle(held)

    monkeypatch.setattr(HeldRecords, "settle", suspended_meanwhile)
    return settle


def test_a_suspension_made_elsewhere_during_the_batch_fails_its_verdicts_closed(
    detector: RiskDetector, client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = RedisTrustLedger(client, prefix=prefix)
    settle = suspend_during_settlement(client, prefix, "agent:1", monkeypatch)
    verdicts = Governor(detector=detector, trust=here).check_many(BATCH)
    for v in verdicts:
        if v.principal == "agent:1":  # judged as not suspended, refused by Redis
            assert v.decision is Decision.DENY and v.error and "StaleStanding" in v.error
        else:
            assert v.decision is Decision.ALLOW and v.error is None
    assert here.state("agent:1").suspended  # the standing Redis sent back is the one kept
    monkeypatch.setattr(HeldRecords, "settle", settle)
    again = Governor(detector=detector, trust=here).check(shell("ls", "agent:1"))
    assert again.decision is Decision.DENY and any("another server" in r for r in again.reasons)


def test_redis_out_of_reach_at_settlement_fails_every_held_verdict_closed(
    detector: RiskDetector, client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = RedisTrustLedger(client, prefix=prefix)

    def cut(keys: list[bytes], args: list[bytes]) -> list[object]:
        raise redis.ConnectionError("connection reset by peer")

    monkeypatch.setattr(ledger, "_run_records", cut)
    verdicts = Governor(detector=detector, trust=ledger).check_many(BATCH)
    assert [v.decision for v in verdicts] == [Decision.DENY] * len(BATCH)
    assert all(v.error and "ConnectionError" in v.error for v in verdicts)
    assert "ConnectionError" in ledger.breaker.last_error  # and the breaker saw it


def test_scripts_redis_lost_before_settlement_are_loaded_again(
    detector: RiskDetector, client: redis.Redis, prefix: str
) -> None:
    ledger = RedisTrustLedger(client, prefix=prefix)
    client.script_flush()  # as a restart leaves Redis: every EVALSHA answers NOSCRIPT
    verdicts = Governor(detector=detector, trust=ledger).check_many(BATCH)
    assert [v.decision for v in verdicts] == [Decision.ALLOW] * len(BATCH)
    assert all(v.trust_after > 0 for v in verdicts)


def test_the_audit_holds_the_verdicts_as_answered(
    detector: RiskDetector,
    client: redis.Redis,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settlement comes before the audit: a verdict failed closed at settlement is recorded
    failed closed, never as the allow it was judged before."""
    here = RedisTrustLedger(client, prefix=prefix)
    suspend_during_settlement(client, prefix, "agent:0", monkeypatch)
    db = open_database(f"sqlite:///{tmp_path}/audit.db")
    audit = AuditLog(db, durability="sync")
    verdicts = Governor(detector=detector, trust=here, audit=audit).check_many(BATCH)
    stored = sorted((r.principal, r.decision) for r in db.audit_rows(AuditFilter()))
    assert stored == sorted((v.principal, v.decision.value) for v in verdicts)
    assert stored == [("agent:0", "deny")] * 2 + [("agent:1", "allow")] * 2
    audit.close()
    db.close()


def test_a_suspension_a_batch_causes_is_recorded_in_the_database(
    client: redis.Redis, prefix: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/m.db",
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        spool_dir=tmp_path / "spool",
        audit_key_file=tmp_path / "audit.key",
        audit_anchor_dir=tmp_path / "anchor",
    )
    gov = Governor.from_settings(settings)
    batch = [shell("ls", "agent:z"), shell("rm -rf / --no-preserve-root", "agent:z")]
    batch.append(shell("ls", "agent:z"))
    first, critical, after = gov.check_many(batch)
    assert first.decision is Decision.ALLOW and critical.decision is Decision.DENY
    assert after.decision is Decision.DENY  # suspended by the batch's own CRITICAL denial
    assert any("suspended" in r for r in after.reasons)
    gov.close()
    db = open_database(settings.database_url)
    assert "agent:z" in [principal for principal, *_ in db.suspension_active()]
    db.close()


def test_many_commands_one_write_error_replies_in_their_place(client: redis.Redis) -> None:
    wire = Wire.for_client(client)
    assert wire is not None
    replies = wire.call_many_bytes(
        [(b"PING",), (b"NO-SUCH-COMMAND",), (b"EVALSHA", b"0" * 40, b"0"), (b"ECHO", b"x")]
    )
    assert replies[0] == "PONG" and replies[3] == "x"
    assert isinstance(replies[1], redis.ResponseError)
    assert isinstance(replies[2], redis.exceptions.NoScriptError)
    assert wire.call(b"PING") == "PONG"  # still in step
    wire.close()


def test_many_commands_on_a_cut_connection_are_retried_once(client: redis.Redis) -> None:
    wire = Wire.for_client(client)
    assert wire is not None
    wire.call(b"PING")
    conn = wire._local.conn
    host, port = conn.connection._sock.getsockname()[:2]
    assert client.client_kill(f"{host}:{port}")  # as a Redis restart cuts it
    assert wire.call_many_bytes([(b"ECHO", b"a"), (b"ECHO", b"b")]) == ["a", "b"]
    assert wire._local.conn is not conn
    wire.close()


WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


class Observed(Governor):
    """Records in which caller's context each verdict was finished, and fails the assessment
    of one text on purpose."""

    finished_as: list[tuple[str, str]]

    def assess(self, action: Action) -> tuple[RiskAssessment, str, bool]:
        if action.text == "explode":
            raise RuntimeError("the detector broke on this one")
        return super().assess(action)

    def _after(self, action: Action, verdict: Verdict) -> Verdict:
        self.finished_as.append((action.principal, WHO.get()))
        return super()._after(action, verdict)


def test_concurrent_checks_are_judged_together_each_on_its_own_terms(
    detector: RiskDetector, client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = RedisTrustLedger(client, prefix=prefix)
    gov = Observed(detector=detector, trust=ledger)
    gov.finished_as = []
    trips = RoundTrips(client, monkeypatch, ledger)
    actions = [shell(text, f"agent:{i}") for i, text in enumerate(["ls", "ls", "explode", "pwd"])]
    floors = [None, Risk.HIGH, None, None]
    contexts = []
    for i in range(len(actions)):
        ctx = contextvars.copy_context()
        ctx.run(WHO.set, f"caller {i}")
        contexts.append(ctx)
    verdicts = check_each(gov, actions, floors, contexts)
    assert trips.calls == ["hmget x 4", "evalsha 3 keys x 1"]  # two round trips, four checks
    assert [v.principal for v in verdicts] == [a.principal for a in actions]
    assert verdicts[0].decision is Decision.ALLOW
    assert verdicts[1].risk is Risk.HIGH and verdicts[1].decision is not Decision.ALLOW
    assert verdicts[2].decision is Decision.DENY and "detector broke" in str(verdicts[2].error)
    assert verdicts[3].decision is Decision.ALLOW and verdicts[3].trust_after > 0
    assert sorted(gov.finished_as) == [(f"agent:{i}", f"caller {i}") for i in range(4)]


def test_standings_read_within_fresh_s_are_not_read_again(
    detector: RiskDetector, client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for single checks: a standing this process read or wrote within `fresh_s` is used
    as it is (the update script still checks the suspension), so a second batch for the same
    principals costs one round trip, the settlement."""
    ledger = RedisTrustLedger(client, prefix=prefix)
    gov = Governor(detector=detector, trust=ledger)
    trips = RoundTrips(client, monkeypatch, ledger)
    first = gov.check_many(BATCH)
    assert trips.calls == ["hmget x 2", "evalsha 4 keys x 1"]
    trips.calls.clear()
    second = gov.check_many(BATCH)
    assert trips.calls == ["evalsha 4 keys x 1"]
    after_first = [v.trust_after for v in first[2:]]  # decayed for the milliseconds between
    assert [v.trust_before for v in second[:2]] == pytest.approx(after_first, abs=1e-6)


def test_an_error_reply_to_the_settlement_fails_every_held_verdict_closed(
    detector: RiskDetector, client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = RedisTrustLedger(client, prefix=prefix)
    failing = client.register_script("return redis.error_reply('ERR the script broke')")
    client.script_load(failing.script)
    monkeypatch.setattr(ledger, "_record_many", failing)
    verdicts = Governor(detector=detector, trust=ledger).check_many(BATCH)
    assert [v.decision for v in verdicts] == [Decision.DENY] * len(BATCH)
    assert all(v.error and "the script broke" in v.error for v in verdicts)


def test_held_figures_are_the_scripts_own_with_decay_and_suspensions(
    client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a batch follows locally (`HeldRecords.hold`, `trust.apply_outcome`) is what the
    script then computes, to the bit: random standings, decay between updates, penalties,
    recovery and suspensions."""
    clock = [1_800_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    rng = random.Random(11)
    ledger = RedisTrustLedger(client, prefix=prefix)
    principals = [f"agent:m{i}" for i in range(5)]
    for _ in range(40):
        with ledger.holding(principals) as held:
            local = []
            for _ in range(8):
                clock[0] += rng.choice([0.0, 0.25, 30.0, 900.0, 5000.0])
                principal = rng.choice(principals)
                ledger.state(principal)  # what a verdict is judged with
                decision, risk = rng.choice(list(Decision)), rng.choice(list(Risk))
                local.append(ledger.record(principal, decision, risk))
            settled = held.settle()
        assert [(s.before, s.after) for s in settled] == local  # type: ignore[union-attr]
        for principal in principals:  # and the standings kept are the stored ones
            if ledger.state(principal).suspended and rng.random() < 0.5:
                ledger.lift_suspension(principal, "alice", frozenset({"alice"}))


def test_updates_left_unsettled_are_sent_when_the_block_ends(
    client: redis.Redis, prefix: str
) -> None:
    ledger = RedisTrustLedger(client, prefix=prefix)
    with ledger.holding(["agent:u", "agent:v"]):
        with ledger.holding(["agent:v"]):  # nested: the outer batch is restored after it
            ledger.state("agent:v")
            ledger.record("agent:v", Decision.DENY, Risk.HIGH)
        ledger.state("agent:u")
        ledger.record("agent:u", Decision.DENY, Risk.CRITICAL)  # held by the outer batch
    assert client.hget(f"{prefix}trust:agent:v", "s") is not None  # sent, not dropped
    assert ledger.state("agent:u").suspended  # and the outer one's too


def test_without_the_lean_connection_the_settlement_goes_through_the_pool(
    detector: RiskDetector, client: redis.Redis, prefix: str
) -> None:
    """TLS, a Unix socket or a credential provider: no `Wire`; the same verdicts, the
    update sent once over a pooled connection."""
    lean = RedisTrustLedger(client, prefix=prefix)
    with redis_prefix() as other:
        pooled = RedisTrustLedger(client, prefix=other)
        pooled._wire = None
        a = Governor(detector=detector, trust=lean).check_many(BATCH)
        b = Governor(detector=detector, trust=pooled).check_many(BATCH)
    assert [v.decision for v in a] == [v.decision for v in b] == [Decision.ALLOW] * 4
    assert [v.trust_after for v in a] == pytest.approx([v.trust_after for v in b], abs=1e-6)


def test_an_update_is_never_sent_twice_after_a_cut(client: redis.Redis, prefix: str) -> None:
    """Redis may have run a command before the connection was cut: a settlement is not sent
    again (its verdicts fail closed); reads may be."""
    wire = Wire.for_client(client)
    assert wire is not None
    key = f"{prefix}counter".encode()
    wire.call(b"PING")
    conn = wire._local.conn
    host, port = conn.connection._sock.getsockname()[:2]
    assert client.client_kill(f"{host}:{port}")
    with pytest.raises(redis.ConnectionError):
        wire.call_many_bytes([(b"INCR", key)], retry=False)
    assert wire.call_many_bytes([(b"INCR", key)], retry=False) == [1]  # a new connection
    wire.close()


class BrokenFinish(Governor):
    """Finishing (audit, telemetry) breaks for one principal."""

    def _finish(self, action: Action, assessment: RiskAssessment, verdict: Verdict) -> Verdict:
        if action.principal == "agent:1":
            raise RuntimeError("the audit broke for this one")
        return super()._finish(action, assessment, verdict)


def test_an_error_finishing_one_check_reaches_only_its_caller(
    detector: RiskDetector, client: redis.Redis, prefix: str
) -> None:
    gov = BrokenFinish(detector=detector, trust=RedisTrustLedger(client, prefix=prefix))
    contexts = [contextvars.copy_context() for _ in BATCH]
    results = check_each(gov, BATCH, [None] * len(BATCH), contexts)
    for action, result in zip(BATCH, results, strict=True):
        if action.principal == "agent:1":
            assert isinstance(result, RuntimeError)
        else:
            assert isinstance(result, Verdict) and result.decision is Decision.ALLOW
    with pytest.raises(RuntimeError, match="audit broke"):  # a batch fails as a whole
        gov.check_many(BATCH)
