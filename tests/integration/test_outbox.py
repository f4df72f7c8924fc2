"""The outbox's drain against the fake robot and a real SMTP server, on SQLite and PostgreSQL.

Time is the ``now`` argument (and ``robot.now``): retries and the minute window are
crossed by moving it, never by waiting.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fake_dingtalk import FakeRobot
from monitor.alerts.service import run_round
from monitor.config import Config, load_config
from monitor.notify.digest import build_digest
from monitor.notify.notices import _event_ids as event_ids
from monitor.notify.notices import notice_hook
from monitor.notify.outbox import Draft, enqueue, flush, outbox_health, retry_failed
from monitor.notify.render import render
from monitor.rules import load_config_rules
from monitor.store.db import Database
from monitor.store.tables import AlertEventRow, OutboxRow
from notify_kit import MONDAY_2AM, SmtpServer, county_config, notify_toml
from portal_kit import Portal

T0 = MONDAY_2AM


def config_for(tmp_path: Path, notify: str) -> Config:
    path = tmp_path / "notify.toml"
    path.write_text('[[units]]\nid = "xzfb"\nname = "县政府办"\n' + notify, encoding="utf-8")
    return load_config(path)


def queue(database: Database, count: int, *, channel: str = "dingtalk", size: int = 200,
          recipients: tuple[str, ...] = ("13800000000",)) -> None:
    with database.session() as session:
        for n in range(count):
            body = f"### 关于县单位{n:02d}政务公开问题的红色通报\n\n" + "栏目信息长期未更新。" * (size // 30)
            enqueue(session, Draft(f"key-{channel}-{n}", channel, "notice", f"关于县单位{n:02d}的通报", body,
                                   "<p>通报</p>" if channel == "email" else None, recipients, f"u{n:02d}"), T0)


def statuses(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(OutboxRow.status).order_by(OutboxRow.id)))


def delivered_units(robot: FakeRobot) -> list[str]:
    return sorted(re.findall(r"### 关于(县单位\d\d)政务公开问题", "\n".join(robot.texts)))


def test_thirty_large_notices_paced_twenty_a_minute(database: Database, robot: FakeRobot, tmp_path: Path) -> None:
    config = config_for(tmp_path, notify_toml(robot))
    queue(database, 30, size=12_000)                  # too large to merge two into one message
    report = flush(config, database, T0)
    assert (report.sent, report.messages, report.deferred) == (20, 20, 10)
    with database.session() as session:
        held = list(session.scalars(select(OutboxRow).where(OutboxRow.status == "pending")))
    assert len(held) == 10 and {r.next_attempt_at for r in held} == {T0 + timedelta(minutes=1)}
    assert flush(config, database, T0 + timedelta(seconds=59)).sent == 0         # not yet due
    robot.now = T0 + timedelta(minutes=1)
    assert flush(config, database, robot.now).sent == 10
    assert 130101 not in robot.answers
    assert delivered_units(robot) == [f"县单位{n:02d}" for n in range(30)]
    assert set(statuses(database)) == {"sent"}


def test_robot_failing_several_times_then_recovering_delivers_once(database: Database, robot: FakeRobot,
                                                                    tmp_path: Path) -> None:
    config = config_for(tmp_path, notify_toml(robot))
    queue(database, 3)
    robot.fail(2, status=500)
    robot.fail(1, errcode=-1, errmsg="系统繁忙")
    robot.fail(1, errcode=130101, errmsg="send too fast")
    now, flushes = T0, 0
    while "pending" in statuses(database) and flushes < 30:
        robot.now = now
        flush(config, database, now)
        now += timedelta(minutes=1)
        flushes += 1
    assert set(statuses(database)) == {"sent"}
    assert delivered_units(robot) == ["县单位00", "县单位01", "县单位02"]
    assert robot.answers[:4] == [-500, -500, -1, 130101]
    with database.session() as session:
        first = session.get(OutboxRow, 1)
        assert first is not None and first.attempts == 4
        assert first.sent_at == T0 + timedelta(minutes=1 + 2 + 10)     # backoff 1, 2 min, then throttled 10


def test_wrong_signature_is_a_loud_permanent_failure_shown_in_health_and_digest(
        database: Database, robot: FakeRobot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = config_for(tmp_path, notify_toml(robot, secret="SEC-not-the-robot-secret"))
    queue(database, 3)
    with caplog.at_level(logging.ERROR):
        report = flush(config, database, T0)
    assert (report.sent, report.failed) == (0, 1)
    assert "PERMANENT FAILURE" in caplog.text and "签名不匹配" in caplog.text
    assert statuses(database) == ["failed", "pending", "pending"]
    assert len(robot.answers) == 1                       # the others were not tried: the channel is paused
    with database.session() as session:
        health = outbox_health(session, T0)
        assert (health.failed, health.pending, health.ok) == (1, 2, False)
        assert "签名不匹配" in health.failures[0].error
        digest = build_digest(session, config, T0 + timedelta(days=1))
    assert "通知发送故障" in render("digest.txt.j2", d=digest)
    assert "签名不匹配" in render("digest.html.j2", d=digest)
    assert flush(config, database, T0 + timedelta(minutes=5)).messages == 0     # paused, not hammered

    fixed = config_for(tmp_path, notify_toml(robot))
    with database.session() as session:
        assert retry_failed(session, T0 + timedelta(minutes=10)) == 1
    robot.now = T0 + timedelta(minutes=10)
    assert flush(fixed, database, robot.now).sent == 3
    assert delivered_units(robot) == ["县单位00", "县单位01", "县单位02"]


def test_two_processes_flushing_at_once_send_each_row_once(database: Database, robot: FakeRobot,
                                                           tmp_path: Path) -> None:
    config = config_for(tmp_path, notify_toml(robot))
    queue(database, 12)
    barrier = threading.Barrier(2)

    def drain(owner: str) -> None:
        barrier.wait()
        flush(config, database, T0, owner=owner)

    threads = [threading.Thread(target=drain, args=(f"proc-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert delivered_units(robot) == [f"县单位{n:02d}" for n in range(12)]
    assert set(statuses(database)) == {"sent"}


def test_enqueue_is_idempotent(database: Database) -> None:
    queue(database, 2)
    queue(database, 2)
    assert statuses(database) == ["pending", "pending"]


def test_smtp_refusing_then_accepting_delivers_once(database: Database, smtp: SmtpServer, tmp_path: Path) -> None:
    config = config_for(tmp_path, notify_toml(smtp=smtp))
    queue(database, 1, channel="email", recipients=("县政府办 <xzfb@example.gov.cn>",))
    smtp.inbox.refuse = 2
    now: datetime = T0
    for _ in range(5):
        flush(config, database, now)
        now += timedelta(minutes=5)
    assert smtp.inbox.refused == 2
    assert len(smtp.inbox.received) == 1
    assert statuses(database) == ["sent"]


def test_round_hook_queues_one_notice_per_unit_and_channel_keyed_by_its_events(
        database: Database, portal: Portal, robot: FakeRobot, smtp: SmtpServer, tmp_path: Path) -> None:
    portal.column("/", "首页", [date(2026, 11, 22)] * 2)
    for n in range(3):
        portal.column(f"/c{n:02d}/", f"栏目{n:02d}", [date(2026, 11, 1)] * 2)
    config = load_config(county_config(tmp_path, portal.server.base_url, "sqlite:///unused.db", 3,
                                       notify_toml(robot, smtp)))
    hook = notice_hook(config)
    outcome = run_round(config, load_config_rules(config), database, T0, after_apply=hook)
    with database.session() as session:
        rows = list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
        assert sorted((r.channel, r.unit_id) for r in rows) == sorted(
            (channel, f"u{n:02d}") for channel in ("dingtalk", "email") for n in range(3))
        events = {e for (e,) in session.execute(select(AlertEventRow.id).where(AlertEventRow.kind == "opened"))}
        assert len(events) == 3
        assert sorted(e for ids in event_ids(session, outcome.applied, T0).values() for e in ids) == sorted(events)
        hook(session, outcome.applied, T0)                   # the same changes again: nothing new
        assert len(list(session.scalars(select(OutboxRow)))) == 6
