"""Homepage probes stored one by one, judged as site.unreachable in check, round and recheck;
and a round stopped on request ends abandoned with nothing half-written."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from monitor import probes
from monitor.alerts.service import run_round
from monitor.config import Config, load_config
from monitor.domain import Probe
from monitor.errors import Interrupted
from monitor.probes import run_probes
from monitor.rules import load_config_rules
from monitor.store.db import Database
from monitor.store.probes import SiteProbe, probe_history, record_probes
from monitor.store.sync import sync_config
from monitor.store.tables import ObservationRow, RoundRow
from portal_kit import Cli, Portal, write_config

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=TZ)


@pytest.fixture
def config(portal: Portal, tmp_path: Path, sqlite_url: str) -> Config:
    """The portal's config on the same database as ``sqlite_database``."""
    day = NOW.date()
    for path, title in (("/", "首页"), ("/zwyw/", "政务要闻"), ("/tzgg/", "通知公告")):
        portal.column(path, title, [day - timedelta(days=1), date(2026, 11, 1)])
    return load_config(write_config(tmp_path, portal.server.base_url, sqlite_url))


def seed(database: Database, config: Config, total: int, failed: int) -> None:
    """``total`` hourly probes of the portal up to NOW, the latest ``failed`` of them failed."""
    with database.session() as session:
        sync_config(session, config)
        record_probes(session, [SiteProbe("portal", config.sites[0].url,
                                          Probe(NOW - timedelta(hours=n), n >= failed, 0.3, None if n < failed
                                                else 200, "连接被拒绝" if n < failed else None))
                                for n in range(total)])


def test_each_probe_is_stored_with_its_outcome(config: Config, sqlite_database: Database, portal: Portal,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with sqlite_database.session() as session:
        sync_config(session, config)
    [ok] = run_probes(config, sqlite_database, NOW)
    assert (ok.site_id, ok.probe.ok, ok.probe.status, ok.probe.error) == ("portal", True, 200, None)
    portal.server.set("/", "<html>维护中</html>", status=503)
    [down] = run_probes(config, sqlite_database, NOW + timedelta(hours=1))
    assert (down.probe.ok, down.probe.status) == (False, 503)
    portal.column("/", "首页", [NOW.date()])
    portal.server.set("/", portal.server.resources["/"].body, delay_s=1.0)
    monkeypatch.setattr(probes, "PROBE_TIMEOUT_S", 0.2)
    [slow] = run_probes(config, sqlite_database, NOW + timedelta(hours=2))
    assert (slow.probe.ok, slow.probe.error) == (False, "0.2 秒内无响应")
    with sqlite_database.session() as session:
        stored = probe_history(session, "portal", NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert [(p.ok, p.status) for p in stored] == [(True, 200), (False, 503), (False, None)]
    assert portal.requested().count("/") == 3            # one GET each, no retry, no cache


def test_check_and_round_judge_availability_from_stored_probes(config: Config, sqlite_database: Database,
                                                               portal: Portal, capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    seed(sqlite_database, config, total=100, failed=6)            # 6 %: red
    cli = Cli(Path(config.source), capsys)
    found = cli.json(NOW, "check")["findings"]
    unreachable = [f for f in found if f["rule"] == "site.unreachable"]
    assert [(f["target"]["id"], f["severity"], f["unit"]) for f in unreachable] == [("portal", "red", "xzfb")]
    assert unreachable[0]["evidence"]["failed"] == 6 and unreachable[0]["evidence"]["probes"] == 100

    portal.server.remove("/")                                     # the homepage cannot even be read now
    outcome = run_round(config, load_config_rules(config), sqlite_database, NOW)
    assert outcome.inspection is not None and [e.target.id for e in outcome.inspection.errors] == ["portal"]
    opened = [(a.change.after.rule, a.change.after.severity) for a in outcome.applied]
    assert ("site.unreachable", "red") in opened
    with sqlite_database.session() as session:
        row = session.get(RoundRow, outcome.round_id)
        assert row is not None and row.started_at == NOW
        assert (row.finished_at - row.started_at).total_seconds() == pytest.approx(row.seconds, abs=0.5)  # type: ignore[operator]


def test_a_week_later_with_clean_probes_the_recheck_resolves_it(config: Config, sqlite_database: Database,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    seed(sqlite_database, config, total=100, failed=4)            # 4 %: yellow
    cli = Cli(Path(config.source), capsys)
    cli.run(NOW, "round")
    [alert] = [a for a in cli.json(NOW, "alerts") if a["rule"] == "site.unreachable"]
    assert alert["severity"] == "yellow"
    later = NOW + timedelta(days=8)
    with sqlite_database.session() as session:
        record_probes(session, [SiteProbe("portal", config.sites[0].url, Probe(later - timedelta(hours=n), True, 0.3,
                                                                               200)) for n in range(30)])
    result = cli.json(later, "recheck", str(alert["id"]))
    assert [c["events"] for c in result["changes"]] == [["resolved"]]


def test_a_round_stopped_on_request_is_abandoned_with_nothing_written(config: Config, sqlite_database: Database,
                                                                      portal: Portal) -> None:
    portal.server.set("/zwyw/", portal.server.resources["/zwyw/"].body, delay_s=5)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    with pytest.raises(Interrupted):
        run_round(config, load_config_rules(config), sqlite_database, NOW, stop=stop)
    with sqlite_database.session() as session:
        [row] = session.scalars(select(RoundRow))
        assert row.status == "abandoned"
        assert timedelta(seconds=0.4) < row.finished_at - row.started_at < timedelta(seconds=5)  # type: ignore[operator]
        assert session.scalar(select(func.count()).select_from(ObservationRow)) == 0
