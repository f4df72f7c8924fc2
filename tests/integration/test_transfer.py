"""Backing up SQLite while it is in use, and moving a county's history to PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from monitor.alerts.service import run_round
from monitor.cli import main
from monitor.config import Config, load_config
from monitor.daemon import record
from monitor.daemon.lock import instance_lock
from monitor.domain import Probe
from monitor.rules import load_config_rules
from monitor.store.db import Database
from monitor.store.probes import SiteProbe, record_probes
from monitor.store.rounds import start_round
from monitor.store.tables import AlertEventRow, AlertRow, Base, PageCacheRow, ProbeRow, RoundRow
from portal_kit import Portal, write_config

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def county(portal: Portal, tmp_path: Path, sqlite_url: str, sqlite_database: Database) -> Config:
    """A SQLite database with a week of history: a round with alerts, probes, the daemon's record."""
    portal.column("/", "首页", [date(2026, 11, 22)])
    portal.column("/zwyw/", "政务要闻", [date(2026, 11, 1)])
    portal.column("/tzgg/", "通知公告", [date(2026, 6, 1)])
    config = load_config(write_config(tmp_path, portal.server.base_url, sqlite_url))
    run_round(config, load_config_rules(config), sqlite_database, NOW)
    with sqlite_database.session() as session:
        record_probes(session, [SiteProbe("portal", portal.url, Probe(NOW - timedelta(hours=n), n % 10 != 0, 0.2))
                                for n in range(48)])
        record.register(session, host="h", pid=1, version="0.1.0", now=NOW, jobs={"round": {"last": None}})
    return config


def counts(database: Database) -> dict[str, int]:
    with database.engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def test_backup_is_a_consistent_copy_taken_while_in_use(county: Config, sqlite_database: Database, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backup" / "monitor-2026-11-23.db"
    target.parent.mkdir()
    with sqlite_database.engine.connect() as busy:            # a reader holding a snapshot, like the daemon
        busy.exec_driver_sql("BEGIN")
        busy.exec_driver_sql("SELECT count(*) FROM rounds").fetchall()
        assert main(["--config", county.source, "db", "backup", str(target)]) == 0
        busy.exec_driver_sql("ROLLBACK")
    assert "已备份到" in capsys.readouterr().out
    copy = Database.open(f"sqlite:///{target}", tmp_path, upgrade=False)
    try:
        assert counts(copy) == counts(sqlite_database) and counts(copy)["alerts"] == 2
    finally:
        copy.close()
    assert main(["--config", county.source, "db", "backup", str(target)]) == 2
    assert "已存在" in capsys.readouterr().err


def test_copy_to_postgresql_keeps_every_row_and_instant(county: Config, sqlite_database: Database,
                                                        postgresql_url: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", county.source, "db", "copy-to", postgresql_url]) == 0
    assert "已复制" in capsys.readouterr().out
    target = Database.open(postgresql_url, tmp_path)
    try:
        assert counts(target) == counts(sqlite_database)
        with sqlite_database.session() as old, target.session() as new:
            for model, column in ((RoundRow, RoundRow.started_at), (AlertRow, AlertRow.recheck_due),
                                  (AlertEventRow, AlertEventRow.at), (ProbeRow, ProbeRow.at),
                                  (PageCacheRow, PageCacheRow.body)):
                assert list(old.scalars(select(column).order_by(column))) == \
                    list(new.scalars(select(column).order_by(column))), model.__tablename__
        with target.session() as session:                    # ids go on after the copied ones
            assert start_round(session, "manual", NOW) > max(r.id for r in session.scalars(select(RoundRow))
                                                             if r.kind == "weekly")
        assert main(["--config", county.source, "db", "copy-to", postgresql_url]) == 2
        assert "不是空的" in capsys.readouterr().err
    finally:
        target.close()


def test_copy_refuses_while_the_daemon_runs(county: Config, sqlite_database: Database, postgresql_url: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    lock = instance_lock(sqlite_database)
    assert lock.acquire()
    try:
        assert main(["--config", county.source, "db", "copy-to", postgresql_url]) == 2
    finally:
        lock.release()
    assert "请先停止守护进程" in capsys.readouterr().err


def test_backup_of_postgresql_points_to_pg_dump(postgresql_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", postgresql_url)
    assert main(["--config", str(config), "db", "backup", str(tmp_path / "x.db")]) == 2
    assert "pg_dump" in capsys.readouterr().err
