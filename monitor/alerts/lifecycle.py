"""The 红/黄 alert lifecycle as a pure function (DESIGN §4).

    (open and waived alerts, one inspection's findings, which targets it saw, now, policy)
        → changes: the alert's new state, the events that explain it, and whether to notify

Who gets told what, in one place:

- a new fingerprint opens an alert and notifies its unit (red: 次日复查; yellow: 次周复查);
- a round finding it again at a higher severity raises it and notifies; the same or a
  lower severity only refreshes its evidence, silently;
- a recheck that finds it again: red → 逾期未整改 (overdue), notified, due the next day;
  yellow → 升级为红色通报 (escalated), notified, due the next day; a red that is now only
  yellow is lowered to yellow with a new one-week deadline, silently;
- fixed (target inspected, finding gone) → resolved, never notified alone: 整改完成 goes
  into the digest;
- a target that could not be inspected changes nothing (an error never resolves); a due
  recheck that could not inspect its target is tried again an hour later;
- waived alerts stay silent whatever is found, until unwaived.

No I/O and no clock reads here: the store and the notices act on the returned changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from monitor.alerts.calendar import DeadlinePolicy
from monitor.domain import SEVERITY_RANK, Finding, Inspection, Severity, TargetRef

Fingerprint = tuple[str, str, str]
Status = Literal["open", "resolved", "waived"]
NoticeKind = Literal["opened", "raised", "overdue", "escalated"]

RETRY_UNINSPECTED = timedelta(hours=1)


@dataclass(frozen=True)
class AlertState:
    rule: str
    target: TargetRef
    unit: str
    severity: Severity
    status: Status
    opened_at: datetime
    recheck_due: datetime | None
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    overdue: bool = False
    rechecks: int = 0
    id: int | None = None
    version: int = 0            # storage's compare-and-set counter; the lifecycle never reads it

    @property
    def fingerprint(self) -> Fingerprint:
        return (self.rule, self.target.kind, self.target.id)


@dataclass(frozen=True)
class Event:
    kind: str       # opened raised refreshed resolved overdue escalated lowered uninspected waived unwaived notified
    detail: str


@dataclass(frozen=True)
class Change:
    before: AlertState | None
    after: AlertState
    events: tuple[Event, ...] = ()
    notice: NoticeKind | None = None


def _fresh(finding: Finding, now: datetime, policy: DeadlinePolicy) -> AlertState:
    return AlertState(finding.rule, finding.target, finding.unit, finding.severity, "open", now,
                      policy.due(finding.severity, now), finding.message, finding.evidence)


def _with_finding(alert: AlertState, finding: Finding, **changes: Any) -> AlertState:
    return replace(alert, message=finding.message, evidence=finding.evidence, unit=finding.unit, **changes)


def _due_text(due: datetime | None, policy: DeadlinePolicy) -> str:
    return due.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M") if due else "无"


def apply_round(alerts: Iterable[AlertState], inspection: Inspection, policy: DeadlinePolicy) -> list[Change]:
    """A weekly/manual round: open new alerts, raise worse ones, resolve fixed ones."""
    now = inspection.now
    current = {a.fingerprint: a for a in alerts if a.status != "resolved"}
    changes: list[Change] = []
    for finding in inspection.findings:
        alert = current.get(finding.fingerprint)
        if alert is None:
            new = _fresh(finding, now, policy)
            changes.append(Change(None, new, (Event("opened", f"{finding.message}；复查时间 "
                                                    f"{_due_text(new.recheck_due, policy)}"),), "opened"))
        elif alert.status == "waived":
            continue
        elif SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alert.severity]:
            due = policy.due(finding.severity, now)
            after = _with_finding(alert, finding, severity=finding.severity, recheck_due=due)
            changes.append(Change(alert, after, (Event("raised", f"{alert.severity} → {finding.severity}："
                                                       f"{finding.message}；复查时间 {_due_text(due, policy)}"),),
                                  "raised"))
        elif finding.evidence != alert.evidence or finding.message != alert.message:
            changes.append(Change(alert, _with_finding(alert, finding)))
    found = {f.fingerprint for f in inspection.findings}
    changes += _resolved(current.values(), found, inspection, "巡检")
    return changes


def apply_recheck(alerts: Iterable[AlertState], inspection: Inspection, policy: DeadlinePolicy) -> list[Change]:
    """Re-inspection of these alerts' targets (due, or asked for by an operator)."""
    now = inspection.now
    chosen = [a for a in alerts if a.status == "open"]
    by_fp = {f.fingerprint: f for f in inspection.findings}
    changes: list[Change] = []
    for alert in chosen:
        finding = by_fp.get(alert.fingerprint)
        if finding is not None:             # source.failing is found precisely when its target errs
            changes.append(_still_failing(alert, finding, now, policy))
        elif not inspection.saw(alert.target.key):
            due = now + RETRY_UNINSPECTED
            error = next((e.error for e in inspection.errors if e.target.key == alert.target.key), "未检查")
            event = Event("uninspected", f"复查时无法检查目标（{error}），{_due_text(due, policy)} 再试")
            changes.append(Change(alert, replace(alert, recheck_due=due), (event,)))
    found = set(by_fp)
    changes += _resolved(chosen, found, inspection, "复查")
    return changes


def _still_failing(alert: AlertState, finding: Finding, now: datetime, policy: DeadlinePolicy) -> Change:
    count = alert.rechecks + 1
    if alert.severity == "red" and finding.severity == "red":
        due = policy.due("red", now)
        after = _with_finding(alert, finding, overdue=True, rechecks=count, recheck_due=due)
        return Change(alert, after, (Event("overdue", f"第{count}次复查仍未整改（逾期未整改）：{finding.message}；"
                                                      f"下次复查 {_due_text(due, policy)}"),), "overdue")
    if alert.severity == "yellow":
        due = policy.due("red", now)
        after = _with_finding(alert, finding, severity="red", rechecks=count, recheck_due=due)
        return Change(alert, after, (Event("escalated", f"次周复查仍未整改，黄色预警升级为红色通报：{finding.message}；"
                                                        f"复查时间 {_due_text(due, policy)}"),), "escalated")
    due = policy.due("yellow", now)
    after = _with_finding(alert, finding, severity="yellow", overdue=False, rechecks=count, recheck_due=due)
    return Change(alert, after, (Event("lowered", f"已低于红线，降为黄色预警：{finding.message}；"
                                                  f"复查时间 {_due_text(due, policy)}"),))


def _resolved(alerts: Iterable[AlertState], found: set[Fingerprint], inspection: Inspection,
              how: str) -> list[Change]:
    return [Change(a, replace(a, status="resolved", recheck_due=None),
                   (Event("resolved", f"{how}确认已整改（整改完成）"),))
            for a in alerts
            if a.status == "open" and a.fingerprint not in found and inspection.saw(a.target.key)]


def waive(alert: AlertState, reason: str) -> Change:
    if alert.status != "open":
        raise ValueError(f"只能豁免未关闭的预警（当前状态 {alert.status}）")
    return Change(alert, replace(alert, status="waived", recheck_due=None), (Event("waived", reason),))


def unwaive(alert: AlertState, now: datetime, policy: DeadlinePolicy, reason: str = "") -> Change:
    if alert.status != "waived":
        raise ValueError(f"该预警未被豁免（当前状态 {alert.status}）")
    due = policy.due(alert.severity, now)
    detail = f"取消豁免{'：' + reason if reason else ''}；复查时间 {_due_text(due, policy)}"
    return Change(alert, replace(alert, status="open", recheck_due=due), (Event("unwaived", detail),))
