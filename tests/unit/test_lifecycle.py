"""The pure alert lifecycle (DESIGN §4), table-driven: state × finding × inspected → change."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.alerts.calendar import DeadlinePolicy, WorkCalendar
from monitor.alerts.lifecycle import AlertState, apply_recheck, apply_round, unwaive, waive
from monitor.domain import Finding, Inspection, InspectionError, TargetRef
from monitor.held import HeldFindings

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=TZ)
POLICY = DeadlinePolicy(time(9, 0), TZ)
COL = TargetRef("column", "zwyw", "政务要闻", "http://x/zwyw/")


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


def finding(severity: str, days: int = 20, target: TargetRef = COL) -> Finding:
    return Finding("column.stale", severity, target, "xzfb", f"已{days}天未更新", {"days": days})  # type: ignore[arg-type]


def alert(severity: str, status: str = "open", *, days: int = 20, due: datetime | None = None,
          overdue: bool = False, rechecks: int = 0) -> AlertState:
    return AlertState("column.stale", COL, "xzfb", severity, status, MONDAY,  # type: ignore[arg-type]
                      due or at(24), f"已{days}天未更新", {"days": days}, overdue, rechecks, id=7)


def inspection(now: datetime, findings: list[Finding], *, inspected: bool = True, error: bool = False) -> Inspection:
    ins = Inspection(now=now, findings=HeldFindings(findings))
    if inspected:
        ins.inspected.add(COL.key)
    if error:
        ins.errors.append(InspectionError(COL, "xzfb", "请求超时（20 秒）"))
    return ins


# --------------------------------------------------------------------------- rounds

ROUND_CASES = [
    # id, existing alert, findings, inspected, expected (event kinds, notice, severity, status, due)
    ("new red opens, due next day", None, [finding("red")], True,
     (["opened"], "opened", "red", "open", at(24))),
    ("new yellow opens, due a week later", None, [finding("yellow", 11)], True,
     (["opened"], "opened", "yellow", "open", at(30))),
    ("higher severity raises", alert("yellow", days=11, due=at(30)), [finding("red", 14)], True,
     (["raised"], "raised", "red", "open", at(24))),
    ("same severity, new evidence: refreshed silently", alert("red"), [finding("red", 27)], True,
     ([], None, "red", "open", at(24))),
    ("lower severity in a round: refreshed, stays red", alert("red"), [finding("yellow", 11)], True,
     ([], None, "red", "open", at(24))),
    ("gone and inspected: resolved", alert("red"), [], True,
     (["resolved"], None, "red", "resolved", None)),
]


@pytest.mark.parametrize(("existing", "findings", "inspected", "expected"),
                         [c[1:] for c in ROUND_CASES], ids=[c[0] for c in ROUND_CASES])
def test_round(existing, findings, inspected, expected) -> None:
    changes = apply_round([existing] if existing else [], inspection(MONDAY, findings, inspected=inspected), POLICY)
    assert len(changes) == 1
    change = changes[0]
    kinds, notice, severity, status, due = expected
    assert [e.kind for e in change.events] == kinds
    assert change.notice == notice
    assert (change.after.severity, change.after.status, change.after.recheck_due) == (severity, status, due)
    assert change.before is existing


@pytest.mark.parametrize(("existing", "findings", "inspected"), [
    pytest.param(alert("red"), [finding("red")], True, id="same severity, same evidence: nothing"),
    pytest.param(alert("red"), [], False, id="target not inspected: an error never resolves"),
    pytest.param(alert("red", "waived"), [finding("red", 30)], True, id="waived stays silent"),
    pytest.param(alert("yellow", "waived"), [finding("red")], True, id="waived is not raised"),
    pytest.param(alert("red", "waived"), [], True, id="waived is not resolved"),
])
def test_round_no_change(existing, findings, inspected) -> None:
    assert apply_round([existing], inspection(MONDAY, findings, inspected=inspected, error=not inspected),
                       POLICY) == []


def test_round_only_touches_inspected_targets() -> None:
    other = TargetRef("column", "tzgg", "通知公告", "http://x/tzgg/")
    other_alert = AlertState("column.stale", other, "xzfb", "red", "open", MONDAY, at(24))
    ins = inspection(MONDAY, [])           # only zwyw inspected
    changes = apply_round([alert("red"), other_alert], ins, POLICY)
    assert [(c.after.target.id, c.after.status) for c in changes] == [("zwyw", "resolved")]


# --------------------------------------------------------------------------- rechecks

RECHECK_CASES = [
    ("red still red: overdue, due next day", alert("red"), [finding("red", 21)],
     (["overdue"], "overdue", "red", True, 1, at(25))),
    ("yellow still yellow a week later: escalated", alert("yellow", days=150, due=at(30)), [finding("yellow", 157)],
     (["escalated"], "escalated", "red", False, 1, at(1, month=12))),
    ("yellow now red: escalated", alert("yellow", days=11, due=at(30)), [finding("red", 18)],
     (["escalated"], "escalated", "red", False, 1, at(1, month=12))),
    ("red now only yellow: lowered with a weekly deadline", alert("red", overdue=True), [finding("yellow", 12)],
     (["lowered"], None, "yellow", False, 1, at(1, month=12))),
]


@pytest.mark.parametrize(("existing", "findings", "expected"), [c[1:] for c in RECHECK_CASES],
                         ids=[c[0] for c in RECHECK_CASES])
def test_recheck_still_failing(existing, findings, expected) -> None:
    now = existing.recheck_due
    [change] = apply_recheck([existing], inspection(now, findings), POLICY)
    kinds, notice, severity, overdue, rechecks, due = expected
    assert [e.kind for e in change.events] == kinds
    assert change.notice == notice
    after = change.after
    assert (after.severity, after.overdue, after.rechecks, after.recheck_due) == (severity, overdue, rechecks, due)
    assert after.evidence == findings[0].evidence


def test_recheck_fixed_resolves() -> None:
    [change] = apply_recheck([alert("red")], inspection(at(24), []), POLICY)
    assert change.after.status == "resolved"
    assert change.after.recheck_due is None
    assert [e.kind for e in change.events] == ["resolved"]
    assert change.notice is None           # 整改完成 goes to the digest, not a message of its own


def test_recheck_that_cannot_inspect_retries_in_an_hour() -> None:
    [change] = apply_recheck([alert("red")], inspection(at(24), [], inspected=False, error=True), POLICY)
    assert change.after.status == "open"
    assert change.after.recheck_due == at(24, 10)
    assert change.after.rechecks == 0
    assert "请求超时" in change.events[0].detail


def test_recheck_ignores_waived() -> None:
    assert apply_recheck([alert("red", "waived")], inspection(at(24), [finding("red")]), POLICY) == []


# --------------------------------------------------------------------------- operators

def test_waive_and_unwaive() -> None:
    change = waive(alert("red"), "栏目已撤销，属误报")
    assert change.after.status == "waived"
    assert change.events[0].detail == "栏目已撤销，属误报"
    back = unwaive(change.after, at(26, 15), POLICY)
    assert back.after.status == "open"
    assert back.after.recheck_due == at(27)
    with pytest.raises(ValueError):
        waive(alert("red", "resolved"), "x")
    with pytest.raises(ValueError):
        unwaive(alert("red"), at(26), POLICY)


# --------------------------------------------------------------------------- working days

WORKDAYS = DeadlinePolicy(time(9, 0), TZ, working_days_only=True)


@pytest.mark.parametrize(("now", "severity", "due"), [
    pytest.param(datetime(2026, 11, 27, 10, tzinfo=TZ), "red", datetime(2026, 11, 30, 9, tzinfo=TZ),
                 id="red on a Friday is due Monday"),
    pytest.param(datetime(2026, 9, 30, 10, tzinfo=TZ), "red", datetime(2026, 10, 8, 9, tzinfo=TZ),
                 id="red before National Day is due after the holiday"),
    pytest.param(datetime(2026, 10, 9, 10, tzinfo=TZ), "red", datetime(2026, 10, 10, 9, tzinfo=TZ),
                 id="make-up Saturday counts as a working day"),
    pytest.param(datetime(2026, 9, 28, 10, tzinfo=TZ), "yellow", datetime(2026, 10, 8, 9, tzinfo=TZ),
                 id="yellow a week later lands in the holiday and moves"),
    pytest.param(datetime(2026, 11, 28, 10, tzinfo=TZ), "red", datetime(2026, 11, 29, 9, tzinfo=TZ),
                 id="without the option next day is calendar day"),
])
def test_deadlines(now: datetime, severity: str, due: datetime, request: pytest.FixtureRequest) -> None:
    policy = POLICY if "without" in request.node.callspec.id else WORKDAYS
    assert policy.due(severity, now) == due


def test_unknown_year_falls_back_to_weekdays_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    calendar = WorkCalendar()
    with caplog.at_level(logging.WARNING):
        assert calendar.is_workday(date(2099, 1, 2)) is True       # a Friday
        assert calendar.is_workday(date(2099, 1, 3)) is False      # a Saturday
        assert calendar.on_or_after(date(2099, 1, 3)) == date(2099, 1, 5)
    assert sum("no data for year=2099" in r.message for r in caplog.records) == 1


def test_red_deadline_is_next_calendar_day_at_recheck_time() -> None:
    late_evening = datetime(2026, 11, 23, 23, 50, tzinfo=TZ)
    assert POLICY.due("red", late_evening) == at(24)
    utc_view = datetime(2026, 11, 23, 17, 0, tzinfo=ZoneInfo("UTC"))    # 01:00 on the 24th in Shanghai
    assert POLICY.due("red", utc_view) == at(25)
    assert POLICY.due("yellow", MONDAY) - MONDAY == timedelta(days=7, hours=7)
