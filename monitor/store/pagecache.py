"""The fetcher's page cache kept in the database between rounds (``PageCache`` protocol).

Bodies are zlib-compressed; a reading (``CachedPage.reading``) is JSON beside its body.
Each call is one short transaction, so the fetcher may call it straight from its asyncio
tasks: the work is a primary-key lookup, one upsert or one update.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from typing import Any

from sqlalchemy import Insert, update
from sqlalchemy.dialects import postgresql, sqlite

from monitor.cache import CachedPage
from monitor.store.db import Database
from monitor.store.tables import PageCacheRow

log = logging.getLogger(__name__)

COMPRESS_LEVEL = 6


def url_hash(url: str) -> str:
    """The key of ``page_cache`` and ``items`` rows (URLs can be longer than an index allows)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class DbPageCache:
    def __init__(self, database: Database) -> None:
        self._db = database

    def get(self, url: str) -> CachedPage | None:
        with self._db.session() as session:
            row = session.get(PageCacheRow, url_hash(url))
            if row is None or row.url != url:
                return None
            try:
                content = zlib.decompress(row.body) if row.body is not None else None
            except zlib.error:
                log.warning("page cache body unreadable, treated as a miss", extra={"url": url})
                return None
            return CachedPage(
                url=row.url, status=row.status, etag=row.etag, last_modified=row.last_modified,
                content_hash=row.content_hash, content_type=row.content_type,
                fetched_at=row.fetched_at, content=content, reading=row.reading,
            )

    def put(self, page: CachedPage) -> None:
        values = _values(page)
        with self._db.session() as session:
            statement = _upsert(self._db.dialect, values)
            if statement is not None:
                session.execute(statement)
            else:
                session.merge(PageCacheRow(**values))

    def keep_reading(self, url: str, content_hash: str, reading: dict[str, Any]) -> None:
        with self._db.session() as session:
            session.execute(update(PageCacheRow)
                            .where(PageCacheRow.url_hash == url_hash(url), PageCacheRow.content_hash == content_hash)
                            .values(reading=reading))


def _values(page: CachedPage) -> dict[str, Any]:
    body = zlib.compress(page.content, COMPRESS_LEVEL) if page.content is not None else None
    return {
        "url_hash": url_hash(page.url), "url": page.url, "status": page.status,
        "etag": page.etag, "last_modified": page.last_modified,
        "content_hash": page.content_hash, "content_type": page.content_type,
        "fetched_at": page.fetched_at, "body": body, "reading": page.reading,
    }


def _upsert(dialect: str, values: dict[str, Any]) -> Insert | None:
    """One atomic INSERT … ON CONFLICT UPDATE where the backend has it (two fetchers may race)."""
    module: Any = {"sqlite": sqlite, "postgresql": postgresql}.get(dialect)
    if module is None:
        return None
    statement = module.insert(PageCacheRow).values(**values)
    changed = {key: statement.excluded[key] for key in values if key != "url_hash"}
    upsert: Insert = statement.on_conflict_do_update(index_elements=["url_hash"], set_=changed)
    return upsert
