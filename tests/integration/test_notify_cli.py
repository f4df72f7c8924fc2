"""``notify-test``, ``digest`` and ``outbox`` from the command line, against the fake robot and a real SMTP server."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from fake_dingtalk import FakeRobot
from monitor.config import load_config
from monitor.notify.digest import build_digest
from monitor.store.db import Database
from notify_kit import MONDAY_2AM, SmtpServer, county_config, notify_toml
from portal_kit import Cli, Portal

MONDAY = date(2026, 11, 23)


def days_ago(*offsets: int) -> list[date]:
    return [MONDAY - timedelta(days=n) for n in offsets]


@pytest.fixture
def county(portal: Portal, robot: FakeRobot, smtp: SmtpServer, tmp_path: Path,
           capsys: pytest.CaptureFixture[str]) -> Cli:
    portal.column("/", "首页", days_ago(3, 4, 5))
    portal.column("/c00/", "栏目00", days_ago(20, 25))          # red
    portal.column("/c01/", "栏目01", days_ago(11, 12))          # yellow
    portal.column("/c02/", "栏目02", days_ago(1, 2))            # fine
    return Cli(county_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}", 3,
                             notify_toml(robot, smtp)), capsys)


def test_notify_test_reaches_both_channels(county: Cli, robot: FakeRobot, smtp: SmtpServer) -> None:
    code, out, err = county.run(MONDAY_2AM, "notify-test")
    assert code == 0, err
    assert out.splitlines() == ["钉钉：测试消息已发送（钉钉群）。", "邮件：测试消息已发送（leader@example.gov.cn）。"]
    assert robot.delivered[0]["markdown"]["title"] == "政务公开巡检：通知渠道测试"
    assert smtp.inbox.received[0].message["Subject"] == "政务公开巡检：通知渠道测试"


def test_notify_test_reports_a_stale_clock(county: Cli, robot: FakeRobot) -> None:
    robot.skew_s = 2 * 3600                # our server's clock is two hours behind DingTalk's
    code, _, err = county.run(MONDAY_2AM, "notify-test", "--channel", "dingtalk")
    assert code == 1 and "时间戳无效" in err
    assert robot.delivered == []


def test_weekly_digest_data_preview_and_send(county: Cli, portal: Portal, robot: FakeRobot, smtp: SmtpServer,
                                             tmp_path: Path) -> None:
    county.json(MONDAY_2AM, "round")
    portal.column("/c00/", "栏目00", [date(2026, 11, 24), *days_ago(20)])       # fixed the next morning
    robot.now = MONDAY_2AM + timedelta(days=1, hours=7, minutes=1)
    county.json(robot.now, "recheck", "--due")
    monday = MONDAY_2AM + timedelta(days=6, hours=7)          # the week (7 days) ending Sunday 09:00

    config = load_config(county.config)
    database = Database.open(config.monitor.database, config.base_dir)
    try:
        with database.session() as session:
            digest = build_digest(session, config, monday)
    finally:
        database.close()
    assert (digest.open_red, digest.open_yellow) == (0, 1)
    assert [(r.unit, r.when, r.days_open) for r in digest.resolved] == [("县单位00", "2026年11月24日", 1)]
    assert [n.unit for n in digest.new] == ["县单位00", "县单位01"]
    assert [(u.unit_id, u.red, u.yellow, u.new, u.resolved) for u in digest.units] == [
        ("u01", 0, 1, 1, 0), ("u00", 0, 0, 1, 1), ("u02", 0, 0, 0, 0)]
    assert [(w.opened, w.resolved, w.red, w.yellow) for w in digest.trend][-2:] == [(0, 0, 0, 0), (2, 1, 0, 1)]
    (portal_panel,) = digest.sites
    assert [(i.name, i.value, i.status) for i in portal_panel.indicators] == [
        ("栏目不更新", "0个", "ok"), ("空白栏目", "0个", "ok"), ("首页不更新", "9天", "ok"),
        ("站点无法访问", "暂无探测数据", "nodata")]
    assert (digest.accounts.value, digest.accounts.status) == ("0个", "ok")

    preview = tmp_path / "digest.html"
    code, out, _ = county.run(monday, "digest", "--preview", str(preview))
    assert code == 0 and str(preview) in out
    page = preview.read_text(encoding="utf-8")
    assert "单项否决风险" in page and "暂无探测数据" in page and "<script" not in page and "<img" not in page
    assert "整改完成" in page and "县单位00" in page

    robot.now = monday
    code, out, _ = county.run(monday, "digest", "--send")
    assert code == 0 and "已发送 2 条" in out
    assert robot.delivered[-1]["markdown"]["title"] == "政务公开巡检周报（2026年11月29日）"
    mail = smtp.inbox.received[-1]
    assert mail.rcpt_tos == ["leader@example.gov.cn"]
    assert mail.message["Subject"] == "政务公开巡检周报（2026年11月29日）"
    sent = len(robot.delivered)
    code, out, _ = county.run(monday + timedelta(hours=1), "digest", "--send")
    assert code == 0 and "不再重复发送" in out and len(robot.delivered) == sent


def test_outbox_lists_backlog_and_failures(county: Cli, robot: FakeRobot) -> None:
    robot.fail(5, status=503)
    code, out, _ = county.run(MONDAY_2AM, "round")
    assert code == 0 and "稍后重试" in out
    listing = county.json(MONDAY_2AM, "outbox")
    assert listing["health"]["retrying"] == 1 and listing["health"]["failed"] == 0
    assert {m["status"] for m in listing["messages"]} == {"pending"}
    assert any(m["last_error"] == "钉钉服务暂时不可用（HTTP 503）" for m in listing["messages"])
    code, out, _ = county.run(MONDAY_2AM, "outbox")
    assert code == 0 and "重试中 1 条" in out and "钉钉服务暂时不可用（HTTP 503）" in out
