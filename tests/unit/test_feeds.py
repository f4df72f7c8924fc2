"""The feed reader on saved bridge feeds (cases.toml) and on focused snippets of their traps."""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.charset import decode_text
from monitor.errors import ExtractError
from monitor.extract.dates import SHANGHAI
from monitor.extract.feeds import Feed, feed_links, is_feed, read_feed
from monitor.extract.timestamps import parse_instant

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
CASES = tomllib.loads((FEEDS / "cases.toml").read_text(encoding="utf-8"))["case"]
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
FEED_URL = "http://rsshub.example.gov.cn/route"


def _read(case: dict[str, Any]) -> Feed:
    text, encoding = decode_text((FEEDS / case["file"]).read_bytes(), None)
    return read_feed(FEED_URL, 200, encoding, text, NOW)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else "none"


FEED_CASES = [c for c in CASES if c["kind"] == "feed"]
ERROR_CASES = [c for c in CASES if c["kind"] == "error"]


@pytest.mark.parametrize("case", FEED_CASES, ids=[c["name"] for c in FEED_CASES])
def test_saved_feed(case: dict[str, Any]) -> None:
    feed = _read(case)
    view = feed.view
    assert view.kind == "feed"
    assert feed.format == case["format"]
    assert feed.entries == case["entries"]
    assert len(view.items) == case["items"], [i.to_json() for i in view.items]
    assert feed.undated == case.get("undated", 0)
    assert feed.future == case.get("future", 0)
    assert len(feed.ignored) == case.get("ignored", 0), feed.ignored
    assert _iso(view.latest) == case["latest"], view.notes
    if "latest_title" in case:
        newest = max((i for i in view.items if i.date), key=lambda i: i.date)  # type: ignore[arg-type,return-value]
        assert newest.title == case["latest_title"]
    if "links" in case:
        assert view.links == case["links"]
    if "blocker" in case:
        assert feed.blocker is not None and case["blocker"] in feed.blocker
    else:
        assert feed.blocker is None
    for fragment in case.get("notes_contain", []):
        assert any(fragment in n for n in view.notes), view.notes
    got = {i.url: i for i in view.items}
    for expected in case.get("item", []):
        item = got[expected["url"]]
        assert (item.title, _iso(item.date)) == (expected["title"], expected["date"])


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_not_a_feed_is_an_extract_error(case: dict[str, Any]) -> None:
    text, _ = decode_text((FEEDS / case["file"]).read_bytes(), None)
    assert not is_feed(text)
    with pytest.raises(ExtractError) as caught:
        _read(case)
    assert case["error"] in str(caught.value)


def test_every_fixture_file_has_a_case() -> None:
    used = {c["file"] for c in CASES}
    assert {p.name for p in FEEDS.iterdir() if p.suffix != ".toml"} == used


# ---- timestamps -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "beijing"), [
    ("Wed, 05 Nov 2026 06:27:00 +0800", "2026-11-05 06:27"),
    ("Tue, 04 Nov 2026 22:27:00 GMT", "2026-11-05 06:27"),          # RSSHub's toUTCString()
    ("Wed, 05 Nov 2026 06:27:00 CST", "2026-11-05 06:27"),          # China Standard Time, not UTC-6
    ("Wed Nov 05 23:27:00 CST 2026", "2026-11-05 23:27"),           # Java Date.toString()
    ("Wed, 05 Nov 2026 06:27:00 GMT+8", "2026-11-05 06:27"),
    ("Wed, 5 Nov 2026 06:27:00", "2026-11-05 06:27"),               # no zone: Beijing time
    ("Wed, 05 Nov 2026 06:27:00 -0500", "2026-11-05 19:27"),
    ("2026-11-05T06:27:00+08:00", "2026-11-05 06:27"),
    ("2026-11-04T22:27:00.000Z", "2026-11-05 06:27"),
    ("2026-11-05T06:27:00+0800", "2026-11-05 06:27"),
    ("2026-11-05 06:27:00", "2026-11-05 06:27"),                    # zone-less ISO: Beijing, not UTC
    ("2026/11/5 6:27", "2026-11-05 06:27"),
    ("2026-11-05", "2026-11-05 00:00"),
    ("2026年11月05日 06:27", "2026-11-05 06:27"),
])
def test_parse_instant(text: str, beijing: str) -> None:
    instant = parse_instant(text)
    assert instant is not None and instant.tzinfo is not None
    assert instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == beijing


@pytest.mark.parametrize("text", ["", "garbage", "Thu, 01 Jan 1970 00:00:00 GMT", "0001-01-01T00:00:00Z",
                                  "2026-02-30", "1989-12-31"])
def test_parse_instant_rejects_placeholders_and_nonsense(text: str) -> None:
    assert parse_instant(text) is None


# ---- focused snippets -----------------------------------------------------------------------


def rss(*items: str, build: str = "Thu, 26 Nov 2026 00:58:12 GMT", link: str = "https://weibo.com/1/") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            f"<link>{link}</link><lastBuildDate>{build}</lastBuildDate>{''.join(items)}</channel></rss>")


def item(title: str, link: str, when: str | None) -> str:
    date_tag = f"<pubDate>{when}</pubDate>" if when else ""
    return f"<item><title><![CDATA[{title}]]></title><link>{link}</link>{date_tag}</item>"


def test_build_time_is_never_a_post_date() -> None:
    feed = read_feed(FEED_URL, 200, "utf-8", rss(item("旧文", "https://weibo.com/1/a", "2026-10-01 10:00")), NOW)
    assert feed.view.latest == date(2026, 10, 1)


def test_notice_with_its_own_post_link_and_old_date_is_a_post() -> None:
    body = rss(item("谨防“请重新登录”诈骗短信", "https://weibo.com/1/a", "Mon, 02 Nov 2026 02:00:00 GMT"))
    feed = read_feed(FEED_URL, 200, "utf-8", body, NOW)
    assert feed.ignored == [] and feed.view.latest == date(2026, 11, 2)


def test_notice_stamped_now_without_build_time_is_injected() -> None:
    body = rss(item("Cookie 已过期，请更新配置", "https://weibo.com/1/x", "2026-11-26 08:59:30"),
               item("正常发布", "https://weibo.com/1/a", "2026-11-20 10:00"), build="")
    feed = read_feed(FEED_URL, 200, "utf-8", body, NOW)
    assert feed.ignored == ["Cookie 已过期，请更新配置"]
    assert feed.view.latest == date(2026, 11, 20)


def test_link_to_the_account_home_at_build_time_is_navigation() -> None:
    body = rss(item("示例发布", "https://weibo.com/1", "Thu, 26 Nov 2026 00:58:12 GMT"),
               item("正常发布", "https://weibo.com/1/a", "2026-11-20 10:00"))
    assert read_feed(FEED_URL, 200, "utf-8", body, NOW).ignored == ["示例发布"]


def test_real_post_published_just_before_the_round_counts() -> None:
    body = rss(item("凌晨发布的通告", "https://weibo.com/1/a", "Thu, 26 Nov 2026 00:50:00 GMT"))
    feed = read_feed(FEED_URL, 200, "utf-8", body, NOW)
    assert feed.ignored == [] and feed.view.latest == date(2026, 11, 26)


def test_future_entry_counts_as_now_and_is_noted() -> None:
    tomorrow = (NOW + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    feed = read_feed(FEED_URL, 200, "utf-8", rss(item("预告", "https://weibo.com/1/a", tomorrow)), NOW)
    assert feed.future == 1 and feed.view.latest == date(2026, 11, 26)
    assert any("晚于当前时间" in n for n in feed.view.notes)


def test_json_feed_epoch_and_untitled_items() -> None:
    data = {"version": "https://jsonfeed.org/version/1.1", "title": "微博",
            "items": [{"id": "1", "url": "https://weibo.com/1/a", "content_text": "没有标题的一条微博，正文较长" * 5,
                       "date_published": 1_795_000_000_000},
                      {"id": "2", "url": "https://weibo.com/1/b", "title": "无日期"}]}
    feed = read_feed(FEED_URL, 200, "utf-8", json.dumps(data, ensure_ascii=False), NOW)
    first, second = feed.view.items
    assert first.title.startswith("没有标题的一条微博") and first.title.endswith("…")
    assert first.date == datetime.fromtimestamp(1_795_000_000, SHANGHAI).date()
    assert second.date is None and feed.undated == 1


def test_json_that_is_not_a_feed_is_an_error() -> None:
    with pytest.raises(ExtractError, match="JSON，但不是 JSON Feed"):
        read_feed(FEED_URL, 200, "utf-8", '{"code": 403, "msg": "forbidden"}', NOW)


def test_empty_body_is_an_error() -> None:
    with pytest.raises(ExtractError, match="空内容"):
        read_feed(FEED_URL, 200, "utf-8", "  ", NOW)


def test_relative_links_resolve_against_the_feed() -> None:
    body = rss(item("相对链接", "/s/1.html", "2026-11-20 10:00"), link="https://x.gov.cn/")
    assert read_feed("https://x.gov.cn/feed/rss.xml", 200, "utf-8", body, NOW).view.items[0].url == \
        "https://x.gov.cn/s/1.html"


def test_broken_xml_is_read_as_far_as_possible() -> None:
    body = rss(item("完整的一条", "https://weibo.com/1/a", "2026-11-20 10:00")).replace("</channel></rss>", "<item><ti")
    feed = read_feed(FEED_URL, 200, "utf-8", body, NOW)
    assert feed.view.latest == date(2026, 11, 20)
    assert any("XML 格式有误" in n for n in feed.view.notes)


def test_feed_links_on_a_page() -> None:
    page = ('<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
            "<link rel='alternate' type='application/atom+xml' href='https://x.gov.cn/atom.xml'>"
            '<link rel="stylesheet" href="/a.css"></head><body></body></html>')
    assert feed_links(page, "https://x.gov.cn/zwyw/") == ["https://x.gov.cn/rss.xml", "https://x.gov.cn/atom.xml"]
