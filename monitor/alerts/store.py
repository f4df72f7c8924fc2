"""Alerts in the database: load them as ``AlertState``, apply lifecycle changes, claim rechecks.

Two processes (the daemon and an operator) may work at once. Every update is a
compare-and-set on ``version`` so no update is lost silently, a recheck first
claims its alerts with a lease (``UPDATE … WHERE lease is free``) so no alert is
rechecked twice, and the partial unique index keeps one live alert per fingerprint.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.alerts.lifecycle import AlertState, Change, Event
from monitor.domain import TargetRef
from monitor.store.tables import AlertEventRow, AlertRow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=30)


def fingerprint_hash(rule: str, kind: str, target_id: str) -> str:
    return hashlib.sha256(f"{rule}\x1f{kind}\x1f{target_id}".encode()).hexdigest()


def to_state(row: AlertRow) -> AlertState:
    return AlertState(
        rule=row.rule, target=TargetRef(row.target_kind, row.target_id, row.target_name, row.target_url),
        unit=row.unit_id, severity=row.severity, status=row.status,  # type: ignore[arg-type]
        opened_at=row.opened_at, recheck_due=row.recheck_due, message=row.message, evidence=row.evidence,
        overdue=row.overdue, rechecks=row.rechecks, id=row.id, version=row.version)


def active_alerts(session: Session) -> list[AlertState]:
    """Open and waived alerts: what a round compares its findings with."""
    rows = session.scalars(select(AlertRow).where(AlertRow.status != "resolved").order_by(AlertRow.id))
    return [to_state(r) for r in rows]


def alerts_by_id(session: Session, ids: Iterable[int]) -> list[AlertState]:
    rows = session.scalars(select(AlertRow).where(AlertRow.id.in_(list(ids))).order_by(AlertRow.id))
    return [to_state(r) for r in rows]


@dataclass(frozen=True)
class Applied:
    alert_id: int
    change: Change


def apply_changes(session: Session, changes: Sequence[Change], *, actor: str, now: datetime,
                  round_id: int | None = None) -> list[Applied]:
    """Write changes and their events; a change that lost a race is skipped and logged."""
    applied: list[Applied] = []
    for change in changes:
        alert_id = _insert(session, change, now) if change.before is None else _update(session, change, now)
        if alert_id is None:
            continue
        for event in change.events:
            add_event(session, alert_id, now, event, actor, change.after.severity, round_id)
        applied.append(Applied(alert_id, change))
    return applied


def add_event(session: Session, alert_id: int, now: datetime, event: Event, actor: str, severity: str,
              round_id: int | None = None) -> None:
    session.add(AlertEventRow(alert_id=alert_id, at=now, kind=event.kind, actor=actor, detail=event.detail,
                              severity=severity, round_id=round_id))


def _insert(session: Session, change: Change, now: datetime) -> int | None:
    a = change.after
    row = AlertRow(fingerprint=fingerprint_hash(*a.fingerprint), rule=a.rule, target_kind=a.target.kind,
                   target_id=a.target.id, target_name=a.target.name, target_url=a.target.url, unit_id=a.unit,
                   severity=a.severity, status=a.status, opened_at=a.opened_at, recheck_due=a.recheck_due,
                   overdue=a.overdue, rechecks=a.rechecks, message=a.message, evidence=a.evidence,
                   updated_at=now, version=1)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        log.warning("alert already opened by another process rule=%s target=%s", a.rule, a.target.id)
        return None
    return row.id


def _update(session: Session, change: Change, now: datetime) -> int | None:
    before, a = change.before, change.after
    assert before is not None and before.id is not None
    values = dict(severity=a.severity, status=a.status, recheck_due=a.recheck_due, overdue=a.overdue,
                  rechecks=a.rechecks, message=a.message, evidence=a.evidence, unit_id=a.unit,
                  target_name=a.target.name, target_url=a.target.url, updated_at=now,
                  version=AlertRow.version + 1)
    if a.status != "open" and before.status == "open":
        values["closed_at"] = now
    elif a.status == "open":
        values["closed_at"] = None
    result = session.execute(update(AlertRow).where(AlertRow.id == before.id, AlertRow.version == before.version)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("alert changed by another process meanwhile, change skipped id=%s", before.id)
        return None
    return before.id


def claim(session: Session, ids: Iterable[int], *, owner: str, now: datetime) -> list[int]:
    """Take a lease on each open alert not leased by someone else; return the ids won."""
    won = []
    for alert_id in ids:
        result = session.execute(
            update(AlertRow)
            .where(AlertRow.id == alert_id, AlertRow.status == "open",
                   or_(AlertRow.lease_until.is_(None), AlertRow.lease_until <= now, AlertRow.lease_owner == owner))
            .values(lease_owner=owner, lease_until=now + LEASE)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            won.append(alert_id)
    return won


def release(session: Session, ids: Iterable[int], *, owner: str) -> None:
    session.execute(update(AlertRow).where(AlertRow.id.in_(list(ids)), AlertRow.lease_owner == owner)
                    .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))


def due_ids(session: Session, now: datetime) -> list[int]:
    return list(session.scalars(select(AlertRow.id).where(AlertRow.status == "open", AlertRow.recheck_due <= now)
                                .order_by(AlertRow.recheck_due, AlertRow.id)))


def open_ids(session: Session, unit: str | None = None) -> list[int]:
    query = select(AlertRow.id).where(AlertRow.status == "open")
    if unit is not None:
        query = query.where(AlertRow.unit_id == unit)
    return list(session.scalars(query.order_by(AlertRow.id)))


def list_alerts(session: Session, *, open_only: bool = False, unit: str | None = None,
                severity: str | None = None) -> list[AlertRow]:
    query = select(AlertRow)
    if open_only:
        query = query.where(AlertRow.status == "open")
    if unit is not None:
        query = query.where(AlertRow.unit_id == unit)
    if severity is not None:
        query = query.where(AlertRow.severity == severity)
    return list(session.scalars(query.order_by(AlertRow.id)))


def get_alert(session: Session, alert_id: int) -> AlertRow | None:
    return session.get(AlertRow, alert_id)


def events_of(session: Session, alert_id: int) -> list[AlertEventRow]:
    return list(session.scalars(select(AlertEventRow).where(AlertEventRow.alert_id == alert_id)
                                .order_by(AlertEventRow.at, AlertEventRow.id)))
