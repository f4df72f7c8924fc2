"""The daemon's runtime with small fake jobs: catch-up at start, follow-ups, retries, stopping."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.clock import shifted_clock
from monitor.config import Config, ScheduleSettings
from monitor.daemon import record
from monitor.daemon.jobs import Job, JobContext, JobResult, after_last, at_start, last_full_round
from monitor.daemon.runtime import Daemon
from monitor.domain import Inspection
from monitor.errors import Interrupted
from monitor.rules import RuleSet
from monitor.store.db import Database
from monitor.store.rounds import finish_round, start_round
from monitor.store.tables import DaemonRunRow, RoundRow

HOURLY = ScheduleSettings(round="every 1h", probe="every 1h", digest="every 1h", recheck="every 1h",
                          outbox="every 1h")


class AlwaysHeld:
    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(base_dir=tmp_path, schedule=HOURLY)


@pytest.fixture
def watchdog() -> Iterator[Callable[[Daemon], None]]:
    """Stops a daemon that a failing test would leave running forever."""
    timers: list[threading.Timer] = []

    def arm(daemon: Daemon) -> None:
        timer = threading.Timer(15, daemon.stop.set)
        timer.start()
        timers.append(timer)

    yield arm
    for timer in timers:
        timer.cancel()


def make_daemon(config: Config, database: Database, jobs: list[Job], arm: Callable[[Daemon], None]) -> Daemon:
    daemon = Daemon(config, RuleSet([]), database, AlwaysHeld(), jobs=jobs, heartbeat=timedelta(seconds=0.2))
    arm(daemon)
    return daemon


def last_run(database: Database) -> DaemonRunRow:
    with database.session() as session:
        row = record.latest(session)
        assert row is not None
        return row


def test_start_abandons_a_half_done_round_and_makes_up_the_missed_one(
        config: Config, database: Database, watchdog: Callable[[Daemon], None]) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=3)
    with database.session() as session:
        done = start_round(session, "weekly", long_ago)
        finish_round(session, done, Inspection(now=long_ago), [], long_ago)
        killed = start_round(session, "weekly", long_ago + timedelta(hours=2))
    seen: list[datetime] = []

    def fake_round(ctx: JobContext) -> JobResult:
        seen.append(ctx.now)
        ctx.stop.set()
        return JobResult({"pages": 0})

    daemon = make_daemon(config, database, [Job("round", "巡检", fake_round, after_last(last_full_round))],
                         watchdog)
    assert daemon.run() == 0
    assert len(seen) == 1                          # last completed round 3 days ago > 1 h: once, at start
    with database.session() as session:
        assert session.get(RoundRow, killed).status == "abandoned"  # type: ignore[union-attr]
        assert session.get(RoundRow, done).status == "done"  # type: ignore[union-attr]
    row = last_run(database)
    assert row.stopped_at is not None
    assert row.jobs["round"]["last"]["status"] == "ok"


def test_nothing_missed_nothing_run_at_start(config: Config, database: Database,
                                             watchdog: Callable[[Daemon], None]) -> None:
    recent = datetime.now(UTC) - timedelta(minutes=10)
    with database.session() as session:
        done = start_round(session, "weekly", recent)
        finish_round(session, done, Inspection(now=recent), [], recent)
    ran: list[str] = []
    daemon = make_daemon(config, database, [
        Job("round", "巡检", lambda ctx: ran.append("round") or JobResult(), after_last(last_full_round)),
        Job("recheck", "复查", lambda ctx: ctx.stop.set() or JobResult(), at_start),
    ], watchdog)
    assert daemon.run() == 0
    assert ran == []
    jobs = last_run(database).jobs
    assert jobs["round"]["last"] is None
    next_round = datetime.fromisoformat(jobs["round"]["next_run"])
    assert timedelta(minutes=49) < next_round - datetime.now(UTC) <= timedelta(minutes=50)   # last + 1 h


def test_notices_bring_the_following_job_forward(config: Config, database: Database,
                                                 watchdog: Callable[[Daemon], None]) -> None:
    order: list[str] = []

    def producer(ctx: JobContext) -> JobResult:
        order.append("round")
        return JobResult({"changes": 2}, notices=2)

    def drain(ctx: JobContext) -> JobResult:
        order.append("outbox")
        ctx.stop.set()
        return JobResult()

    daemon = make_daemon(config, database, [Job("round", "巡检", producer, at_start),
                                                   Job("outbox", "发送", drain, after_notices=True)], watchdog)
    assert daemon.run() == 0
    assert order == ["round", "outbox"]            # the drain's own schedule is an hour away


def test_a_failing_job_is_logged_retried_sooner_and_the_daemon_lives_on(
        config: Config, database: Database, watchdog: Callable[[Daemon], None],
        caplog: pytest.LogCaptureFixture) -> None:
    config = replace(config, schedule=replace(HOURLY, round="mon 02:00", recheck="every 1s"))

    def broken(ctx: JobContext) -> JobResult:
        raise RuntimeError("boom")

    def later(ctx: JobContext) -> JobResult:
        ctx.stop.set()
        return JobResult()

    daemon = make_daemon(config, database, [Job("round", "巡检", broken, at_start),
                                                   Job("recheck", "复查", later)], watchdog)
    started = datetime.now(UTC)
    assert daemon.run() == 0
    last = last_run(database).jobs["round"]
    assert (last["last"]["status"], last["failures"]) == ("failed", 1)
    assert last["last"]["error"] == "内部错误: RuntimeError: boom"
    retry = datetime.fromisoformat(last["next_run"])
    assert timedelta(minutes=14) < retry - started < timedelta(minutes=16)    # not next Monday
    assert any("job crashed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_sigterm_stops_the_job_at_a_clean_point(config: Config, database: Database,
                                                watchdog: Callable[[Daemon], None]) -> None:
    def long_round(ctx: JobContext) -> JobResult:
        os.kill(os.getpid(), signal.SIGTERM)
        if not ctx.stop.wait(10):
            return JobResult()
        raise Interrupted("stopping")

    daemon = make_daemon(config, database, [Job("round", "巡检", long_round, at_start)], watchdog)
    assert daemon.run() == 0
    row = last_run(database)
    assert row.stop_reason == "SIGTERM"
    assert row.jobs["round"]["last"]["status"] == "interrupted"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL        # handlers given back


def test_a_crashed_predecessor_is_recorded_as_such(config: Config, database: Database,
                                                   watchdog: Callable[[Daemon], None]) -> None:
    with database.session() as session:
        record.register(session, host="h", pid=1, version="0", now=datetime.now(UTC), jobs={})
    daemon = make_daemon(config, database, [Job("round", "巡检", lambda c: c.stop.set() or JobResult(),
                                                       at_start)], watchdog)
    daemon.run()
    with database.session() as session:
        rows = list(session.scalars(select(DaemonRunRow).order_by(DaemonRunRow.id)))
    assert [r.stop_reason for r in rows] == [record.CRASHED, "stopped"]


def test_now_shifts_the_daemons_clock_which_still_moves(config: Config, database: Database,
                                                        watchdog: Callable[[Daemon], None]) -> None:
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    seen: list[datetime] = []

    def tick(ctx: JobContext) -> JobResult:
        seen.append(ctx.now)
        if len(seen) == 2:
            ctx.stop.set()
        return JobResult()

    config = replace(config, schedule=replace(HOURLY, recheck="every 1s"))
    daemon = Daemon(config, RuleSet([]), database, AlwaysHeld(), jobs=[Job("recheck", "复查", tick, at_start)],
                    clock=shifted_clock(monday), heartbeat=timedelta(seconds=0.2))
    watchdog(daemon)
    assert daemon.run() == 0
    assert monday <= seen[0] < monday + timedelta(seconds=5)
    assert timedelta(seconds=0.5) < seen[1] - seen[0] < timedelta(seconds=5)
