"""The crawl's memory in the database, on SQLite and PostgreSQL: batch lookups and upserts."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime

from monitor.crawl.memory import PageRecord, decode_links, encode_links
from monitor.store.crawlpages import DbCrawlMemory
from monitor.store.db import Database

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def test_records_round_trip_and_upsert(database: Database) -> None:
    memory = DbCrawlMemory(database)
    links = encode_links([("http://h/gone.html", "旧栏目", False), ("http://h/xxgk/index_1.html", "下一页", True)])
    masked = "510722********3418"
    hits = {"title": "通知一", "id_numbers": [{"masked": masked, "context": f"身份证号 {masked}"}]}
    page = PageRecord("http://h/xxgk/a.html", 200, '"e1"', "Wed, 25 Nov 2026 08:00:00 GMT", "0" * 32, "通知一",
                      links, hits)
    memory.save("portal", [page, PageRecord("http://h/f.pdf", 404)], NOW)
    found = memory.lookup(["http://h/xxgk/a.html", "http://h/f.pdf", "http://h/none.html"])
    assert set(found) == {"http://h/xxgk/a.html", "http://h/f.pdf"}
    assert found["http://h/xxgk/a.html"] == page
    assert list(decode_links(found["http://h/xxgk/a.html"].links))[1] == ("http://h/xxgk/index_1.html", "下一页", True)
    assert found["http://h/f.pdf"].status == 404 and found["http://h/f.pdf"].links is None

    memory.save("portal", [replace(page, etag='"e2"', hits=None)], NOW)
    again = memory.lookup(["http://h/xxgk/a.html"])["http://h/xxgk/a.html"]
    assert (again.etag, again.hits) == ('"e2"', None)
    assert memory.lookup([]) == {}


def test_a_record_from_an_older_version_is_read_as_a_changed_page(database: Database) -> None:
    """Its links are in an older format: the page is fetched and parsed again, never followed as nothing."""
    memory = DbCrawlMemory(database)
    older = zlib.compress("http://h/b.html\t旧格式".encode(), 1)
    memory.save("portal", [PageRecord("http://h/a.html", 200, '"e1"', None, "0" * 32, "甲", older)], NOW)
    record = memory.lookup(["http://h/a.html"])["http://h/a.html"]
    assert record.links is None and record.etag == '"e1"'
