"""The crawler's memory in the database (``CrawlMemory`` on table ``crawl_pages``).

Batch statements only: one ``SELECT … WHERE url_hash IN (…)`` per batch of frontier
URLs and one multi-row upsert per batch of changed pages. Called from the crawl's
event loop: each call is short, and PostgreSQL or SQLite on the same machine answers
in about a millisecond.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite

from monitor.crawl.memory import PageRecord, is_current
from monitor.store.db import Database
from monitor.store.tables import CrawlPageRow

_COLUMNS = (CrawlPageRow.url, CrawlPageRow.status, CrawlPageRow.etag, CrawlPageRow.last_modified,
            CrawlPageRow.content_hash, CrawlPageRow.title, CrawlPageRow.links, CrawlPageRow.hits)


def crawl_url_hash(url: str) -> str:
    """The ``crawl_pages`` key: blake2b-128 (cheaper than the sha256 of the page cache, looked up per URL)."""
    return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class DbCrawlMemory:
    def __init__(self, database: Database) -> None:
        self._db = database

    def lookup(self, urls: list[str]) -> dict[str, PageRecord]:
        if not urls:
            return {}
        wanted = {crawl_url_hash(u): u for u in urls}
        statement = select(*_COLUMNS).where(CrawlPageRow.url_hash.in_(list(wanted)))
        with self._db.engine.connect() as connection:
            rows = connection.execute(statement).all()
        asked = set(urls)
        found = {}
        for row in rows:
            if row.url in asked:
                links = row.links if is_current(row.links) else None     # older format: parsed again
                found[row.url] = PageRecord(row.url, row.status, row.etag, row.last_modified, row.content_hash,
                                            row.title, links, row.hits)
        return found

    def save(self, site_id: str, records: list[PageRecord], now: datetime) -> None:
        if not records:
            return
        values = [_values(site_id, r, now) for r in records]
        with self._db.engine.begin() as connection:
            connection.execute(_upsert(self._db.dialect), values)


def _values(site_id: str, record: PageRecord, now: datetime) -> dict[str, Any]:
    return {"url_hash": crawl_url_hash(record.url), "site_id": site_id, "url": record.url, "status": record.status,
            "etag": record.etag, "last_modified": record.last_modified, "content_hash": record.content_hash,
            "title": record.title, "links": record.links, "hits": record.hits, "fetched_at": now}


def _upsert(dialect: str) -> Insert:
    """INSERT … ON CONFLICT (url_hash) DO UPDATE, executed with many rows at once."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(CrawlPageRow)
    changed = {c.name: statement.excluded[c.name] for c in CrawlPageRow.__table__.columns if c.name != "url_hash"}
    upsert: Insert = statement.on_conflict_do_update(index_elements=["url_hash"], set_=changed)
    return upsert
