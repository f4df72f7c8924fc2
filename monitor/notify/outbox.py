"""The durable outbox: enqueue in the alert transaction, drain with retries, claim with compare-and-set.

Delivery is at least once, and exactly once in every case this program controls
(README, 送达保证):

- a row is written in the transaction of the alert change that causes it, with a
  unique ``idempotency_key``: the same events can never be queued twice;
- a sender claims a row with ``UPDATE … SET status='sending', lease … WHERE status='pending'``
  (or a lease whose holder died) and commits the claim *before* sending, so two
  processes never send the same row; it marks the row ``sent`` right after the
  provider accepted it;
- only a process killed between the provider's "accepted" and that commit leaves a row
  ``sending``: after its lease (or at once, when its holder is a dead process on this
  host) the row is sent again. That window — milliseconds — is the one duplicate we
  cannot rule out: DingTalk has no idempotency key (each message shows its 通知编号),
  and e-mail resends carry the same ``Message-ID``.

Temporary failures back off exponentially (1, 2, 4 … minutes, at most an hour);
permanent ones (a refused signature, a rejected address) stop at once and are shown by
``outbox_health``, ``monitor outbox`` and the next digest. DingTalk's 20 messages a
minute are paced from the ``sent_at`` of the last minute's sends — merged when many are due.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.alerts.lifecycle import Event
from monitor.alerts.store import add_event
from monitor.config import Config, resolve_path
from monitor.notify.base import Message, Transport, TransportError
from monitor.notify.dingtalk import DingTalk
from monitor.notify.mail import Email
from monitor.store.db import Database
from monitor.store.tables import AlertRow, OutboxRow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)              # far above the send timeouts (10 s DingTalk, 20 s SMTP)
WINDOW = timedelta(minutes=1)             # the provider's rate-limit window
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 80                         # ≈ 3 days of retrying before a row is given up (and shown)
CHANNEL_PAUSE = timedelta(hours=1)        # after a configuration error, wait for the operator


@dataclass(frozen=True)
class Draft:
    """A message to queue. ``key`` must be derived from what it reports (see ``notices``)."""

    key: str
    channel: str
    kind: str
    subject: str
    body: str
    html: str | None = None
    recipients: tuple[str, ...] = ()
    unit_id: str | None = None
    alert_ids: tuple[int, ...] = ()
    priority: int = 1


def draft_key(*parts: object) -> str:
    """A ``Draft.key`` from what the message reports: the same parts, the same key, one row."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def enqueue(session: Session, draft: Draft, now: datetime) -> int | None:
    """Insert the row unless its key is already queued; return its id, or None when it was."""
    if session.scalar(select(OutboxRow.id).where(OutboxRow.idempotency_key == draft.key)) is not None:
        return None
    row = OutboxRow(idempotency_key=draft.key, channel=draft.channel, kind=draft.kind, unit_id=draft.unit_id,
                    recipients=list(draft.recipients), subject=draft.subject, body=draft.body, html=draft.html,
                    alert_ids=list(draft.alert_ids), priority=draft.priority, status="pending", attempts=0,
                    created_at=now, next_attempt_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:                # the same key queued by another process a moment ago
        return None
    log.info("outbox queued id=%s channel=%s kind=%s unit=%s", row.id, row.channel, row.kind, row.unit_id)
    return row.id


# --------------------------------------------------------------------------- draining

@dataclass
class FlushReport:
    """What one flush did. ``messages`` counts sends (a merged DingTalk message is one)."""

    sent: int = 0
    messages: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_transports(config: Config) -> dict[str, Transport]:
    """The configured channels, by name."""
    transports: dict[str, Transport] = {}
    if config.notify.dingtalk is not None:
        transports["dingtalk"] = DingTalk(config.notify.dingtalk)
    if config.notify.email is not None:
        ca = config.notify.email.ca_file
        transports["email"] = Email(config.notify.email, config.monitor.tz,
                                    ca_file=resolve_path(config, ca) if ca else None)
    return transports


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def flush(config: Config, database: Database, now: datetime, *, transports: dict[str, Transport] | None = None,
          owner: str | None = None) -> FlushReport:
    """Send every row due at ``now``; safe to run in several processes at once."""
    chosen = build_transports(config) if transports is None else transports
    report = FlushReport()
    try:
        for transport in chosen.values():
            _flush_channel(database, transport, now, owner or default_owner(), report)
    finally:
        for transport in chosen.values():
            transport.close()
    if report.messages or report.failed or report.retrying:
        log.info("outbox flushed sent=%d messages=%d retrying=%d failed=%d deferred=%d", report.sent,
                 report.messages, report.retrying, report.failed, report.deferred)
    return report


def _flush_channel(database: Database, transport: Transport, now: datetime, owner: str,
                   report: FlushReport) -> None:
    channel = transport.channel
    with database.session() as session:
        messages = [_message(r) for r in _due(session, channel, now)]
        budget = None if transport.per_minute is None else transport.per_minute - _used(session, channel, now)
    if not messages:
        return
    batches, held = transport.plan(messages, budget)
    for index, batch in enumerate(batches):
        outcome = _send_batch(database, transport, batch, now, owner, report)
        if outcome == "stop":
            held += [m for later in batches[index + 1:] for m in later]
            break
    if held:
        _hold(database, channel, held, now, report)


def _send_batch(database: Database, transport: Transport, batch: list[Message], now: datetime, owner: str,
                report: FlushReport) -> str:
    """Claim, send, record. Returns "stop" when the channel should not be tried again in this flush."""
    batch_id = uuid.uuid4().hex
    with database.session() as session:
        claimed = _claim(session, batch, owner, now, batch_id)
    mine = [m for m in batch if m.id in claimed]
    if not mine:
        return "next"
    if transport.per_minute is not None:
        with database.session() as session:
            over = _used(session, transport.channel, now) > transport.per_minute
            if over:                       # another process sent meanwhile: give the rows back
                _release(session, [m.id for m in mine], owner)
                return "stop"
    try:
        transport.send(mine, now)
    except TransportError as error:
        with database.session() as session:
            _failed(session, transport, mine, owner, error, now, report)
        return "stop" if error.channel_wide else "next"
    with database.session() as session:
        _sent(session, transport, mine, owner, now)
    report.sent += len(mine)
    report.messages += 1
    log.info("outbox sent channel=%s ids=%s", transport.channel, ",".join(str(m.id) for m in mine))
    return "next"


def _message(row: OutboxRow) -> Message:
    return Message(id=row.id, key=row.idempotency_key, kind=row.kind, subject=row.subject, body=row.body,
                   html=row.html, recipients=tuple(row.recipients), unit_id=row.unit_id, priority=row.priority,
                   alert_ids=tuple(row.alert_ids))


def _due(session: Session, channel: str, now: datetime) -> list[OutboxRow]:
    """Pending rows whose time has come, and rows left ``sending`` by a process that is gone."""
    rows = session.scalars(
        select(OutboxRow).where(OutboxRow.channel == channel, or_(
            and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now),
            OutboxRow.status == "sending"))
        .order_by(OutboxRow.priority, OutboxRow.created_at, OutboxRow.id))
    return [r for r in rows if r.status == "pending" or _abandoned(r, now)]


def _abandoned(row: OutboxRow, now: datetime) -> bool:
    return row.lease_until is None or row.lease_until <= now or _dead_here(row.lease_owner or "")


def _dead_here(owner: str) -> bool:
    """True when ``owner`` (``host:pid``) names a process of this host that no longer exists."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _used(session: Session, channel: str, now: datetime) -> int:
    """Sends in the last minute (merged rows share a batch), including ones in flight."""
    query = select(func.count(distinct(OutboxRow.batch))).where(OutboxRow.channel == channel, or_(
        and_(OutboxRow.status == "sent", OutboxRow.sent_at > now - WINDOW),
        and_(OutboxRow.status == "sending", OutboxRow.lease_until > now)))
    return int(session.scalar(query) or 0)


def _claim(session: Session, batch: Sequence[Message], owner: str, now: datetime, batch_id: str) -> set[int]:
    """Compare-and-set each row from due (or abandoned) to ours; return the ids won."""
    rows = {r.id: r for r in session.scalars(select(OutboxRow).where(OutboxRow.id.in_([m.id for m in batch])))}
    won: set[int] = set()
    for message in batch:
        row = rows.get(message.id)
        if row is None:
            continue
        if row.status == "sending":
            if not _abandoned(row, now):
                continue
            log.warning("outbox resending a row whose sender died id=%s owner=%s (a duplicate is possible "
                        "if the provider had accepted it)", row.id, row.lease_owner)
            condition = and_(OutboxRow.status == "sending", OutboxRow.lease_owner == row.lease_owner,
                             OutboxRow.batch == row.batch)
        else:
            condition = and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
        result = session.execute(
            update(OutboxRow).where(OutboxRow.id == row.id, condition)
            .values(status="sending", lease_owner=owner, lease_until=now + LEASE, batch=batch_id,
                    attempts=OutboxRow.attempts + 1, last_attempt_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            won.add(row.id)
    return won


def _mine(ids: Iterable[int], owner: str) -> Any:
    return and_(OutboxRow.id.in_(list(ids)), OutboxRow.status == "sending", OutboxRow.lease_owner == owner)


def _release(session: Session, ids: list[int], owner: str) -> None:
    session.execute(update(OutboxRow).where(_mine(ids, owner))
                    .values(status="pending", lease_owner=None, lease_until=None, batch=None,
                            attempts=OutboxRow.attempts - 1)
                    .execution_options(synchronize_session=False))


def _sent(session: Session, transport: Transport, batch: list[Message], owner: str, now: datetime) -> None:
    """Mark the rows sent and write a "notified" event on every alert they reported."""
    result = session.execute(update(OutboxRow).where(_mine([m.id for m in batch], owner))
                             .values(status="sent", sent_at=now, lease_owner=None, lease_until=None,
                                     last_error=None)
                             .execution_options(synchronize_session=False))
    if result.rowcount != len(batch):  # type: ignore[attr-defined]
        log.warning("outbox rows lost their lease while sending ids=%s", [m.id for m in batch])
    merged = f"（与其他{len(batch) - 1}份通知合并发送）" if len(batch) > 1 else ""
    alert_ids = sorted({a for m in batch for a in m.alert_ids})
    severities = dict(session.execute(select(AlertRow.id, AlertRow.severity).where(AlertRow.id.in_(alert_ids))).all())
    for message in batch:
        detail = f"{transport.label}：{transport.describe([message])}{merged}"
        for alert_id in message.alert_ids:
            if alert_id in severities:
                add_event(session, alert_id, now, Event("notified", detail), "notify", severities[alert_id])


def _failed(session: Session, transport: Transport, batch: list[Message], owner: str, error: TransportError,
            now: datetime, report: FlushReport) -> None:
    ids = [m.id for m in batch]
    rows = list(session.scalars(select(OutboxRow).where(_mine(ids, owner))))
    give_up = error.permanent or any(r.attempts >= MAX_ATTEMPTS for r in rows)
    reason = error.reason if error.permanent or not give_up else f"重试{MAX_ATTEMPTS}次仍未成功：{error.reason}"
    if give_up:
        values: dict[str, Any] = {"status": "failed", "last_error": reason}
        report.failed += len(rows)
        log.error("outbox PERMANENT FAILURE channel=%s ids=%s error=%s — 需要人工处理，修复后运行 "
                  "monitor outbox --retry --flush", transport.channel, ids, reason)
    else:
        attempts = max((r.attempts for r in rows), default=1)
        delay = error.retry_after or min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
        values = {"status": "pending", "next_attempt_at": now + delay, "last_error": reason}
        report.retrying += len(rows)
        log.warning("outbox send failed, will retry channel=%s ids=%s attempts=%d retry_at=%s error=%s",
                    transport.channel, ids, attempts, (now + delay).isoformat(), reason)
    session.execute(update(OutboxRow).where(_mine(ids, owner))
                    .values(lease_owner=None, lease_until=None, **values)
                    .execution_options(synchronize_session=False))
    report.errors.append(f"{transport.label}：{reason}")
    if error.permanent and error.channel_wide:
        _pause_channel(session, transport.channel, now, reason)


def _pause_channel(session: Session, channel: str, now: datetime, reason: str) -> None:
    """A configuration error fails every message alike: hold the others until the operator fixes it."""
    session.execute(update(OutboxRow).where(OutboxRow.channel == channel, OutboxRow.status == "pending",
                                            OutboxRow.next_attempt_at <= now + CHANNEL_PAUSE)
                    .values(next_attempt_at=now + CHANNEL_PAUSE, last_error=f"通道暂停：{reason}")
                    .execution_options(synchronize_session=False))


def _hold(database: Database, channel: str, held: list[Message], now: datetime, report: FlushReport) -> None:
    """Rows over this minute's budget wait until the window has room again."""
    with database.session() as session:
        oldest = session.scalar(select(func.min(OutboxRow.sent_at)).where(
            OutboxRow.channel == channel, OutboxRow.status == "sent", OutboxRow.sent_at > now - WINDOW))
        reopen = (oldest or now) + WINDOW
        session.execute(update(OutboxRow).where(OutboxRow.id.in_([m.id for m in held]),
                                                OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                        .values(next_attempt_at=reopen).execution_options(synchronize_session=False))
    report.deferred += len(held)
    log.info("outbox rate limit reached channel=%s held=%d until=%s", channel, len(held), reopen.isoformat())


def retry_failed(session: Session, now: datetime) -> int:
    """After the operator fixed the configuration: failed and paused rows become due now."""
    result = session.execute(update(OutboxRow).where(OutboxRow.status == "failed")
                             .values(status="pending", attempts=0, next_attempt_at=now)
                             .execution_options(synchronize_session=False))
    session.execute(update(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.next_attempt_at > now)
                    .values(next_attempt_at=now).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- health

@dataclass(frozen=True)
class OutboxFailure:
    id: int
    channel: str
    kind: str
    unit_id: str | None
    subject: str
    error: str
    at: datetime | None


@dataclass(frozen=True)
class OutboxHealth:
    """What ``monitor status`` and the digest show: the backlog and every message given up on."""

    pending: int
    due: int
    sending: int
    retrying: int
    failed: int
    oldest_pending: datetime | None
    failures: list[OutboxFailure]

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.retrying == 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["oldest_pending"] = self.oldest_pending.isoformat() if self.oldest_pending else None
        for failure in data["failures"]:
            failure["at"] = failure["at"].isoformat() if failure["at"] else None
        data["ok"] = self.ok
        return data


def outbox_health(session: Session, now: datetime) -> OutboxHealth:
    """Backlog counts and the failed messages (newest first) for status displays and the digest."""
    counts = dict(session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all())
    pending = OutboxRow.status == "pending"
    due = session.scalar(select(func.count()).where(pending, OutboxRow.next_attempt_at <= now)) or 0
    retrying = session.scalar(select(func.count()).where(pending, OutboxRow.attempts > 0)) or 0
    oldest = session.scalar(select(func.min(OutboxRow.created_at)).where(pending))
    failed = session.scalars(select(OutboxRow).where(OutboxRow.status == "failed")
                             .order_by(OutboxRow.last_attempt_at.desc(), OutboxRow.id.desc()).limit(20))
    failures = [OutboxFailure(r.id, r.channel, r.kind, r.unit_id, r.subject, r.last_error or "", r.last_attempt_at)
                for r in failed]
    return OutboxHealth(pending=counts.get("pending", 0), due=int(due), sending=counts.get("sending", 0),
                        retrying=int(retrying), failed=counts.get("failed", 0), oldest_pending=oldest,
                        failures=failures)


def backlog(session: Session) -> list[OutboxRow]:
    """Rows not yet delivered, oldest first."""
    return list(session.scalars(select(OutboxRow).where(OutboxRow.status != "sent").order_by(OutboxRow.id)))
