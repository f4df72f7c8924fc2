"""``monitor status``: each section from the database, as JSON and as Chinese lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Config, ScheduleSettings, Site, Unit
from monitor.daemon import record
from monitor.daemon.status import StatusContext, collect_status, render_status
from monitor.domain import Inspection, InspectionStats, Probe
from monitor.resources import rules_dir
from monitor.rules import load_rules
from monitor.store.db import Database
from monitor.store.probes import SiteProbe, record_probes
from monitor.store.rounds import finish_round, start_round
from monitor.store.sync import sync_config
from monitor.store.tables import AlertRow

WALL = datetime(2026, 11, 23, 2, 10, tzinfo=UTC)        # 10:10 in Shanghai


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(base_dir=tmp_path, schedule=ScheduleSettings(), units=(Unit("xzfb", "县政府办"),),
                  sites=(Site("portal", "测试县人民政府", "http://127.0.0.1:9/", "xzfb"),))


def status(database: Database, config: Config, wall: datetime = WALL) -> tuple[dict[str, Any], str]:
    ctx = StatusContext(config, load_rules(sorted(rules_dir().glob("*.toml"))), wall, wall)
    with database.session() as session:
        data = collect_status(session, ctx)
    return data, render_status(data, ctx)


def alert(n: int, severity: str, status: str, *, due: datetime | None = None, overdue: bool = False) -> AlertRow:
    return AlertRow(fingerprint=f"fp{n}", rule="column.stale", target_kind="column", target_id=f"c{n}",
                    unit_id="xzfb", severity=severity, status=status, opened_at=WALL, recheck_due=due,
                    overdue=overdue, rechecks=0, message="", evidence={}, updated_at=WALL, version=1)


def test_a_fresh_database(database: Database, config: Config) -> None:
    data, text = status(database, config)
    assert data["daemon"] == {"state": "never", "alive": False}
    assert data["rounds"] == {"last": None, "running": []}
    assert [(j["name"], j["schedule"], j["next_run"]) for j in data["jobs"]] == [
        ("round", "mon 02:00", None), ("recheck", "every 5m", None), ("probe", "every 1h", None),
        ("digest", "mon 09:00", None), ("outbox", "every 1m", None)]
    assert data["alerts"] == {"red": 0, "yellow": 0, "overdue": 0, "due": 0, "waived": 0}
    assert data["availability"] == []
    assert (data["outbox"]["pending"], data["outbox"]["failed"], data["outbox"]["ok"]) == (0, 0, True)
    assert "发件箱    待发 0 条" in text
    assert "守护进程  从未运行" in text and "上次巡检  尚无完成的巡检" in text and "可访问性  尚无首页探测记录" in text


def test_during_a_round(database: Database, config: Config) -> None:
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    board = {"round": {"schedule": "mon 02:00", "running_since": "2026-11-23T10:09:00+08:00", "failures": 0,
                       "last": None, "next_run": "2026-11-30T02:00:00+08:00"},
             "recheck": {"schedule": "every 5m", "running_since": None, "failures": 1, "next_run":
                         "2026-11-23T10:15:00+08:00", "last": {"started_at": "2026-11-23T10:05:00+08:00",
                                                               "status": "failed", "error": "数据库错误: X"}}}
    with database.session() as session:
        sync_config(session, config)
        done = start_round(session, "weekly", monday - timedelta(days=7))
        finish_round(session, done, Inspection(now=monday, stats=InspectionStats(pages=1843, seconds=41.25)), [],
                     monday - timedelta(days=7) + timedelta(seconds=41))
        running = start_round(session, "weekly", WALL - timedelta(minutes=1))
        check = start_round(session, "check", WALL - timedelta(minutes=2))
        record.register(session, host="county", pid=77, version="0.1.0", now=WALL - timedelta(seconds=20),
                        jobs=board)
        session.add_all([alert(1, "red", "open", due=WALL - timedelta(hours=1), overdue=True),
                         alert(2, "red", "open", due=WALL + timedelta(hours=1)),
                         alert(3, "yellow", "open", due=WALL + timedelta(days=6)),
                         alert(4, "yellow", "waived"), alert(5, "red", "resolved")])
        record_probes(session, [SiteProbe("portal", "http://127.0.0.1:9/",
                                          Probe(WALL - timedelta(hours=n), n != 3, 0.5, 200 if n != 3 else None,
                                                None if n != 3 else "连接被拒绝")) for n in range(20)])
    data, text = status(database, config)
    assert data["daemon"]["state"] == "running" and data["daemon"]["heartbeat_age_s"] == 20
    assert data["rounds"]["last"] == {"id": done, "kind": "weekly", "status": "done",
                                      "started_at": "2026-11-16T10:00:00+08:00",
                                      "finished_at": "2026-11-16T10:00:41+08:00", "seconds": 41.2, "pages": 1843,
                                      "findings": 0, "errors": 0}
    assert [(r["id"], r["kind"]) for r in data["rounds"]["running"]] == [(running, "weekly"), (check, "check")]
    jobs = {j["name"]: j for j in data["jobs"]}
    assert jobs["round"]["running_since"] == "2026-11-23T10:09:00+08:00"
    assert jobs["recheck"]["last"]["status"] == "failed"
    assert data["alerts"] == {"red": 2, "yellow": 1, "overdue": 1, "due": 1, "waived": 1}
    [site] = data["availability"]
    assert (site["probes"], site["failed"], site["share_percent"], site["last"]["ok"]) == (20, 1, 5.0, True)
    assert "守护进程  运行中（主机 county，进程 77，自 2026-11-23 10:09 起，心跳 20 秒前）" in text
    assert "上次巡检  2026-11-16 10:00 每周巡检" in text and "页面 1843 个" in text
    assert f"正在进行  每周巡检（#{running}），自 2026-11-23 10:09 起" in text
    assert "每周巡检   mon 02:00    进行中（自 2026-11-23 10:09 起）" in text
    assert "上次 2026-11-23 10:05 失败（数据库错误: X）" in text
    assert "未关闭预警 红色 2 项（逾期未整改 1 项），黄色 1 项；已到复查时间 1 项；豁免 1 项" in text
    assert "测试县人民政府：近7天 20 次，无法访问 1 次（5%）" in text


def test_a_daemon_without_heartbeat_is_not_alive(database: Database, config: Config) -> None:
    with database.session() as session:
        record.register(session, host="county", pid=77, version="0.1.0", now=WALL - timedelta(minutes=5), jobs={})
    data, text = status(database, config)
    assert (data["daemon"]["state"], data["daemon"]["alive"]) == ("unresponsive", False)
    assert "守护进程  无响应：主机 county，进程 77 最近心跳在 2026-11-23 10:05" in text
    assert all(j["next_run"] is None for j in data["jobs"])
    with database.session() as session:
        row = record.latest(session)
        assert row is not None
        record.finish(session, row.id, WALL, "SIGTERM", {})
    data, text = status(database, config)
    assert data["daemon"]["state"] == "stopped" and "于 2026-11-23 10:10 停止（SIGTERM）" in text
