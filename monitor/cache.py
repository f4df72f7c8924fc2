"""The page cache contract shared by the fetcher (which uses it for conditional GETs)
and the store (which keeps it in the database between rounds).

Beside a body the cache keeps a *reading*: what a reader made of that body (a JSON
object naming its reader), so that next round an unchanged page is not parsed again.
A reading belongs to one body: a new body comes without one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(slots=True)
class CachedPage:
    url: str
    status: int
    etag: str | None
    last_modified: str | None
    content_hash: str            # sha256 hex of the body bytes
    content_type: str | None
    fetched_at: datetime
    content: bytes | None = None  # kept so that a 304 can be answered from the cache
    reading: dict[str, Any] | None = None


class PageCache(Protocol):
    def get(self, url: str) -> CachedPage | None: ...

    def put(self, page: CachedPage) -> None: ...

    def keep_reading(self, url: str, content_hash: str, reading: dict[str, Any]) -> None:
        """Keep ``reading`` beside the body of ``url`` if that body is still ``content_hash``."""
        ...


class MemoryCache:
    """A dict-backed cache for one process (``monitor check`` without a database, tests)."""

    def __init__(self) -> None:
        self._pages: dict[str, CachedPage] = {}

    def get(self, url: str) -> CachedPage | None:
        return self._pages.get(url)

    def put(self, page: CachedPage) -> None:
        self._pages[page.url] = page

    def keep_reading(self, url: str, content_hash: str, reading: dict[str, Any]) -> None:
        page = self._pages.get(url)
        if page is not None and page.content_hash == content_hash:
            page.reading = reading
