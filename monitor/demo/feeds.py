"""The demo county's new-media accounts, served as RSS-bridge feeds next to the demo portal.

One fresh WeChat account, one 睡眠 Weibo account (11 days) whose pinned 2024 post comes
first, and one 僵尸 Douyin account (20 days) in JSON Feed: the three states a county sees.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from typing import NamedTuple
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class DemoAccount(NamedTuple):
    id: str
    platform: str
    name: str
    unit: str
    path: str
    ages: tuple[int, ...]              # days before today of each post, pinned first as listed


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("wx-fabu", "wechat", "示例发布", "xzfb", "/rss/wechat/shili-fabu.xml", (2, 3, 5, 8, 12)),
    DemoAccount("wb-fabu", "weibo", "示例县发布", "xzfb", "/rss/weibo/shili-fabu.xml", (700, 11, 15, 19, 26)),
    DemoAccount("dy-rlzy", "douyin", "示例县就业服务", "rsj", "/rss/douyin/shili-jiuye.json", (20, 27, 41)),
]

TITLES = ("县政府常务会议研究部署今冬明春重点工作", "一图读懂：2026年城乡居民医保参保缴费指南",
          "示例县举办2026年秋季招聘会 提供岗位1200余个", "这个周末，来示例县看红叶", "关于防范电信网络诈骗的提醒")


def _posted(today: date, age: int) -> datetime:
    """06:27 Beijing time: the previous day in UTC, a trap a reader must not fall into."""
    return datetime.combine(today - timedelta(days=age), time(6, 27), TZ)


def _rss(account: DemoAccount, today: date) -> bytes:
    items = "".join(
        f"<item><title><![CDATA[{TITLES[n % len(TITLES)]}]]></title>"
        f"<description><![CDATA[<p>{escape(TITLES[n % len(TITLES)])}</p>]]></description>"
        f"<link>https://example.gov.cn/{account.platform}/{account.id}/{n}</link>"
        f"<pubDate>{format_datetime(_posted(today, age).astimezone(UTC), usegmt=True)}</pubDate></item>"
        for n, age in enumerate(account.ages))
    build = format_datetime(datetime.combine(today, time(1, 0), TZ).astimezone(UTC), usegmt=True)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title><![CDATA[{account.name}]]></title><link>https://example.gov.cn/</link>"
            f"<generator>RSSHub</generator><lastBuildDate>{build}</lastBuildDate>{items}</channel></rss>").encode()


def _json_feed(account: DemoAccount, today: date) -> bytes:
    items = [{"id": f"{account.id}-{n}", "url": f"https://example.gov.cn/{account.platform}/{account.id}/{n}",
              "title": TITLES[n % len(TITLES)], "date_published": _posted(today, age).isoformat()}
             for n, age in enumerate(account.ages)]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": account.name, "items": items}
    return json.dumps(feed, ensure_ascii=False).encode()


def build_feeds(today: date) -> dict[str, tuple[bytes, str]]:
    """path → (body, content type) of every demo account's feed for ``today``."""
    out = {}
    for account in DEMO_ACCOUNTS:
        if account.path.endswith(".json"):
            out[account.path] = (_json_feed(account, today), "application/feed+json; charset=utf-8")
        else:
            out[account.path] = (_rss(account, today), "application/rss+xml; charset=utf-8")
    return out
