"""The digest's 站点无法访问 indicator reads the probe history with the availability rule's window and lines."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.config import load_config
from monitor.domain import Probe
from monitor.notify.digest import build_digest
from monitor.store.db import Database
from monitor.store.probes import SiteProbe, record_probes
from monitor.store.sync import sync_config
from portal_kit import write_config

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def indicator(database: Database, tmp_path: Path, probes: list[Probe]):
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9", "sqlite:///unused.db"))
    with database.session() as session:
        sync_config(session, config)
        record_probes(session, [SiteProbe("portal", "http://127.0.0.1:9/", p) for p in probes])
    with database.session() as session:
        (panel,) = build_digest(session, config, NOW).sites
    return next(i for i in panel.indicators if i.name == "站点无法访问")


def hourly(count: int, failed: int, *, slow: int = 0) -> list[Probe]:
    """``count`` hourly probes: the first ``failed`` fail, the next ``slow`` answer in 20 s."""
    probes = [Probe(NOW - timedelta(hours=n), n >= failed, 20.0 if failed <= n < failed + slow else 0.4)
              for n in range(count)]
    return [*probes, Probe(NOW - timedelta(days=8), False, 0.0)]      # outside the 7-day window


@pytest.mark.parametrize(("probes", "value", "status"), [
    ([], "暂无探测数据", "nodata"),
    (hourly(19, 5), "探测19次，不足以判定", "nodata"),
    (hourly(100, 2), "2.0%", "ok"),
    (hourly(100, 2, slow=1), "3.0%", "near"),          # a probe slower than 15 s counts as unreachable
    (hourly(100, 5), "5.0%", "over"),
])
def test_unreachable_indicator(database: Database, tmp_path: Path, probes: list[Probe], value: str,
                               status: str) -> None:
    shown = indicator(database, tmp_path, probes)
    assert (shown.value, shown.status) == (value, status)
