"""Issue 4 end to end through the CLI: a round's notices reach the fake robot and a real SMTP server once."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fake_dingtalk import FakeRobot
from monitor.store.db import Database
from monitor.store.tables import AlertEventRow, OutboxRow
from notify_kit import MONDAY_2AM, SMTP_PASSWORD, SmtpServer, county_config, notify_toml
from portal_kit import Cli, Portal, list_page

MONDAY = date(2026, 11, 23)
STALE = [MONDAY - timedelta(days=n) for n in (20, 25, 30)]
FRESH = [MONDAY - timedelta(days=n) for n in (1, 2, 3)]


def publish(portal: Portal, units: int) -> None:
    portal.column("/", "首页", FRESH)
    for n in range(units):
        portal.column(f"/c{n:02d}/", f"栏目{n:02d}", STALE)


def subjects(texts: list[str]) -> Counter[str]:
    """Which unit notices the robot delivered, counted (a merged message carries several)."""
    return Counter(re.findall(r"关于(县单位\d\d)政务公开问题的红色通报", "\n".join(texts)))


def test_thirty_units_delivered_once_within_the_rate_limit(portal: Portal, robot: FakeRobot, smtp: SmtpServer,
                                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    publish(portal, 30)
    cli = Cli(county_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}", 30,
                            notify_toml(robot, smtp)), capsys)
    result = cli.json(MONDAY_2AM, "round")
    assert len(result["changes"]) == 30
    assert result["outbox"]["sent"] == 60 and result["outbox"]["failed"] == 0

    assert subjects(robot.texts) == Counter({f"县单位{n:02d}": 1 for n in range(30)})
    assert len(robot.delivered) <= 20                     # merged: DingTalk's own advice for bursts
    assert 130101 not in robot.answers
    mentioned = {m for p in robot.delivered for m in p["at"]["atMobiles"]}
    assert mentioned == {f"138000000{n:02d}" for n in range(30)}
    assert all(f"@{m}" in p["markdown"]["text"] for p in robot.delivered for m in p["at"]["atMobiles"])
    assert sorted(r.rcpt_tos[0] for r in smtp.inbox.received) == [f"u{n:02d}@example.gov.cn" for n in range(30)]

    # The same round again: nothing new to say, nothing sent.
    again = cli.json(MONDAY_2AM + timedelta(hours=1), "round")
    assert again["outbox"]["sent"] == 0
    assert subjects(robot.texts) == Counter({f"县单位{n:02d}": 1 for n in range(30)})
    assert len(smtp.inbox.received) == 30

    alert = next(a for a in cli.json(MONDAY_2AM, "alerts") if a["target"]["id"] == "c00")
    events = cli.json(MONDAY_2AM, "alerts", "show", str(alert["id"]))["events"]
    notified = [e["detail"] for e in events if e["kind"] == "notified"]
    assert sorted(notified)[0] == "邮件：县单位00 <u00@example.gov.cn>"
    assert re.fullmatch(r"钉钉：钉钉群 @13800000000（与其他\d+份通知合并发送）", sorted(notified)[1])
    assert cli.json(MONDAY_2AM, "outbox")["messages"] == []


def test_next_day_recheck_sends_overdue_notice_and_escalation_is_separate(
        portal: Portal, robot: FakeRobot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    publish(portal, 2)
    portal.column("/c01/", "栏目01", [MONDAY - timedelta(days=n) for n in (11, 12, 13)])   # yellow
    cli = Cli(county_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}", 2,
                            notify_toml(robot)), capsys)
    cli.json(MONDAY_2AM, "round")
    assert [p["markdown"]["title"] for p in robot.delivered] == ["关于县单位00政务公开问题的红色通报",
                                                                 "关于县单位01政务公开问题的黄色预警"]
    robot.now = MONDAY_2AM + timedelta(days=1, hours=7, minutes=5)
    cli.json(robot.now, "recheck", "--due")
    overdue = robot.delivered[-1]["markdown"]
    assert overdue["title"] == "关于县单位00逾期未整改问题的红色通报"
    assert "经2026年11月24日复查" in overdue["text"] and "【逾期未整改】" in overdue["text"]
    assert "次日复查，2026年11月25日（星期三）09:00前完成整改" in overdue["text"]
    robot.now = MONDAY_2AM + timedelta(days=7, hours=7, minutes=5)
    cli.json(robot.now, "recheck", "--due")
    titles = [p["markdown"]["title"] for p in robot.delivered[3:]]
    assert "关于县单位01黄色预警升级为红色通报的通知" in titles


def test_hostile_crawled_title_is_escaped_in_markdown_and_html(portal: Portal, robot: FakeRobot, smtp: SmtpServer,
                                                                tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    hostile = '<script>alert(1)</script>](javascript:alert(2)) **粗体** @13900000000'
    publish(portal, 1)
    portal.server.set("/c00/", list_page("栏目00", [(html.escape(hostile), STALE[0])], "/c00/"))
    cli = Cli(county_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}", 1,
                            notify_toml(robot, smtp)), capsys)
    cli.json(MONDAY_2AM, "round")
    text = robot.texts[0]
    assert "《＜script＞alert（1）＜/script＞］（javascript:alert（2）） ＊＊粗体＊＊ ＠13900000000》" in text
    assert "<script>" not in text and "](javascript:" not in text and "@13900000000" not in text
    page = smtp.inbox.received[0].message.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "javascript:" not in re.findall(r'href="([^"]*)"', page)[0]
    assert all(href.startswith("http://127.0.0.1") for href in re.findall(r'href="([^"]*)"', page))


def test_killed_while_sending_is_delivered_once_after_restart(portal: Portal, robot: FakeRobot, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    publish(portal, 3)
    db = tmp_path / "m.db"
    config = county_config(tmp_path, portal.server.base_url, f"sqlite:///{db}", 3, notify_toml(robot))
    robot.stall()
    now = MONDAY_2AM.isoformat()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "--now", now, "round"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        assert robot.stalled.wait(timeout=60), "the round never reached the robot"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    database = Database.open(f"sqlite:///{db}", tmp_path)
    try:
        with database.session() as session:
            statuses = Counter(session.scalars(select(OutboxRow.status)))
        assert statuses == Counter({"pending": 2, "sending": 1})     # queued with the alerts, one in flight
        robot.unstall()
        cli = Cli(config, capsys)
        code, out, _ = cli.run(now, "outbox", "--flush")
        assert code == 0, out
        assert subjects(robot.texts) == Counter({"县单位00": 1, "县单位01": 1, "县单位02": 1})
        with database.session() as session:
            assert set(session.scalars(select(OutboxRow.status))) == {"sent"}
            assert len(list(session.scalars(select(AlertEventRow).where(AlertEventRow.kind == "notified")))) == 3
        cli.run(now, "outbox", "--flush")
        assert len(robot.delivered) == 3
    finally:
        database.close()


def test_secrets_never_reach_logs_or_messages(portal: Portal, robot: FakeRobot, smtp: SmtpServer, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    publish(portal, 1)
    notify = notify_toml(robot, smtp, secret="SEC-wrong-secret-value").replace(SMTP_PASSWORD, "wrong-password-42")
    cli = Cli(county_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}", 1, notify), capsys)
    caplog.set_level("DEBUG")
    _code, out, err = cli.run(MONDAY_2AM, "-vv", "round")
    code2, out2, err2 = cli.run(MONDAY_2AM, "-vv", "notify-test")
    code3, out3, _ = cli.run(MONDAY_2AM, "outbox", "--json")
    assert code2 == 1 and code3 == 1
    everything = "\n".join([out, err, out2, err2, out3, caplog.text])
    assert "签名不匹配" in everything and "SMTP 认证失败" in everything
    for secret in (robot.token, "SEC-wrong-secret-value", "wrong-password-42"):
        assert secret not in everything
    assert "sign=" not in everything.replace("sign=***", "")
    assert "PERMANENT FAILURE" in caplog.text
