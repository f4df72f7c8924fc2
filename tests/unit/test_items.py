"""Published items kept across rounds (``items``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from monitor.config import Column, Config, Site, Unit
from monitor.domain import Inspection, Item, Listing, Observation, TargetRef
from monitor.store import Database, finish_round, start_round, sync_config
from monitor.store.items import _insert_new, _record_of, _values, item_records, record_items
from monitor.store.rounds import _batches
from monitor.store.tables import ItemRow, ObservationRow

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
BASE = "http://www.example.gov.cn"


def config(tmp_path: Path) -> Config:
    columns = (Column("zfwj", "portal", "县政府文件", f"{BASE}/zfwj/", "policy", "xzfb"),
               Column("zcjd", "portal", "政策解读", f"{BASE}/zcjd/", "interpretation", "fzb"),
               Column("jggk", "portal", "机构概况", f"{BASE}/jggk/", "static", "xzfb"))
    return Config(base_dir=tmp_path, units=(Unit("xzfb", "县政府办"), Unit("fzb", "县司法局")),
                  sites=(Site("portal", "示例县人民政府", f"{BASE}/", "xzfb"),), columns=columns)


def observations(status: str) -> list[Observation]:
    static = Observation(TargetRef("column", "jggk"), "xzfb", [Item("领导信息", f"{BASE}/jggk/ldxx.html")],
                         facts={"category": "static"})
    column = Observation(TargetRef("column", "zfwj"), "xzfb",
                         [Item("关于印发《办法》的通知…", f"{BASE}/zfwj/t1.html", date(2026, 11, 20))],
                         facts={"category": "policy"})
    scan = Observation(TargetRef("policy", "portal"), "xzfb", facts={"listed": [
        Listing("zfwj", "xzfb", "policy", [Item("关于印发《办法》的通知", f"{BASE}/zfwj/t1.html", date(2026, 11, 20))]),
        Listing("zcjd", "fzb", "interpretation",
                [Item("一图读懂《办法》", f"{BASE}/zcjd/t2.html", date(2026, 11, 21))])]})
    pair = {"url": f"{BASE}/zcjd/t2.html", "title": "一图读懂《办法》", "date": "2026-11-21", "form": "graphic"}
    elsewhere = {"url": "http://city.gov.cn/jd/3.html", "title": "市里的解读", "date": None, "form": "text"}
    doc = Observation(TargetRef("policy", f"{BASE}/zfwj/t1.html"), "xzfb", facts={"policy": {
        "status": status, "document": {"title": "关于印发《办法》的通知", "url": f"{BASE}/zfwj/t1.html",
                                       "date": "2026-11-19", "column": "zfwj"},
        "interpretations": [pair, elsewhere]}})
    return [static, column, doc, scan]


def test_static_columns_are_not_published_items() -> None:
    assert [r.url.rsplit("/", 1)[-1] for r in item_records(observations("both"))] == [
        "t1.html", "t1.html", "t2.html", "3.html", "t1.html", "t2.html"]


def rows(database: Database) -> dict[str, ItemRow]:
    with database.session() as session:
        return {r.url.rsplit("/", 1)[-1]: r for r in session.scalars(select(ItemRow))}


def test_rounds_upsert_items_once_each(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        sync_config(session, config(tmp_path))
        round_id = start_round(session, "weekly", NOW)
        finish_round(session, round_id, Inspection(NOW), observations("one_way"), NOW)
    first = rows(database)
    assert set(first) == {"t1.html", "t2.html", "3.html"}
    doc, interp, away = first["t1.html"], first["t2.html"], first["3.html"]
    assert (doc.category, doc.unit_id, doc.link_status) == ("policy", "xzfb", "one_way")
    assert doc.title == "关于印发《办法》的通知"            # the full title, not the list's cut one
    assert doc.published == date(2026, 11, 20)            # the listing came last in this round
    assert (interp.column_id, interp.unit_id, interp.category) == ("zcjd", "fzb", "interpretation")
    assert (away.column_id, away.unit_id, away.published) == (None, "xzfb", None)
    with database.session() as session:      # the listing's record is those rows, not a copy in the scan's row
        scan_row = session.scalars(select(ObservationRow).where(ObservationRow.target_id == "portal")).one()
        assert scan_row.data["facts"] == {}

    later = NOW + timedelta(days=7)
    with database.session() as session:
        round_id = start_round(session, "weekly", later)
        finish_round(session, round_id, Inspection(later), observations("both")[:3], later)
    second = rows(database)
    assert len(second) == 3
    doc = second["t1.html"]
    assert (doc.link_status, doc.published) == ("both", date(2026, 11, 19))
    assert doc.first_seen == NOW and doc.last_seen == later
    assert (second["t2.html"].column_id, second["t2.html"].unit_id) == ("zcjd", "fzb")   # a link never unlists it


def test_items_merged_chunk_by_chunk_end_as_merged_at_once(database: Database, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Six records over three addresses, two to a chunk: each address is met in more than one chunk."""
    with database.session() as session:
        sync_config(session, config(tmp_path))
        record_items(session, observations("one_way"), NOW)
    at_once = {name: _record_of(row) for name, row in rows(database).items()}
    with database.session() as session:
        session.execute(delete(ItemRow))
    monkeypatch.setattr("monitor.store.items._CHUNK", 2)
    with database.session() as session:
        record_items(session, observations("one_way"), NOW)
    assert {name: _record_of(row) for name, row in rows(database).items()} == at_once
    assert at_once["t1.html"].link_status == "one_way" and at_once["t2.html"].column == "zcjd"


def test_observation_rows_are_inserted_in_batches_of_bounded_entries() -> None:
    """A Hanweb column page may list thousands of entries, each serialised in its row's JSON; a policy
    scan's listing is not in its row, but its observation holds it in memory while the batch grows."""
    big = Observation(TargetRef("column", "big"), "xzfb", [Item(f"第{n}条", f"{BASE}/a/{n}.html") for n in range(2500)])
    small = [Observation(TargetRef("column", f"c{n}"), "xzfb", [Item("一条", f"{BASE}/c{n}.html")]) for n in range(3)]
    listings = [Listing("zfwj", None, "policy", [Item("一条", f"{BASE}/x.html")] * 1000),
                Listing("zcjd", None, "interpretation", [])] * 2
    scan = Observation(TargetRef("policy", "portal"), "xzfb", facts={"listed": listings})
    stored = [*small, big, *small, scan, *small, big, *small]
    batches = list(_batches(stored))
    assert [len(b) for b in batches] == [4, 4, 4, 3]       # cut after each big page and after the scan
    assert [o for b in batches for o in b] == stored


def test_an_insert_racing_another_process_is_skipped(database: Database, tmp_path: Path) -> None:
    [record] = list(item_records(observations("both")[1:2]))
    with database.session() as session:
        sync_config(session, config(tmp_path))
        session.execute(_insert_new(session), [_values(record, NOW)])
        session.execute(_insert_new(session), [_values(record, NOW + timedelta(hours=1))])
    assert rows(database)["t1.html"].first_seen == NOW
    with database.session() as session:
        record_items(session, [], NOW)
    assert set(rows(database)) == {"t1.html"}
