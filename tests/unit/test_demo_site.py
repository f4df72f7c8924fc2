"""The demo portal: dates relative to today, the designed red/yellow picture, and a site with no accidents.

Dates are read here with plain regular expressions, not with the product's readers,
so these tests pin the demo's design independently of the code that inspects it.
"""

from __future__ import annotations

import json
import re
import tomllib
import urllib.request
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest

from monitor.demo import (
    DEMO_COLUMNS,
    DEMO_UNITS,
    HOMEPAGE_NEWEST_AGE,
    NEWEST_AGE,
    build_site,
    demo_config_text,
    expected_findings,
    publish,
)
from monitor.demo.feeds import DEMO_ACCOUNTS
from monitor.siteserver import SiteServer

TODAYS = [date(2026, 11, 26), date(2027, 1, 5)]     # the second crosses a year boundary for [MM-DD]

# the design, written out again on purpose: (newest age in days, list style regex)
DESIGN = {
    "zwyw": 1, "bmdt": 11, "xzdt": 20, "tzgg": 5, "zfwj": 160, "zcjd": 3, "rsxx": 400, "czyjs": 8,
}
# DESIGN §3 default lines (yellow ≥, red ≥)
LINES = {"news": (10, 14), "notice": (150, 180), "policy": (150, 180), "interpretation": (150, 180),
         "personnel": (330, 365), "planning": (330, 365)}
CATEGORIES = ("news", "notice", "policy", "interpretation", "personnel", "planning", "static")

LIST_RE = re.compile(r"<!--列表开始-->(.*?)<!--列表结束-->", re.S)
ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
SLASH = re.compile(r"(?<!\d)(\d{4})/(\d{2})/(\d{2})(?!\d)")
DOT = re.compile(r"(?<!\d)(\d{4})\.(\d{2})\.(\d{2})(?!\d)")
CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
SHORT = re.compile(r"\[(\d{2})-(\d{2})\]")
ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
DATE_CELL = re.compile(r'<(span|td)\b[^>]*class="(?:date|rq|time|bt-data-time)"[^>]*>([^<]*)</\1>')
HREF = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)


@pytest.fixture(scope="module", params=TODAYS, ids=str)
def site(request: pytest.FixtureRequest) -> tuple[date, dict[str, tuple[bytes, str]]]:
    return request.param, build_site(request.param)


def text_of(body: bytes, content_type: str) -> str:
    return body.decode("utf-8" if "utf-8" in content_type else "gb18030")


def html_pages(pages: dict[str, tuple[bytes, str]]):
    for path, (body, ctype) in pages.items():
        if ctype.startswith("text/html"):
            yield path, text_of(body, ctype)


def column_list_pages(pages: dict[str, tuple[bytes, str]], path: str) -> list[str]:
    folder = path.rsplit("/", 1)[0] + "/"
    names = [p for p in pages if p.startswith(folder) and re.fullmatch(r"index(_\d+)?\.html", p[len(folder):])]
    return sorted(names) or [path]


def dates_in(fragment: str, today: date) -> list[date]:
    found = [date(int(y), int(m), int(d)) for rx in (ISO, SLASH, DOT, CN) for y, m, d in rx.findall(fragment)]
    for m, d in SHORT.findall(fragment):           # no year: the latest such day not after today
        guess = date(today.year, int(m), int(d))
        found.append(guess if guess <= today else guess.replace(year=today.year - 1))
    return found


def list_dates(pages: dict[str, tuple[bytes, str]], path: str, today: date) -> list[date]:
    out: list[date] = []
    for page in column_list_pages(pages, path):
        found = LIST_RE.search(text_of(*pages[page]))
        if found:                                   # a static page has no list at all
            cells = " ".join(cell for _, cell in DATE_CELL.findall(found.group(1)))
            out += dates_in(cells, today)
    return out


def test_design_table_matches_module() -> None:
    assert {k: v for k, v in NEWEST_AGE.items() if v is not None} == DESIGN
    assert {c.id for c in DEMO_COLUMNS} == set(NEWEST_AGE)
    assert HOMEPAGE_NEWEST_AGE == 2


def test_columns_are_well_formed() -> None:
    ids = [c.id for c in DEMO_COLUMNS]
    assert len(ids) == len(set(ids)) == 10
    units = {u.id for u in DEMO_UNITS}
    assert 3 <= len(units) <= 4
    for c in DEMO_COLUMNS:
        assert c.category in CATEGORIES and c.unit in units and c.path.startswith("/")


def test_newest_item_of_each_column_is_the_designed_age(site) -> None:
    today, pages = site
    for col in DEMO_COLUMNS:
        dates = list_dates(pages, col.path, today)
        if col.id in DESIGN:
            assert 12 <= len(dates) <= 25, col.id
            assert max(dates) == today - timedelta(days=DESIGN[col.id]), col.id
            assert max(dates) <= today
        else:
            assert dates == [], col.id


def test_designed_states_give_exactly_the_expected_findings(site) -> None:
    today, pages = site
    produced = []
    for col in DEMO_COLUMNS:
        dates = list_dates(pages, col.path, today)
        main = LIST_RE.search(text_of(*pages[col.path]))
        if col.category != "static" and "href=" not in main.group(1):
            produced.append((col.id, "column.blank", "red"))
            continue
        if col.category == "static" or not dates:
            continue
        yellow, red = LINES[col.category]
        age = (today - max(dates)).days
        if age >= red:
            produced.append((col.id, "column.stale", "red"))
        elif age >= yellow:
            produced.append((col.id, "column.stale", "yellow"))
    for account in DEMO_ACCOUNTS:
        age = (today - newest_post(*pages[account.path])).days
        if age >= 14:
            produced.append((account.id, "account.stale", "red"))
        elif age >= 10:
            produced.append((account.id, "account.stale", "yellow"))
    assert sorted(produced) == sorted(expected_findings())
    assert sorted(expected_findings()) == sorted([
        ("bmdt", "column.stale", "yellow"), ("xzdt", "column.stale", "red"), ("zfwj", "column.stale", "yellow"),
        ("rsxx", "column.stale", "red"), ("ghjh", "column.blank", "red"),
        ("wb-fabu", "account.stale", "yellow"), ("dy-rlzy", "account.stale", "red")])


def newest_post(body: bytes, content_type: str) -> date:
    """The newest post's Beijing date, read with the standard library (not the product's reader)."""
    if "json" in content_type:
        stamps = [datetime.fromisoformat(i["date_published"]) for i in json.loads(body)["items"]]
    else:
        stamps = [parsedate_to_datetime(m) for m in re.findall(r"<pubDate>(.*?)</pubDate>", body.decode())]
    return max(stamps).astimezone(ZoneInfo("Asia/Shanghai")).date()


def test_blank_and_static_columns(site) -> None:
    _, pages = site
    blank = LIST_RE.search(text_of(*pages["/zwgk/ghjh/"])).group(1)
    assert "暂无信息" in blank and "<a " not in blank
    static = text_of(*pages["/zwgk/jggk/"])
    assert "<!--列表开始-->" not in static and "机构职能" in static
    content = static[static.index('<div class="content">'):static.index('<div class="footer">')]
    assert dates_in(content, date(2099, 1, 1)) == []


def test_homepage_newest_item_and_traps(site) -> None:
    today, pages = site
    home = text_of(*pages["/"])
    blocks = home[home.index('<div class="home-left">'):home.index('<div class="home-right">')]
    newest = max(dates_in(blocks, today) + [
        date(today.year, int(m), int(d)) if date(today.year, int(m), int(d)) <= today
        else date(today.year - 1, int(m), int(d))
        for m, d in re.findall(r'<span class="date">(\d{2})-(\d{2})</span>', blocks)])
    assert newest == today - timedelta(days=2)
    for col in DEMO_COLUMNS:
        assert f'href="{col.path}"' in home, col.id
    assert "政务要闻" in blocks and "通知公告" in blocks


def test_every_page_has_the_clock_and_the_copyright(site) -> None:
    today, pages = site
    weekday = "星期" + "一二三四五六日"[today.weekday()]
    clock = f"今天是{today.year}年{today.month}月{today.day}日 {weekday}"
    for path, text in html_pages(pages):
        assert clock in text, path
        assert re.search(rf"版权所有 (©|&#169;) 2003-{today.year} 示例县人民政府办公室", text), path


def test_pinned_items_sit_on_top(site) -> None:
    today, pages = site
    items = re.findall(r"<li[^>]*>(.*?)</li>", LIST_RE.search(text_of(*pages["/zwgk/tzgg/"])).group(1))
    assert ["置顶" in it for it in items[:3]] == [True, True, False]
    assert [(today - dates_in(it, today)[0]).days for it in items[:2]] == [400, 402]
    cz = LIST_RE.search(text_of(*pages["/zwgk/czyjs/"])).group(1)
    assert cz.count("[置顶]") == 2
    assert re.search(r"关于\d{4}年度", cz)           # a title carrying a year


def test_gbk_page_declares_its_charset_only_in_meta(site) -> None:
    _, pages = site
    for path in [*column_list_pages(pages, "/zwgk/zfwj/"), "/zwgk/zfwj/"]:
        body, ctype = pages[path]
        assert ctype == "text/html" and "charset" not in ctype.lower()
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        text = body.decode("gb18030")
        assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' in text
        assert "<meta charset" not in text
        assert "县政府文件" in text
        assert CN.search(LIST_RE.search(text).group(1))
        with pytest.raises(UnicodeDecodeError):      # declared gb2312, really GBK (堃)
            body.decode("gb2312")
    articles = [p for p in pages if p.startswith("/zwgk/zfwj/") and "/t" in p]
    assert len(articles) == 15
    assert all(pages[p][1] == "text/html" for p in articles)


def test_datastore_page_holds_the_records_and_an_empty_container(site) -> None:
    _, pages = site
    text = text_of(*pages["/col/col1234/index.html"])
    script = re.search(r'<script type="text/xml">(.*?)</script>', text, re.S).group(1)
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", script, re.S)
    assert 12 <= len(records) <= 25
    assert all("<li>" in r and "/art/" in r for r in records)
    assert '<ul class="default_pgContainer"></ul>' in text
    outside = text.replace(script, "")
    assert "/art/" not in LIST_RE.search(outside).group(1)


def test_articles_carry_the_list_date(site) -> None:
    today, pages = site
    articles = 0
    for path, text in html_pages(pages):
        if not re.search(r"/t\d{8}_\d+\.html$|/art_\d+_\d+\.html$", path):
            continue
        articles += 1
        pub = re.search(r'<meta name="PubDate" content="(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}">', text).group(1)
        shown = re.search(r"发布时间：(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}", text).group(1)
        assert pub == shown, path
        in_url = re.search(r"/t(\d{4})(\d{2})(\d{2})_|/art/(\d{4})/(\d{1,2})/(\d{1,2})/", path).groups()
        y, m, d = [int(g) for g in in_url if g is not None]
        assert date(y, m, d).isoformat() == pub, path
        assert date.fromisoformat(pub) <= today
    assert articles > 120


def test_policy_documents_and_interpretations_are_paired(site) -> None:
    _, pages = site
    docs = [p for p in pages if p.startswith("/zwgk/zfwj/") and "/t" in p]
    for doc in docs:
        text = text_of(*pages[doc])
        interp = re.search(r'相关解读：<a href="([^"]+)"', text).group(1)
        back = text_of(*pages[interp])
        assert f'href="{doc}"' in back
        d1 = re.search(r'name="PubDate" content="(\d{4}-\d{2}-\d{2})', text).group(1)
        d2 = re.search(r'name="PubDate" content="(\d{4}-\d{2}-\d{2})', back).group(1)
        assert 0 <= (date.fromisoformat(d2) - date.fromisoformat(d1)).days <= 3


def test_every_link_resolves(site) -> None:
    _, pages = site
    for path, text in html_pages(pages):
        for href in HREF.findall(text):
            if href.startswith(("javascript:", "mailto:", "#")):
                continue
            target = urlsplit(urljoin("http://demo" + path, href))
            assert target.netloc == "demo", (path, href)
            assert target.path in pages, (path, href)


def test_no_unmasked_resident_id(site) -> None:
    _, pages = site
    masked = 0
    for path, text in html_pages(pages):
        assert not ID18.search(text), path
        masked += len(re.findall(r"\d{6}\*{8}\d{3}[\dX]", text))
    assert masked >= 5


def test_deterministic() -> None:
    assert build_site(TODAYS[0]) == build_site(TODAYS[0])
    assert build_site(TODAYS[0]) != build_site(TODAYS[1])


def test_config_text_parses_and_matches_the_columns() -> None:
    base = "http://127.0.0.1:18080"
    text = demo_config_text(base + "/", "sqlite:////tmp/demo \"x\"/monitor.db")
    cfg = tomllib.loads(text)
    assert set(cfg) <= {"monitor", "schedule", "crawl", "units", "sites", "columns", "accounts"}
    assert [(a["id"], a["feed"]) for a in cfg["accounts"]] == [(a.id, base + a.path) for a in DEMO_ACCOUNTS]
    assert cfg["monitor"]["timezone"] == "Asia/Shanghai"
    assert cfg["monitor"]["database"] == "sqlite:////tmp/demo \"x\"/monitor.db"
    assert re.fullmatch(r"\d{2}:\d{2}", cfg["monitor"]["recheck_time"])
    assert 0 < cfg["crawl"]["timeout_s"] <= 10
    units = {u["id"]: u for u in cfg["units"]}
    assert 3 <= len(units) <= 4 and {"xzfb", "fgj", "rsj", "xxzx"} >= set(units)
    for u in units.values():
        assert u["name"] and u["emails"] and u["dingtalk_mobiles"]
    (portal,) = cfg["sites"]
    assert portal == {"id": "portal", "name": "示例县人民政府", "url": base + "/", "unit": portal["unit"]}
    assert portal["unit"] in units
    got = [(c["id"], c["name"], c["url"], c["category"], c["unit"], c["site"]) for c in cfg["columns"]]
    want = [(c.id, c.name, base + c.path, c.category, c.unit, "portal") for c in DEMO_COLUMNS]
    assert got == want
    assert all(c["unit"] in units for c in cfg["columns"])


def test_served_over_loopback() -> None:
    today = TODAYS[0]
    with publish(SiteServer(), today) as server:
        with urllib.request.urlopen(server.url("/"), timeout=5) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
            home = resp.read().decode("utf-8")
        assert "示例县人民政府" in home and f"今天是{today.year}年{today.month}月{today.day}日" in home
        with urllib.request.urlopen(server.url("/zwgk/zfwj/"), timeout=5) as resp:
            assert resp.headers["Content-Type"] == "text/html"
            assert "县政府文件" in resp.read().decode("gb18030")
        with urllib.request.urlopen(server.url("/xwzx/zwyw/index_1.html"), timeout=5) as resp:
            assert resp.status == 200
        assert server.paths_requested("GET") == ["/", "/zwgk/zfwj/", "/xwzx/zwyw/index_1.html"]
