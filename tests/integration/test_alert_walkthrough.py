"""Issue 3's walk-through: a fixture portal edited by the test, driven through time with ``--now``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal_kit import Cli, Portal, write_config

TZ = ZoneInfo("Asia/Shanghai")


def t(day: int, hour: int, minute: int = 0, month: int = 11) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).isoformat()


def days_before(day: date, *offsets: int) -> list[date]:
    return [day - timedelta(days=n) for n in offsets]


MONDAY = date(2026, 11, 23)


@pytest.fixture
def cli(portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    portal.column("/", "首页", days_before(MONDAY, 1, 2, 3))
    portal.column("/zwyw/", "政务要闻", days_before(MONDAY, 400, 20, 25, 30))     # red: 20 days (置顶 first)
    portal.column("/tzgg/", "通知公告", days_before(MONDAY, 155, 170, 200))       # yellow: 155 days
    return Cli(write_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}"), capsys)


def by_target(alerts: list[dict]) -> dict[str, dict]:
    return {a["target"]["id"]: a for a in alerts}


def test_red_and_yellow_through_a_fortnight(cli: Cli, portal: Portal) -> None:
    # Monday 02:00: the weekly round opens a red and a yellow alert with the right deadlines.
    code, out, _ = cli.run(t(23, 2), "round")
    assert code == 0
    assert "开出" in out
    alerts = by_target(cli.json(t(23, 2, 5), "alerts", "--open"))
    assert set(alerts) == {"zwyw", "tzgg"}
    red, yellow = alerts["zwyw"], alerts["tzgg"]
    assert (red["rule"], red["severity"], red["recheck_due"]) == ("column.stale", "red", "2026-11-24T09:00:00+08:00")
    assert (yellow["severity"], yellow["recheck_due"]) == ("yellow", "2026-11-30T09:00:00+08:00")
    assert red["unit"] == "xzfb" and yellow["unit"] == "fgj"
    assert red["opened_at"] == "2026-11-23T02:00:00+08:00"
    assert set(red) >= {"id", "rule", "severity", "status", "target", "unit", "opened_at", "recheck_due",
                        "overdue", "rechecks"}

    # The same round again changes nothing.
    before = cli.json(t(23, 3), "alerts", "show", str(red["id"]))["events"]
    cli.run(t(23, 3), "round")
    assert cli.json(t(23, 3, 5), "alerts", "show", str(red["id"]))["events"] == before

    # Tuesday 09:05, nothing fixed: only the red is due; only its page is fetched; it becomes overdue.
    portal.server.clear_log()
    result = cli.json(t(24, 9, 5), "recheck", "--due")
    assert portal.requested() == ["/zwyw/"]
    assert [(c["alert"], c["events"]) for c in result["changes"]] == [(red["id"], ["overdue"])]
    red = by_target(cli.json(t(24, 9, 6), "alerts"))["zwyw"]
    assert (red["overdue"], red["rechecks"], red["recheck_due"]) == (True, 1, "2026-11-25T09:00:00+08:00")

    # Wednesday the unit publishes; the 09:00 recheck resolves the red alert.
    portal.column("/zwyw/", "政务要闻", [date(2026, 11, 25), *days_before(MONDAY, 20, 25)])
    result = cli.json(t(25, 9, 1), "recheck", "--due")
    assert [c["events"] for c in result["changes"]] == [["resolved"]]
    shown = cli.json(t(25, 9, 2), "alerts", "show", str(red["id"]))
    assert shown["status"] == "resolved"
    assert [e["kind"] for e in shown["events"]] == ["opened", "overdue", "resolved"]
    assert shown["events"][0]["actor"] == "round" and shown["events"][-1]["actor"] == "recheck"

    # Next Monday 09:00 the notice column is still in its yellow band: escalated to red, due the next day.
    portal.server.clear_log()
    result = cli.json(t(30, 9, 0), "recheck", "--due")
    assert portal.requested() == ["/tzgg/"]
    assert [c["events"] for c in result["changes"]] == [["escalated"]]
    yellow = by_target(cli.json(t(30, 9, 1), "alerts", "--open"))["tzgg"]
    assert (yellow["severity"], yellow["recheck_due"]) == ("red", "2026-12-01T09:00:00+08:00")
    assert cli.json(t(30, 9, 1), "alerts", "--severity", "yellow") == []


def test_waived_alert_stays_silent_until_unwaived(cli: Cli) -> None:
    cli.run(t(23, 2), "round")
    red = by_target(cli.json(t(23, 2, 1), "alerts"))["zwyw"]
    code, out, _ = cli.run(t(23, 10), "waive", str(red["id"]), "--reason", "栏目已停用，误报")
    assert code == 0 and "已豁免" in out
    cli.run(t(30, 2), "round")                                   # still stale: stays silent
    shown = cli.json(t(30, 3), "alerts", "show", str(red["id"]))
    assert shown["status"] == "waived"
    assert [e["kind"] for e in shown["events"]] == ["opened", "waived"]
    assert shown["events"][1]["detail"] == "栏目已停用，误报"
    assert shown["events"][1]["actor"].startswith("operator:")
    assert len(cli.json(t(30, 3), "alerts")) == 2                 # no second alert for the fingerprint
    cli.run(t(30, 10), "unwaive", str(red["id"]))
    shown = cli.json(t(30, 10, 1), "alerts", "show", str(red["id"]))
    assert (shown["status"], shown["recheck_due"]) == ("open", "2026-12-01T09:00:00+08:00")


def test_failing_list_page_does_not_resolve_and_recheck_retries(cli: Cli, portal: Portal) -> None:
    cli.run(t(23, 2), "round")
    portal.server.remove("/zwyw/")                               # the column now answers 404
    round_out = cli.json(t(23, 20), "round")
    assert [e["target"]["id"] for e in round_out["errors"]] == ["zwyw"]
    red = by_target(cli.json(t(23, 21), "alerts", "--open"))["zwyw"]
    assert red["status"] == "open"
    result = cli.json(t(24, 9, 5), "recheck", str(red["id"]))
    assert [c["events"] for c in result["changes"]] == [["uninspected"]]
    red = by_target(cli.json(t(24, 9, 6), "alerts", "--open"))["zwyw"]
    assert red["recheck_due"] == "2026-11-24T10:05:00+08:00" and not red["overdue"]


def test_source_failing_after_two_rounds_goes_to_the_office(cli: Cli, portal: Portal) -> None:
    portal.server.remove("/tzgg/")
    cli.run(t(23, 2), "round")
    assert "tzgg" not in by_target(cli.json(t(23, 3), "alerts"))
    round2 = cli.json(t(30, 2), "round")
    failing = [f for f in round2["findings"] if f["rule"] == "source.failing"]
    assert [(f["target"]["id"], f["unit"], f["severity"]) for f in failing] == [("tzgg", "xzfb", "yellow")]
    portal.column("/tzgg/", "通知公告", [date(2026, 11, 30), date(2026, 11, 20), date(2026, 11, 10)])
    cli.run(t(30, 5), "round")
    statuses = {(a["rule"], a["target"]["id"]): a["status"] for a in cli.json(t(30, 6), "alerts")}
    assert statuses[("source.failing", "tzgg")] == "resolved"


def test_operator_errors_exit_2(cli: Cli) -> None:
    cli.run(t(23, 2), "round")
    assert cli.run(t(23, 3), "alerts", "show", "999")[0] == 2
    code, _, err = cli.run(t(23, 3), "waive", "999", "--reason", "x")
    assert code == 2 and "没有编号为 999 的预警" in err
    code, _, err = cli.run(t(23, 3), "waive", "1", "--reason", "  ")
    assert code == 2 and "--reason 不能为空" in err
    assert cli.run(t(23, 3), "waive", "1")[0] == 2                    # --reason is required
    assert cli.run(t(23, 3), "recheck")[0] == 2                       # nothing chosen
    assert cli.run(t(23, 3), "recheck", "--unit", "nobody")[0] == 2
    alerts = cli.json(t(23, 3), "alerts")
    red = by_target(alerts)["zwyw"]
    cli.run(t(23, 3), "waive", str(red["id"]), "--reason", "误报")
    code, _, err = cli.run(t(23, 4), "waive", str(red["id"]), "--reason", "again")
    assert code == 2 and "只能豁免未关闭的预警" in err


def test_working_day_deadline_across_national_day(portal: Portal, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    sep30 = date(2026, 9, 30)
    portal.column("/", "首页", [sep30, sep30, sep30])
    portal.column("/zwyw/", "政务要闻", days_before(sep30, 15, 16, 17))
    portal.column("/tzgg/", "通知公告", [sep30, sep30, sep30])
    cli = Cli(write_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}", workdays=True),
              capsys)
    cli.run(datetime(2026, 9, 30, 2, tzinfo=TZ), "round")
    red = by_target(cli.json(datetime(2026, 9, 30, 3, tzinfo=TZ), "alerts"))["zwyw"]
    assert red["recheck_due"] == "2026-10-08T09:00:00+08:00"
    result = cli.json(datetime(2026, 10, 9, 9, 30, tzinfo=TZ), "recheck", "--due")
    assert [c["recheck_due"] for c in result["changes"]] == ["2026-10-10T09:00:00+08:00"]   # 调休 Saturday
