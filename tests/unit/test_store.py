"""The store on SQLite and PostgreSQL: config sync, page cache, rounds, UTC timestamps, opening."""

from __future__ import annotations

import hashlib
import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from monitor.cache import CachedPage
from monitor.config import Account, Column, Config, Site, Unit
from monitor.domain import (
    Finding,
    Inspection,
    InspectionError,
    InspectionStats,
    Item,
    Observation,
    TargetRef,
)
from monitor.errors import StorageError
from monitor.held import HeldFindings
from monitor.store import (
    Database,
    DbPageCache,
    abandon_stale_rounds,
    consecutive_failures,
    finish_round,
    rounds,
    start_round,
    sync_config,
)
from monitor.store.tables import (
    AccountRow,
    ColumnRow,
    FindingRow,
    ObservationRow,
    RoundRow,
    SiteRow,
    UnitRow,
)

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)


def _config(tmp_path: Path, *, with_column: bool = True, office_name: str = "县政府办") -> Config:
    units = (Unit("xzfb", office_name, ("13800000000",), ("xzfb@example.gov.cn",)),
             Unit("xcb", "县委宣传部"))
    sites = (Site("portal", "示例县人民政府", "http://www.example.gov.cn/", "xzfb",
                  ("www.example.gov.cn",)),)
    columns = (Column("zwyw", "portal", "政务要闻", "http://www.example.gov.cn/zwyw/", "news",
                      "xzfb", item_selector="ul.list > li"),) if with_column else ()
    accounts = (Account("wx-fabu", "wechat", "示例发布", "xcb",
                        feed="http://rss.example.gov.cn/wechat/fabu.xml"),)
    return Config(base_dir=tmp_path, units=units, sites=sites, columns=columns, accounts=accounts)


def _page(url: str = "http://www.example.gov.cn/zwyw/", body: bytes | None = None) -> CachedPage:
    content = body if body is not None else "<html>政务要闻 2026-11-05</html>".encode() * 50
    return CachedPage(url=url, status=200, etag='"abc"', last_modified="Thu, 05 Nov 2026 08:00:00 GMT",
                      content_hash=hashlib.sha256(content).hexdigest(),
                      content_type="text/html; charset=utf-8", fetched_at=NOW, content=content)


COLUMN = TargetRef("column", "zwyw", "政务要闻", "http://www.example.gov.cn/zwyw/")
ACCOUNT = TargetRef("account", "wx-fabu", "示例发布", "http://rss.example.gov.cn/wechat/fabu.xml")


def _run_round(database: Database, *, column_ok: bool, status_done: bool = True, kind: str = "weekly") -> int:
    """A round that saw the account fine and the column either fine or failing."""
    inspection = Inspection(now=NOW, stats=InspectionStats(pages=3, links_checked=7, seconds=1.5))
    observations = [Observation(ACCOUNT, "xcb", [Item("a", "http://x/a", date(2026, 11, 20))])]
    if column_ok:
        observations.append(Observation(COLUMN, "xzfb", [Item("b", "http://x/b", date(2026, 11, 1))]))
    else:
        inspection.errors.append(InspectionError(COLUMN, "xzfb", "timeout after 20s"))
    with database.session() as session:
        round_id = start_round(session, kind, NOW)  # type: ignore[arg-type]
        if status_done:
            finish_round(session, round_id, inspection, observations, NOW)
    return round_id


# --- sync ----------------------------------------------------------------------------------


def test_sync_inserts_targets(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        sync_config(session, _config(tmp_path))
    with database.session() as session:
        unit = session.get(UnitRow, "xzfb")
        column = session.get(ColumnRow, "zwyw")
        site = session.get(SiteRow, "portal")
        account = session.get(AccountRow, "wx-fabu")
        assert unit is not None and column is not None and site is not None
        assert account is not None
        assert (unit.name, unit.dingtalk_mobiles, unit.emails, unit.active) == (
            "县政府办", ["13800000000"], ["xzfb@example.gov.cn"], True)
        assert site.hosts == ["www.example.gov.cn"]
        assert (column.site_id, column.category, column.item_selector, column.date_selector) == (
            "portal", "news", "ul.list > li", None)
        assert (account.feed, account.page, account.unit_id) == (
            "http://rss.example.gov.cn/wechat/fabu.xml", None, "xcb")


def test_sync_updates_deactivates_and_reactivates(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        sync_config(session, _config(tmp_path))
    with database.session() as session:
        sync_config(session, _config(tmp_path, with_column=False, office_name="县人民政府办公室"))
    with database.session() as session:
        column = session.get(ColumnRow, "zwyw")
        unit = session.get(UnitRow, "xzfb")
        assert column is not None and unit is not None
        assert column.active is False          # kept for history, not deleted
        assert unit.name == "县人民政府办公室"
        assert session.scalar(select(ColumnRow).where(ColumnRow.active)) is None
    with database.session() as session:
        sync_config(session, _config(tmp_path))
    with database.session() as session:
        column = session.get(ColumnRow, "zwyw")
        assert column is not None and column.active is True


# --- page cache ----------------------------------------------------------------------------


def test_page_cache_round_trip(database: Database) -> None:
    cache = DbPageCache(database)
    long_url = "http://www.example.gov.cn/search?q=" + "政务" * 2000
    assert cache.get(long_url) is None
    page = _page(long_url)
    cache.put(page)
    got = cache.get(long_url)
    assert got == page
    assert got is not None and got.fetched_at.tzinfo is not None
    with database.session() as session:
        stored = session.execute(text("SELECT body FROM page_cache")).scalar_one()
    assert page.content is not None and len(stored) < len(page.content)   # compressed


def test_page_cache_put_replaces(database: Database) -> None:
    cache = DbPageCache(database)
    cache.put(_page())
    newer = _page(body=b"changed")
    newer.etag = None
    newer.content = None
    cache.put(newer)
    got = cache.get(newer.url)
    assert got is not None
    assert (got.etag, got.content, got.content_hash) == (None, None, newer.content_hash)


def test_a_reading_is_kept_beside_its_body_only(database: Database) -> None:
    cache = DbPageCache(database)
    page = _page()
    cache.put(page)
    cache.keep_reading(page.url, "0" * 64, {"reader": "r/1"})          # a body since replaced: not kept
    assert cache.get(page.url).reading is None                         # type: ignore[union-attr]
    cache.keep_reading(page.url, page.content_hash, {"reader": "r/1", "title": "政务要闻", "links": [["u", 1]]})
    assert cache.get(page.url).reading == {"reader": "r/1", "title": "政务要闻", "links": [["u", 1]]}  # type: ignore[union-attr]
    cache.put(_page(body=b"changed"))
    assert cache.get(page.url).reading is None                         # type: ignore[union-attr]


# --- rounds --------------------------------------------------------------------------------


def test_finish_round_stores_observations_errors_and_findings(database: Database) -> None:
    finding = Finding("column.stale", "red", COLUMN, "xzfb", "栏目“政务要闻”已21天未更新（红线14天）",
                      {"latest": date(2026, 11, 5), "days": 21, "red_days": 14})
    inspection = Inspection(now=NOW, findings=HeldFindings([finding]),
                            errors=[InspectionError(ACCOUNT, "xcb", "HTML parking page")],
                            stats=InspectionStats(pages=12, links_checked=40, seconds=3.25))
    observed = Observation(COLUMN, "xzfb",
                           [Item("旧", "http://x/1", date(2026, 11, 5)), Item("无日期", "http://x/2")],
                           facts={"category": "news"})
    with database.session() as session:
        round_id = start_round(session, "weekly", NOW)
    with database.session() as session:
        finish_round(session, round_id, inspection, [observed], NOW + timedelta(minutes=2))

    with database.session() as session:
        row = session.get(RoundRow, round_id)
        assert row is not None
        assert (row.kind, row.status, row.pages, row.links_checked, row.findings, row.errors,
                row.seconds) == ("weekly", "done", 12, 40, 1, 1, 3.25)
        assert row.finished_at == NOW + timedelta(minutes=2)
        ok, failed = session.scalars(select(ObservationRow).order_by(ObservationRow.ok.desc()))
        assert (ok.target_id, ok.ok, ok.latest, ok.item_count) == ("zwyw", True, date(2026, 11, 5), 2)
        assert ok.data["facts"] == {"category": "news"} and ok.data["unit"] == "xzfb"
        assert "items" not in ok.data and rounds.shown(ok.data) == rounds.shown(
            {"items": [{"url": "http://x/1"}, {"url": "http://x/2"}]})
        assert (failed.target_kind, failed.ok, failed.error) == ("account", False, "HTML parking page")
        stored = session.scalars(select(FindingRow)).one()
        assert (stored.rule, stored.severity, stored.unit_id, stored.target_name) == (
            "column.stale", "red", "xzfb", "政务要闻")
        assert stored.evidence == {"latest": "2026-11-05", "days": 21, "red_days": 14}


def test_finish_round_twice_is_refused(sqlite_database: Database) -> None:
    round_id = _run_round(sqlite_database, column_ok=True)
    with pytest.raises(ValueError, match="already done"), sqlite_database.session() as session:
        finish_round(session, round_id, Inspection(now=NOW), [], NOW)


def test_consecutive_failures(database: Database) -> None:
    def failures() -> int:
        with database.session() as session:
            return consecutive_failures(session, "column", "zwyw")

    assert failures() == 0
    _run_round(database, column_ok=False)
    assert failures() == 1
    with database.session() as session:   # a recheck of another target: neither counts nor breaks
        other = start_round(session, "recheck", NOW)
        finish_round(session, other, Inspection(now=NOW), [Observation(ACCOUNT, "xcb")], NOW)
    _run_round(database, column_ok=False)
    _run_round(database, column_ok=False, status_done=False)   # still running: not counted
    _run_round(database, column_ok=False, kind="check")        # an operator's check is not a round
    assert failures() == 2
    _run_round(database, column_ok=True)
    assert failures() == 0
    _run_round(database, column_ok=False)
    assert failures() == 1
    with database.session() as session:
        assert consecutive_failures(session, "account", "wx-fabu") == 0


def test_abandon_stale_rounds(database: Database) -> None:
    done = _run_round(database, column_ok=True)
    stale = _run_round(database, column_ok=True, status_done=False)
    later = NOW + timedelta(hours=1)
    with database.session() as session:
        assert abandon_stale_rounds(session, later) == 1
    with database.session() as session:
        statuses = {r.id: (r.status, r.finished_at) for r in session.scalars(select(RoundRow))}
    assert statuses[done] == ("done", NOW)
    assert statuses[stale] == ("abandoned", later)


def test_abandon_only_rounds_started_before(sqlite_database: Database) -> None:
    _run_round(sqlite_database, column_ok=True, status_done=False)
    with sqlite_database.session() as session:
        assert abandon_stale_rounds(session, NOW, started_before=NOW) == 0
        assert abandon_stale_rounds(session, NOW, started_before=NOW + timedelta(seconds=1)) == 1


# --- timestamps ----------------------------------------------------------------------------


def test_datetimes_come_back_aware_in_utc(database: Database) -> None:
    with database.session() as session:
        round_id = start_round(session, "manual", NOW)
    with database.session() as session:
        row = session.get(RoundRow, round_id)
        assert row is not None
        assert row.started_at == NOW
        assert row.started_at.tzinfo == UTC
        assert row.started_at.hour == 1          # 09:00 +08:00
        found = session.scalar(select(RoundRow.id).where(
            RoundRow.started_at == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)))
        assert found == round_id


def test_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), database.session() as session:
        start_round(session, "manual", datetime(2026, 11, 26, 9, 0))


# --- opening -------------------------------------------------------------------------------


def test_relative_sqlite_path_resolves_against_base_dir(tmp_path: Path) -> None:
    database = Database.open("sqlite:///var/monitor.db", tmp_path)
    try:
        assert (tmp_path / "var" / "monitor.db").is_file()
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        database.close()


def test_unreachable_database_names_url_without_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://monitor:s3cret@127.0.0.1:1/monitor"
    with pytest.raises(StorageError) as caught:
        Database.open(url, tmp_path)
    message = str(caught.value)
    assert "无法连接数据库" in message and "127.0.0.1:1/monitor" in message
    assert "s3cret" not in message and "***" in message


def test_finish_round_inserts_findings_and_errors_in_bounded_batches(sqlite_database: Database,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rounds, "_ROWS", 2)
    findings = [Finding("link.broken", "yellow", TargetRef("link", f"http://x/{n}", "", f"http://x/{n}"), "xzfb",
                        f"链接{n}失效", {"n": n}) for n in range(5)]
    errors = [InspectionError(TargetRef("page", f"http://x/p{n}"), "xzfb", "太大") for n in range(3)]
    statements: list[int] = []
    execute = Session.execute

    def counting(self: Session, statement: object, params: object = None, **kw: object) -> object:
        if isinstance(params, list):
            statements.append(len(params))
        return execute(self, statement, params, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "execute", counting)
    with sqlite_database.session() as session:
        round_id = start_round(session, "weekly", NOW)
        finish_round(session, round_id, Inspection(now=NOW, findings=HeldFindings(findings), errors=errors), [], NOW)

    assert max(statements) == 2
    with sqlite_database.session() as session:
        stored = session.scalars(select(FindingRow.evidence).order_by(FindingRow.id)).all()
        assert stored == [{"n": n} for n in range(5)]
        assert session.scalar(select(func.count()).select_from(ObservationRow).where(~ObservationRow.ok)) == 3


def test_a_row_names_its_entries_by_digests_of_their_addresses(database: Database) -> None:
    """A Hanweb column page may list thousands of entries; its row keeps 11 characters of each (their
    ``items`` rows keep the rest), and building it costs less than one entry's JSON per entry."""
    items = [Item(f"标题{n}", f"http://x/{n}", date(2026, 11, n % 28 + 1)) for n in range(3000)]
    observed = Observation(COLUMN, "xzfb", items, facts={"category": "新闻"})
    tracemalloc.start()
    row = rounds._observation(1, observed)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3000 * 40
    with database.session() as session:
        round_id = start_round(session, "check", NOW)
        finish_round(session, round_id, Inspection(now=NOW), [observed], NOW)
    with database.session() as session:
        stored = session.scalars(select(ObservationRow)).one()
        assert stored.item_count == 3000 and stored.data == row["data"]
        assert len(stored.data["url_digests"]) == 3000 * 8 * 4 // 3
        assert rounds.shown(stored.data) == rounds.shown({"items": [i.to_json() for i in items]})
        assert len(rounds.shown(stored.data)) == 3000 and rounds.shown(None) == set()
        if database.engine.dialect.name == "sqlite":      # readable Chinese, not \\u escapes
            raw = session.execute(text("SELECT data FROM observations")).scalar_one()
            assert '"category": "新闻"' in raw
