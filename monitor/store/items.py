"""Published items kept across rounds, for ``monitor stats`` (the annual-report figures).

Every finished round upserts what its observations say was published: the entries of each
column observation (first page only), everything the policy check listed while following
the policy and interpretation columns back through their pages, and each judged policy
document with its link status and interpretations. One row per address: an item seen in
fifty rounds is counted once, by its own date.

Two processes may finish rounds at once (a recheck during the weekly round): new rows are
inserted with ``ON CONFLICT DO NOTHING`` so neither fails; the loser's values for such a
row wait for the next round.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.domain import Observation
from monitor.store.pagecache import url_hash
from monitor.store.tables import ItemRow

_CHUNK = 500          # records per IN (…) query
_UNCOUNTED = ("static",)   # 机构概况 and the like list sub-pages, not published information


@dataclass(frozen=True)
class ItemRecord:
    url: str
    title: str
    published: date | None
    category: str
    column: str | None
    unit: str
    link_status: str | None = None

    @property
    def key(self) -> str:
        return url_hash(self.url)


def item_records(observations: Iterable[Observation]) -> Iterator[ItemRecord]:
    """What these observations say was published, in observation order."""
    for obs in observations:
        facts = obs.facts
        if obs.target.kind == "column" and facts.get("category") not in (None, *_UNCOUNTED):
            for item in obs.items:
                yield ItemRecord(item.url, item.title, item.date, facts["category"], obs.target.id, obs.unit)
        for listing in facts.get("listed", ()):
            for item in listing.items:
                yield ItemRecord(item.url, item.title, item.date, listing.category, listing.column,
                                 listing.unit or obs.unit)
        if "policy" in facts:
            yield from _policy_records(obs.unit, facts["policy"])


def _policy_records(unit: str, policy: dict[str, Any]) -> Iterator[ItemRecord]:
    doc = policy["document"]
    yield ItemRecord(doc["url"], doc["title"], _day(doc["date"]), "policy", doc["column"], unit,
                     link_status=policy["status"])
    for pair in policy["interpretations"]:
        yield ItemRecord(pair["url"], pair["title"], _day(pair["date"]), "interpretation", None, unit)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def merge(old: ItemRecord, new: ItemRecord) -> ItemRecord:
    """The later record's facts win, except that a listing column is never replaced by none
    (an interpretation seen in its column and as a document's link belongs to the column)."""
    keep_place = new.column is None and old.column is not None
    return replace(
        new if not keep_place else replace(new, column=old.column, unit=old.unit, category=old.category),
        title=new.title or old.title, published=new.published or old.published,
        link_status=new.link_status or old.link_status)


def record_items(session: Session, observations: Iterable[Observation], now: datetime) -> None:
    """Upsert the items these observations show, ``_CHUNK`` at a time: a round of a big portal
    shows tens of thousands. Merging chunk by chunk ends where merging them all at once would:
    an address met again later is merged into the row its earlier chunk wrote."""
    records = item_records(observations)
    while chunk := list(islice(records, _CHUNK)):
        merged: dict[str, ItemRecord] = {}
        for record in chunk:
            known = merged.get(record.key)
            merged[record.key] = merge(known, record) if known else record
        _upsert(session, merged, now)


def _upsert(session: Session, merged: dict[str, ItemRecord], now: datetime) -> None:
    rows = {row.url_hash: row for row in session.scalars(select(ItemRow).where(ItemRow.url_hash.in_(list(merged))))}
    fresh = [_values(record, now) for key, record in merged.items() if key not in rows]
    if fresh:
        session.execute(_insert_new(session), fresh)
    for key, row in rows.items():
        _update(row, merge(_record_of(row), merged[key]), now)
    session.flush()          # written chunk by chunk: the session lets go of each chunk's rows


def _values(record: ItemRecord, now: datetime) -> dict[str, Any]:
    return {"url_hash": record.key, "url": record.url, "title": record.title, "published": record.published,
            "category": record.category, "column_id": record.column, "unit_id": record.unit,
            "link_status": record.link_status, "first_seen": now, "last_seen": now}


def _insert_new(session: Session) -> Any:
    """INSERT that skips rows another process inserted meanwhile (SQLite and PostgreSQL)."""
    module: Any = {"sqlite": sqlite, "postgresql": postgresql}.get(session.get_bind().dialect.name)
    if module is None:
        return insert(ItemRow)
    return module.insert(ItemRow).on_conflict_do_nothing(index_elements=["url_hash"])


def _record_of(row: ItemRow) -> ItemRecord:
    return ItemRecord(row.url, row.title, row.published, row.category, row.column_id, row.unit_id,
                      row.link_status)


def _update(row: ItemRow, record: ItemRecord, now: datetime) -> None:
    row.title, row.published, row.category = record.title, record.published, record.category
    row.column_id, row.unit_id = record.column, record.unit
    row.link_status, row.last_seen = record.link_status, now
