"""Issue 5's acceptance: ``monitor run`` as a real process on a fixture portal, seconds-scale schedule.

It is killed with SIGKILL in the middle of a round and restarted (every alert exactly once, the
interrupted round abandoned and redone), rechecks a due alert, delivers every notice to the fake
DingTalk robot exactly once, refuses a second instance, lets an operator recheck during a round,
and stops on SIGTERM within 10 s at a clean point. Rounds are
held "in the middle" by a gate on one fixture page, and every wait polls with a deadline.

On SQLite, where daemon and operators share one file ("database is locked" is the risk); the
same runtime on PostgreSQL is covered in-process by tests/unit/test_daemon_runtime.py and its
lock by tests/unit/test_daemon_lock.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select, update

from fake_dingtalk import FakeRobot
from monitor.cli import main
from monitor.clock import local_date, system_clock
from monitor.store.db import Database
from monitor.store.tables import AlertEventRow, AlertRow, DaemonRunRow, OutboxRow, ProbeRow, RoundRow
from notify_kit import notify_toml
from portal_kit import Portal, write_config

T = TypeVar("T")
CONFIG_CHANGES = {"timeout_s = 2": "timeout_s = 60"}     # a gated page must not time out
SCHEDULE = """
[schedule]
round = "every 2s"
recheck = "every 1s"
probe = "every 1s"
outbox = "every 1s"
"""


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class Gate:
    """Serves a page only while open: a round fetching it stays in progress until the test opens it."""

    def __init__(self, portal: Portal, path: str) -> None:
        self.body = portal.server.resources[path].body
        self.opened = threading.Event()
        self.opened.set()
        self.waiting = threading.Event()        # a request is held behind the closed gate
        portal.server.route(path, self._answer)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        if not self.opened.is_set():
            self.waiting.set()
        self.opened.wait(60)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body)

    def close(self) -> None:
        self.waiting.clear()
        self.opened.clear()

    def open(self) -> None:
        self.opened.set()


@dataclass
class Setup:
    config: Path
    database: Database
    tmp_path: Path
    news: Gate
    capsys: pytest.CaptureFixture[str]
    robot: FakeRobot

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "monitor", "--config", str(self.config), *args]

    def start(self, name: str) -> subprocess.Popen[str]:
        log = (self.tmp_path / f"{name}.log").open("w")
        return subprocess.Popen(self.command("run"), stdout=log, stderr=subprocess.STDOUT, text=True,
                                env=os.environ | {"PYTHONUNBUFFERED": "1"})

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=60)

    def status(self) -> tuple[int, dict[str, Any]]:
        """``monitor status --json``, in this process: it only reads."""
        code = main(["--config", str(self.config), "status", "--json"])
        return code, json.loads(self.capsys.readouterr().out)

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def rounds(self) -> list[RoundRow]:
        with self.database.session() as session:
            return list(session.scalars(select(RoundRow).where(RoundRow.kind == "weekly").order_by(RoundRow.id)))

    def running_round(self) -> RoundRow | None:
        return next((r for r in self.rounds() if r.status == "running"), None)

    def held_round(self) -> RoundRow:
        """Close the gate and wait for a round to reach it: that round stays in progress until the gate opens."""
        self.news.close()
        wait_for("a round held at the gate", self.news.waiting.is_set)
        return wait_for("the held round", self.running_round)

    def round_status(self, round_id: int) -> str:
        return {r.id: r.status for r in self.rounds()}[round_id]

    def alerts(self) -> dict[str, AlertRow]:
        with self.database.session() as session:
            rows = list(session.scalars(select(AlertRow)))
        assert len({r.fingerprint for r in rows}) == len(rows), "an alert was opened twice"
        return {r.target_id: r for r in rows}

    def delivered_ids(self) -> list[int]:
        """The outbox numbers of every notice the robot accepted (each message names its rows)."""
        return [int(n) for m in self.robot.delivered for n in re.findall(r"通知编号 (\d+)", m["markdown"]["text"])]

    def outbox(self) -> list[OutboxRow]:
        with self.database.session() as session:
            return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))

    def events(self, alert_id: int) -> list[str]:
        with self.database.session() as session:
            return list(session.scalars(select(AlertEventRow.kind).where(AlertEventRow.alert_id == alert_id)
                                        .order_by(AlertEventRow.id)))


@pytest.fixture
def setup(portal: Portal, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          robot: FakeRobot) -> Iterator[Setup]:
    today = local_date(system_clock())

    def ago(*days: int) -> list[date]:
        return [today - timedelta(days=n) for n in days]

    portal.column("/", "首页", ago(1, 2, 3))
    portal.column("/zwyw/", "政务要闻", ago(20, 25, 30))                # red: 20 days
    portal.column("/tzgg/", "通知公告", ago(155, 170, 200))             # yellow: 155 days
    gate = Gate(portal, "/zwyw/")
    config = write_config(tmp_path, portal.server.base_url, sqlite_url, extra=SCHEDULE + notify_toml(robot))
    text = config.read_text(encoding="utf-8")
    for old, new in CONFIG_CHANGES.items():
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    database = Database.open(sqlite_url, tmp_path)
    try:
        yield Setup(config, database, tmp_path, gate, capsys, robot)
    finally:
        gate.open()
        database.close()


def stop(process: subprocess.Popen[str], sig: signal.Signals = signal.SIGKILL) -> int:
    if process.poll() is None:
        os.kill(process.pid, sig)
    return process.wait(timeout=15)


def test_the_daemon_lives_through_kill_restart_rechecks_and_operators(setup: Setup) -> None:
    # 1. First start: the round is due at once (none done yet). SIGKILL it in the middle.
    setup.news.close()
    first = setup.start("first")
    try:
        killed = setup.held_round()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    assert setup.round_status(killed.id) == "running" and setup.alerts() == {}

    # 2. Restart: the half-done round is abandoned and the round is redone; every alert exactly once.
    setup.news.open()
    second = setup.start("second")
    try:
        redone = wait_for("the round redone", lambda: next((r for r in setup.rounds() if r.status == "done"), None))
        assert redone.id > killed.id and setup.round_status(killed.id) == "abandoned"
        alerts = setup.alerts()
        assert {k: (a.rule, a.severity) for k, a in alerts.items()} == {
            "zwyw": ("column.stale", "red"), "tzgg": ("column.stale", "yellow")}
        assert all(setup.events(a.id)[0] == "opened" for a in alerts.values())
        wait_for("the opening notices delivered", lambda: len(setup.delivered_ids()) >= 2)

        # 3. The red alert falls due (as if a day had passed): the daemon's sweep rechecks it.
        red = alerts["zwyw"]
        with setup.database.session() as session:
            session.execute(update(AlertRow).where(AlertRow.id == red.id)
                            .values(recheck_due=datetime.now(UTC) - timedelta(minutes=1)))
        wait_for("the due recheck", lambda: "overdue" in setup.events(red.id))
        with setup.database.session() as session:
            actor = session.scalar(select(AlertEventRow.actor).where(AlertEventRow.alert_id == red.id,
                                                                     AlertEventRow.kind == "overdue"))
        assert actor == "recheck"

        # 4. A second `monitor run` on the same database is refused, naming the running one.
        refused = setup.cli("run")
        assert refused.returncode == 2
        assert "守护进程已在运行" in refused.stderr and f"进程 {second.pid}" in refused.stderr

        # 5. During a round: status shows it, and an operator's recheck works beside it.
        during = setup.held_round()
        code, shown = setup.status()
        assert code == 0 and shown["daemon"]["alive"] and shown["daemon"]["pid"] == second.pid
        assert [r["id"] for r in shown["rounds"]["running"]] == [during.id]
        assert next(j for j in shown["jobs"] if j["name"] == "round")["running_since"]
        operator = setup.cli("recheck", str(alerts["tzgg"].id))
        assert operator.returncode == 0, operator.stderr
        assert "database is locked" not in operator.stderr
        assert "escalated" in setup.events(alerts["tzgg"].id)
        setup.news.open()
        wait_for("that round done", lambda: setup.round_status(during.id) == "done")
        _, after = setup.status()
        assert after["rounds"]["last"]["id"] >= during.id and after["rounds"]["last"]["findings"] == 2

        # 6. SIGTERM in the middle of a round: a clean stop within 10 s, the round abandoned.
        interrupted = setup.held_round()
        began = time.monotonic()
        code = stop(second, signal.SIGTERM)
        assert time.monotonic() - began < 10
        assert code == 0, setup.log("second")
    finally:
        stop(second)
    assert setup.round_status(interrupted.id) == "abandoned" and setup.running_round() is None
    with setup.database.session() as session:
        run = session.scalars(select(DaemonRunRow).order_by(DaemonRunRow.id.desc())).first()
        assert run is not None and (run.pid, run.stop_reason) == (second.pid, "SIGTERM")
        assert session.scalar(select(func.count()).select_from(ProbeRow)) > 0
    code, gone = setup.status()
    assert code == 1 and gone["daemon"]["state"] == "stopped"

    # Every alert still exactly once, each with its own history and nothing applied twice.
    alerts = setup.alerts()
    assert set(alerts) == {"zwyw", "tzgg"}
    lifecycle = {k: [e for e in setup.events(a.id) if e != "notified"] for k, a in alerts.items()}
    assert lifecycle == {"zwyw": ["opened", "overdue"], "tzgg": ["opened", "escalated"]}
    # Every queued notice (opening ×2, overdue, escalation) delivered by the daemon exactly once.
    rows = setup.outbox()
    assert len(rows) >= 4 and all(r.status == "sent" for r in rows)
    assert sorted(setup.delivered_ids()) == [r.id for r in rows]
    assert all(setup.events(a.id).count("notified") >= 1 for a in alerts.values())
    log = setup.log("second")
    assert "job finished job=round status=ok" in log and "job finished job=round status=interrupted" in log
    assert "daemon stopped reason=SIGTERM" in log
