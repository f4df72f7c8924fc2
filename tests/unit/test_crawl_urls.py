"""URL normalization, scope, the frontier's memory and target selection (issue 6, point 1)."""

from __future__ import annotations

import tracemalloc
import zlib
from pathlib import Path

import pytest

from monitor.config import Column, Config, Site
from monitor.crawl.frontier import EXTERNAL, PAGE, Caps, Coverage, Frontier
from monitor.crawl.links import is_pager
from monitor.crawl.memory import decode_links, encode_links, is_current, link_targets
from monitor.crawl.spill import SpillQueue
from monitor.crawl.targets import SiteCrawlTarget
from monitor.crawl.urls import is_private_address, is_resource, key, normalize, resolve, site_netlocs
from monitor.inspect import HomepageTarget, targets_from_config

BASE = "http://www.example.gov.cn/xwzx/zwyw/202611/t20261105_1.html"


@pytest.mark.parametrize(("href", "expected"), [
    ("./t20261106_2.html", "http://www.example.gov.cn/xwzx/zwyw/202611/t20261106_2.html"),
    ("t20261106_2.html#top", "http://www.example.gov.cn/xwzx/zwyw/202611/t20261106_2.html"),
    ("../../tzgg/", "http://www.example.gov.cn/xwzx/tzgg/"),
    ("/zwgk/index.html", "http://www.example.gov.cn/zwgk/index.html"),
    ("//www.example.gov.cn/a.html", "http://www.example.gov.cn/a.html"),
    ("HTTP://WWW.Example.GOV.CN:80/b.html", "http://www.example.gov.cn/b.html"),
    ("https://www.example.gov.cn:443/c", "https://www.example.gov.cn/c"),
    ("http://www.example.gov.cn:8080/c", "http://www.example.gov.cn:8080/c"),
    ("/art;jsessionid=ABC123?id=5", "http://www.example.gov.cn/art?id=5"),
    ("/list.jsp?page=2&JSESSIONID=x&sid=9", "http://www.example.gov.cn/list.jsp?page=2"),
    ("?page=3", "http://www.example.gov.cn/xwzx/zwyw/202611/t20261105_1.html?page=3"),
    ("  ./a.pdf  ", "http://www.example.gov.cn/xwzx/zwyw/202611/a.pdf"),
    (".\\doc\\a.doc", "http://www.example.gov.cn/xwzx/zwyw/202611/doc/a.doc"),
])
def test_resolve_normalizes(href: str, expected: str) -> None:
    assert resolve(BASE, href) == expected


@pytest.mark.parametrize("href", ["javascript:void(0)", "JavaScript:openWin()", "mailto:gkb@example.gov.cn",
                                  "tel:0816-1234567", "#top", "#", "", "   ", "data:image/png;base64,xx",
                                  "http://[::1"])
def test_skipped_references(href: str) -> None:
    assert resolve(BASE, href) is None


def test_index_html_and_slash_are_one_page_but_fetched_as_linked() -> None:
    assert key("http://h/zwgk/index.html") == key("http://h/zwgk/") == "http://h/zwgk/"
    assert key("http://h/zwgk/index.html?x=1") == "http://h/zwgk/?x=1"
    assert key("http://h/zwgk/myindex.html") == "http://h/zwgk/myindex.html"
    assert normalize("http://h/zwgk/index.html") == "http://h/zwgk/index.html"


def test_site_hosts_default_to_the_homepage_host_and_port() -> None:
    assert site_netlocs("http://www.example.gov.cn:80/", ()) == {"www.example.gov.cn"}
    assert site_netlocs("http://127.0.0.1:8080/", ()) == {"127.0.0.1:8080"}
    assert site_netlocs("http://a.gov.cn/", ("A.gov.cn", "zwgk.a.gov.cn:8443")) == {"a.gov.cn", "zwgk.a.gov.cn:8443"}


def test_resources_private_addresses_and_pagers() -> None:
    assert is_resource("http://h/a/P020261105.PDF") and is_resource("http://h/a/b.wps")
    assert not is_resource("http://h/a/t1.html") and not is_resource("http://h/a/?f=x.pdf")
    assert all(is_private_address(h) for h in ("127.0.0.1", "localhost", "10.1.2.3", "192.168.0.1", "[::1]"))
    assert not is_private_address("61.139.2.69") and not is_private_address("www.example.gov.cn")
    assert is_pager("下一页") and is_pager("尾页") and is_pager("»")
    assert not is_pager("下一页工作安排") and not is_pager("")


def test_links_survive_the_round_trip_through_memory() -> None:
    links = [("http://h/a.html", "政务要闻", False), ("http://h/index_1.html", "下一页", True),
             ("http://h/b", "", False)]
    blob = encode_links(links)
    assert list(decode_links(blob)) == links
    assert link_targets(blob) == (["http://h/a.html", "http://h/index_1.html", "http://h/b"],
                                  frozenset({"http://h/index_1.html"}))
    assert list(decode_links(None)) == [] and link_targets(encode_links([])) == ([], frozenset())


def test_a_page_of_thousands_of_links_round_trips() -> None:
    """Compressed a few hundred at a time: the joins between pieces and sections must not show."""
    links = [(f"http://h/art/{n}.html", "" if n % 7 == 0 else f"第{n}条", n % 500 == 499) for n in range(1300)]
    blob = encode_links(links)
    assert list(decode_links(blob)) == links
    assert link_targets(blob) == ([u for u, _, _ in links], frozenset(u for u, _, p in links if p))
    assert list(decode_links(encode_links(links[:256]))) == links[:256]       # one whole piece, no pager


def test_a_text_or_address_cannot_break_the_stored_sections() -> None:
    links = [("http://h/a\0b.html", "两行\n文字\0", True), ("http://h/c.html", "c", False)]
    assert list(decode_links(encode_links(links))) == [("http://h/a%00b.html", "两行 文字", True),
                                                       ("http://h/c.html", "c", False)]


def test_links_stored_by_an_older_version_are_not_current() -> None:
    older = zlib.compress(b"http://h/a.html\t\xe8\xa6\x81\xe9\x97\xbb", 1)     # url\ttext lines
    assert not is_current(older) and not is_current(None) and is_current(encode_links([]))
    assert list(decode_links(older)) == [] and link_targets(older) == ([], frozenset())


def test_frontier_keeps_evidence_only_for_unanswered_urls() -> None:
    frontier = Frontier(Caps(max_pages=2, max_depth=3, max_external=1), queue=SpillQueue(chunk=1))
    frontier.offer("http://h/", 0, PAGE, "", False)
    home = frontier.take(1)[0]
    frontier.answered(home, page_ok=True)
    for n in range(4):          # while it waits in the queue
        frontier.offer("http://h/dead.html", 1, PAGE, f"http://h/p{n}.html", False)
    frontier.offer("http://h/deep.html", 4, PAGE, "http://h/", False)         # over max_depth
    frontier.offer("http://h/third.html", 1, PAGE, "http://h/", False)        # over max_pages
    frontier.offer("http://x/1", 1, EXTERNAL, "http://h/", False)
    frontier.offer("http://x/2", 1, EXTERNAL, "http://h/", False)             # over max_external
    (dead,) = frontier.take(5)
    for n in range(4, 8):       # while it is fetched
        frontier.offer("http://h/dead.html", 1, PAGE, f"http://h/p{n}.html", False)
    assert dead.more is None and dead.total == 1 and not dead.home     # the others wait in the late queue
    dead.attempts, dead.status = 1, 404
    assert not frontier.fail(dead)                                     # once: it will be asked again
    for n in range(8, 10):      # after it failed
        frontier.offer("http://h/dead.html", 1, PAGE, f"http://h/p{n}.html", False)
    assert frontier.retry_failed() and not frontier.retry_failed()
    (again,) = frontier.take(5)
    assert again.url == "http://h/dead.html" and again.status is None and again.error == ""
    for n in range(10, 12):     # while it is asked again
        frontier.offer("http://h/dead.html", 1, PAGE, f"http://h/p{n % 11}.html", n == 11)
    again.attempts, again.status = 2, 404
    assert frontier.fail(again)
    (batch,) = frontier.dead_links(10)
    assert [e.url for e in batch] == ["http://h/dead.html"]
    assert batch[0].total == 12 and batch[0].home
    assert batch[0].sources == [f"http://h/p{n}.html" for n in range(10)]      # in the order they were found
    assert (frontier.skipped_pages, frontier.skipped_external) == (2, 1)
    coverage = Coverage(frontier)
    assert ("page", "http://h/index.html") in coverage and ("link", "http://h/") in coverage
    assert ("link", "http://h/dead.html") not in coverage and ("link", "http://h/deep.html") not in coverage
    frontier.close()


def test_failed_urls_wait_on_disk_and_come_back_dead_a_batch_at_a_time() -> None:
    frontier = Frontier(Caps(max_pages=100, max_depth=3, max_external=0), late=SpillQueue(chunk=2),
                        failures=SpillQueue(chunk=2), dead=SpillQueue(chunk=2))
    urls = [f"http://h/a{n}.html" for n in range(7)]
    for url in urls:
        frontier.offer(url, 1, PAGE, "http://h/", True)
    for attempt in (1, 2):
        for entry in frontier.take(10):
            frontier.offer(entry.url, 1, PAGE, f"http://h/from{attempt}.html", False)
            entry.attempts, entry.status, entry.error = attempt, None, "连接被拒绝"
            if entry.url == urls[3] and attempt == 2:
                frontier.answered(entry)                      # the second try worked: not dead
            else:
                assert frontier.fail(entry) == (attempt == 2)
        assert frontier.failures._file is not None or attempt == 2      # the failed went to disk
        frontier.retry_failed()
    batches = [[(e.url, e.sources, e.total, e.error) for e in batch] for batch in frontier.dead_links(2)]
    sources = ["http://h/", "http://h/from1.html", "http://h/from2.html"]
    assert batches == [[(urls[0], sources, 3, "连接被拒绝"), (urls[1], sources, 3, "连接被拒绝")],
                       [(urls[2], sources, 3, "连接被拒绝"), (urls[4], sources, 3, "连接被拒绝")],
                       [(urls[5], sources, 3, "连接被拒绝"), (urls[6], sources, 3, "连接被拒绝")]]
    assert ("link", urls[3]) in Coverage(frontier) and ("link", urls[0]) not in Coverage(frontier)
    frontier.close()


def test_failed_urls_cost_no_memory_while_they_wait() -> None:
    """A site with thousands of dead links: their entries (URL, first linking page, error) wait on disk,
    not in the frontier, until they are read back a batch at a time."""
    tracemalloc.start()
    try:
        frontier = Frontier(Caps(max_pages=20_000, max_depth=3, max_external=0))
        for n in range(10_000):
            frontier.offer(f"http://h/gone/{n:05}.html", 1, PAGE, f"http://h/list/{n // 20}.html", False)
        while batch := frontier.take(256):
            for entry in batch:
                entry.attempts, entry.status, entry.error = 2, 404, "HTTP 404"
                assert frontier.fail(entry)
        del batch, entry
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 2_000_000     # the URL set, the address caches, two chunks of entries; all in memory: 3.8 MB
    assert sum(len(batch) for batch in frontier.dead_links(100)) == 10_000
    frontier.close()


def test_frontier_gives_urls_back_in_breadth_first_order_through_the_disk() -> None:
    frontier = Frontier(Caps(max_pages=100, max_depth=3, max_external=0), queue=SpillQueue(chunk=4))
    urls = [f"http://h/a{n}.html" for n in range(30)]
    for url in urls:
        frontier.offer(url, 1, PAGE, "http://h/", True)
    assert frontier.queue._file is not None                  # most of them went to disk
    taken = [e for _ in range(8) for e in frontier.take(4)]
    assert [e.url for e in taken] == urls[:30] and all(e.home and e.sources == ["http://h/"] for e in taken)
    assert frontier.take(4) == []
    frontier.close()


def test_spill_queue_is_fifo_across_memory_and_disk() -> None:
    queue: SpillQueue[int] = SpillQueue(chunk=3)
    for n in range(5):
        queue.append(n)
    assert [queue.popleft(), queue.popleft()] == [0, 1]
    for n in range(5, 20):
        queue.append(n)
    assert len(queue) == 18
    assert [queue.popleft() for _ in range(4)] == [2, 3, 4, 5]
    queue.append(20)
    assert list(queue.drain()) == list(range(6, 21)) and len(queue) == 0
    assert queue._file is not None and queue._file.seek(0, 2) == 0      # read back whole: the file starts over
    queue.append(21)
    assert queue.popleft() == 21
    with pytest.raises(IndexError):
        queue.popleft()
    queue.close()


def test_spill_queue_can_be_read_again_without_taking_anything() -> None:
    queue: SpillQueue[int] = SpillQueue(chunk=3)
    for n in range(11):
        queue.append(n)
    queue.popleft()                           # the front is now part-read, the rest on disk and behind
    assert list(queue) == list(queue) == list(range(1, 11)) and len(queue) == 10
    assert list(queue.drain()) == list(range(1, 11))
    queue.close()


def test_a_site_id_selects_its_homepage_check_and_its_crawl() -> None:
    site = Site("portal", "示例县人民政府", "http://www.example.gov.cn/", "xzfb")
    column = Column("zwyw", "portal", "政务要闻", "http://www.example.gov.cn/zwyw/", "news", "xzfb")
    config = Config(base_dir=Path("."), sites=(site,), columns=(column,))
    chosen = targets_from_config(config, ["portal"])
    assert [type(t) for t in chosen] == [HomepageTarget, SiteCrawlTarget]
    assert len(targets_from_config(config)) == 3
