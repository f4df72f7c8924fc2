"""Two processes rechecking at once process every due alert exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from monitor.alerts.service import Outcome, Selection, run_recheck, run_round
from monitor.config import load_config
from monitor.rules import load_config_rules
from monitor.store.db import Database
from monitor.store.tables import AlertEventRow
from portal_kit import Portal, write_config

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 2, tzinfo=TZ)
EXTRA = "".join(f"""
[[columns]]
id = "c{n}"
site = "portal"
name = "栏目{n}"
url = "{{base}}/c{n}/"
category = "news"
unit = "xzfb"
""" for n in range(4))


def test_concurrent_rechecks_process_each_alert_once(database: Database, portal: Portal, tmp_path: Path) -> None:
    stale = [date(2026, 11, 1) - timedelta(days=n) for n in range(3)]
    portal.column("/", "首页", [date(2026, 11, 22)] * 3)
    portal.column("/zwyw/", "政务要闻", [date(2026, 11, 22)] * 3)
    portal.column("/tzgg/", "通知公告", [date(2026, 11, 22)] * 3)
    for n in range(4):
        portal.column(f"/c{n}/", f"栏目{n}", stale)
    config = load_config(write_config(tmp_path, portal.server.base_url, "sqlite:///unused.db",
                                      extra=EXTRA.replace("{base}", portal.server.base_url)))
    rules = load_config_rules(config)
    opened = run_round(config, rules, database, MONDAY)
    assert len(opened.applied) == 4
    for n in range(4):                       # slow answers so that both rechecks overlap
        path = f"/c{n}/"
        resource = portal.server.resources[path]
        portal.server.set(path, resource.body, delay_s=0.3)
    portal.server.clear_log()

    due = MONDAY + timedelta(days=1, hours=7, minutes=5)
    outcomes: list[Outcome] = []
    barrier = threading.Barrier(2)

    def recheck(owner: str) -> None:
        barrier.wait()
        outcomes.append(run_recheck(config, rules, database, due, Selection(due=True), owner=owner))

    threads = [threading.Thread(target=recheck, args=(f"proc-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    applied = [a.alert_id for o in outcomes for a in o.applied]
    assert sorted(applied) == sorted({a.alert_id for a in opened.applied})
    with database.session() as session:
        per_alert = session.execute(select(AlertEventRow.alert_id, func.count())
                                    .where(AlertEventRow.kind == "overdue").group_by(AlertEventRow.alert_id)).all()
    assert sorted(count for _, count in per_alert) == [1, 1, 1, 1]
    fetched = portal.requested()
    assert sorted(fetched) == ["/c0/", "/c1/", "/c2/", "/c3/"]
