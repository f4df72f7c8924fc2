"""Rounds and rechecks end to end: inspect, then apply the lifecycle in one transaction.

That transaction is also the one that marks the round done, so a round is never done
without its alert changes, nor its changes written twice after a kill. ``after_apply``
hooks run inside it too, so whatever they write (the outbox's notices) commits or rolls
back together with the alert changes. ``stop`` (the daemon's SIGTERM) abandons the round
cleanly with ``Interrupted``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.alerts.calendar import DeadlinePolicy
from monitor.alerts.lifecycle import AlertState, Change, Event, apply_recheck, apply_round
from monitor.alerts.store import (
    Applied,
    active_alerts,
    alerts_by_id,
    apply_changes,
    claim,
    due_ids,
    open_ids,
    release,
)
from monitor.config import Config
from monitor.domain import Inspection
from monitor.errors import UsageError
from monitor.inspect import Progress, Target, target_for
from monitor.rules import RuleSet
from monitor.runner import run_inspection
from monitor.store.db import Database

log = logging.getLogger(__name__)

AfterApply = Callable[[Session, list[Applied], datetime], None]


def deadline_policy(config: Config) -> DeadlinePolicy:
    return DeadlinePolicy(config.monitor.recheck_time, config.monitor.tz, config.monitor.working_days_only)


@dataclass
class Outcome:
    """What a round or recheck did: its inspection and the alert changes it made."""

    round_id: int | None
    inspection: Inspection | None
    applied: list[Applied] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)     # why some asked-for alerts were not rechecked


def run_round(config: Config, rules: RuleSet, database: Database, now: datetime, *, kind: str = "weekly",
              progress: Progress | None = None, after_apply: AfterApply | None = None,
              stop: threading.Event | None = None) -> Outcome:
    applied: list[Applied] = []

    def record(session: Session, round_id: int, inspection: Inspection) -> None:
        changes = apply_round(active_alerts(session), inspection, deadline_policy(config))
        applied.extend(apply_changes(session, changes, actor="round", now=now, round_id=round_id))
        if after_apply:
            after_apply(session, applied, now)

    round_id, inspection = run_inspection(config, rules, database, now, kind=kind, progress=progress,
                                          stop=stop, record=record)
    log.info("round done round_id=%s findings=%d errors=%d changes=%d", round_id, len(inspection.findings),
             len(inspection.errors), len(applied))
    return Outcome(round_id, inspection, applied)


@dataclass(frozen=True)
class Selection:
    """Which alerts to recheck: explicit ids, a unit's, all open ones, or those due now."""

    ids: Sequence[int] = ()
    unit: str | None = None
    all_open: bool = False
    due: bool = False


def select_ids(session: Session, selection: Selection, now: datetime) -> tuple[list[int], list[str]]:
    if selection.ids:
        found = {a.id: a for a in alerts_by_id(session, selection.ids)}
        unknown = [str(i) for i in selection.ids if i not in found]
        if unknown:
            raise UsageError(f"没有编号为 {', '.join(unknown)} 的预警（monitor alerts 查看全部）")
        status_names = {"resolved": "已整改完成", "waived": "已豁免"}
        skipped = [f"预警 {i} {status_names[found[i].status]}，无需复查" for i in selection.ids
                   if found[i].status != "open"]
        return [i for i in selection.ids if found[i].status == "open"], skipped
    if selection.due:
        return due_ids(session, now), []
    return open_ids(session, selection.unit), []


def run_recheck(config: Config, rules: RuleSet, database: Database, now: datetime, selection: Selection, *,
                owner: str, actor: str = "recheck", progress: Progress | None = None,
                after_apply: AfterApply | None = None, stop: threading.Event | None = None) -> Outcome:
    """Re-inspect only the targets of the selected alerts, then move those alerts on."""
    with database.session() as session:
        wanted, skipped = select_ids(session, selection, now)
        claimed = claim(session, wanted, owner=owner, now=now)
    busy = [f"预警 {i} 正由另一进程复查，已跳过" for i in wanted if i not in claimed]
    if not claimed:
        return Outcome(None, None, [], skipped + busy)
    try:
        with database.session() as session:
            alerts = alerts_by_id(session, claimed)
        targets, gone = _targets(config, alerts)
        applied: list[Applied] = []

        def record(session: Session, round_id: int, inspection: Inspection) -> None:
            fresh = alerts_by_id(session, claimed)          # re-read: a round may have moved them meanwhile
            changes = apply_recheck([a for a in fresh if a.target.key not in gone], inspection,
                                    deadline_policy(config))
            changes += [_target_removed(a) for a in fresh if a.target.key in gone and a.status == "open"]
            applied.extend(apply_changes(session, changes, actor=actor, now=now, round_id=round_id))
            if after_apply:
                after_apply(session, applied, now)

        round_id, inspection = run_inspection(config, rules, database, now, kind="recheck", targets=targets,
                                              progress=progress, stop=stop, record=record)
    finally:
        with database.session() as session:
            release(session, claimed, owner=owner)
    return Outcome(round_id, inspection, applied, skipped + busy)


def _targets(config: Config, alerts: list[AlertState]) -> tuple[list[Target], set[tuple[str, str]]]:
    targets: dict[tuple[str, str], Target] = {}
    gone: set[tuple[str, str]] = set()
    for alert in alerts:
        target = target_for(config, alert.target, alert.evidence)
        if target is None:
            gone.add(alert.target.key)
        else:
            targets[alert.target.key] = target
    return list(targets.values()), gone


def _target_removed(alert: AlertState) -> Change:
    return Change(alert, replace(alert, status="resolved", recheck_due=None),
                  (Event("resolved", "目标已从配置中移除，预警关闭"),))
