"""Issue 7: new-media accounts read through feeds served over loopback HTTP, driven through the CLI with --now."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.cli import main
from monitor.siteserver import SiteServer
from portal_kit import Cli

TZ = ZoneInfo("Asia/Shanghai")

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
CASES = tomllib.loads((FEEDS / "cases.toml").read_text(encoding="utf-8"))["case"]
FEED_CASES = [c for c in CASES if c["kind"] == "feed"]

HEAD = """
[monitor]
database = "{db}"
office_unit = "gkb"

[crawl]
timeout_s = 2
retries = 0

[[units]]
id = "gkb"
name = "县政务公开办"

[[units]]
id = "xcb"
name = "县委宣传部"
"""


def account_toml(ident: str, platform: str, name: str, url: str, *, kind: str = "feed", extra: str = "") -> str:
    return (f'\n[[accounts]]\nid = "{ident}"\nplatform = "{platform}"\nname = "{name}"\nunit = "xcb"\n'
            f'{kind} = "{url}"\n{extra}')


def write_accounts_config(tmp_path: Path, accounts: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(HEAD.format(db=f"sqlite:///{tmp_path / 'm.db'}") + accounts, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def saved_feeds() -> Iterator[SiteServer]:
    """Every saved feed (and dead-bridge page) at /feeds/FILE with the content type a bridge gives it."""
    with SiteServer() as server:
        for case in CASES:
            server.set(f"/feeds/{case['file']}", (FEEDS / case["file"]).read_bytes(), case["content_type"])
        yield server


def case_id(case: dict[str, Any]) -> str:
    return case["file"].split(".")[0].replace("_", "-")


# ---- probe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", FEED_CASES, ids=[c["name"] for c in FEED_CASES])
def test_probe_reads_saved_feeds_over_http(case: dict[str, Any], saved_feeds: SiteServer, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    url = saved_feeds.url(f"/feeds/{case['file']}")
    assert main(["--config", str(tmp_path / "none.toml"), "--now", NOW.isoformat(), "probe", url, "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["kind"] == "feed"
    assert len(view["items"]) == case["items"]
    assert (view["latest"] or "none") == case["latest"]
    if "blocker" in case:
        assert any(case["blocker"] in n for n in view["notes"]), view["notes"]


def test_probe_gbk_feed_text(saved_feeds: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = saved_feeds.url("/feeds/county_cms_gbk.xml")
    assert main(["--config", str(tmp_path / "none.toml"), "--now", NOW.isoformat(), "probe", url]) == 0
    out = capsys.readouterr().out
    assert "编码 gb18030" in out and "类型    订阅源" in out
    assert "条目    3 条，最新 2026-11-23" in out
    assert "★ 2026-11-23  朱镕乡召开冬季农田水利建设现场会" in out
    assert "CST 按中国标准时间" in out


def test_probe_still_reads_html_and_names_its_feeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f'<li><a href="/a/{k}.html">示例县召开第{k}次常务会议</a><span>2026-11-{k + 10}</span></li>'
                   for k in range(4))
    page = ('<html><head><meta charset="utf-8"><link rel="alternate" type="application/rss+xml" '
            f'href="/rss.xml"></head><body><ul class="list">{rows}</ul></body></html>')
    with SiteServer() as server:
        server.set("/zwyw/", page)
        code = main(["--config", str(tmp_path / "none.toml"), "--now", NOW.isoformat(), "probe",
                     server.url("/zwyw/"), "--json"])
        view = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (view["kind"], view["latest"], len(view["items"])) == ("list", "2026-11-13", 4)
    assert f"该页面提供订阅源: {server.url('/rss.xml')}" in view["notes"]


# ---- check: every saved feed as an account ----------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check_judges_each_saved_feed(case: dict[str, Any], saved_feeds: SiteServer, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    ident = case_id(case)
    cli = Cli(write_accounts_config(tmp_path, account_toml(ident, case["platform"], "示例账号",
                                                           saved_feeds.url(f"/feeds/{case['file']}"))), capsys)
    doc = cli.json(NOW, "check")
    findings = [(f["rule"], f["severity"]) for f in doc["findings"]]
    errors = [e["error"] for e in doc["errors"]]
    if case["expect"] == "error":
        assert findings == [] and len(errors) == 1
        assert (case.get("blocker") or case["error"]) in errors[0]
        assert doc["errors"][0]["target"]["kind"] == "account"
    elif case["expect"] == "ok":
        assert (findings, errors) == ([], [])
    else:
        assert (findings, errors) == ([("account.stale", case["expect"])], [])
        evidence = doc["findings"][0]["evidence"]
        assert evidence["latest"] == case["latest"]
        assert evidence["feed"] == saved_feeds.url(f"/feeds/{case['file']}")
        assert evidence["platform"] == case["platform"]


# ---- check: one account on each platform ------------------------------------------------------

TOUR = [("wx-fabu", "wechat", "示例发布", "rsshub_wechat_login_expired.xml"),
        ("wb-fabu", "weibo", "示例发布", "rsshub_weibo_pinned.xml"),
        ("dy-rmt", "douyin", "示例县融媒体中心", "rsshub_douyin.xml"),
        ("tt-fabu", "toutiao", "示例发布", "rsshub_toutiao_atom.xml"),
        ("bili-fabu", "bilibili", "示例发布", "rsshub_bilibili.json"),
        ("wb-ga", "weibo", "示例县公安", "weibo_visitor_login.html")]


def tour_config(tmp_path: Path, server: SiteServer) -> Path:
    accounts = "".join(account_toml(i, p, n, server.url(f"/feeds/{f}")) for i, p, n, f in TOUR)
    return write_accounts_config(tmp_path, accounts)


def test_check_accounts_on_every_platform(saved_feeds: SiteServer, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cli = Cli(tour_config(tmp_path, saved_feeds), capsys)
    doc = cli.json(NOW, "check")
    assert [(f["target"]["id"], f["severity"], f["message"]) for f in doc["findings"]] == [
        ("bili-fabu", "red", "哔哩哔哩“示例发布”已14天未更新（红线14天，“僵尸”账号）"),
        ("wx-fabu", "red", "微信公众号“示例发布”已15天未更新（红线14天，“僵尸”账号）"),
        ("dy-rmt", "yellow", "抖音“示例县融媒体中心”已11天未更新（预警线10天，红线14天，“睡眠”账号）"),
    ]
    wechat = doc["findings"][1]
    assert wechat["target"] == {"kind": "account", "id": "wx-fabu", "name": "示例发布",
                                "url": saved_feeds.url("/feeds/rsshub_wechat_login_expired.xml")}
    assert wechat["unit"] == "xcb"
    assert wechat["evidence"]["latest_title"] == "示例县召开2026年冬季森林防灭火工作部署会"
    assert wechat["evidence"]["latest_url"] == "https://mp.weixin.qq.com/s/Xk3Lr8QpYzA1bC2dE3fG4h"
    assert wechat["evidence"]["ignored"] == 2
    assert [(e["target"]["id"], e["target"]["kind"]) for e in doc["errors"]] == [("wb-ga", "account")]
    assert "需要登录" in doc["errors"][0]["error"]

    code, out, _ = cli.run(NOW, "check")
    assert code == 0
    assert "检查目标 6 个" in out and "无法检查 1 个" in out
    assert "[红] 微信公众号“示例发布”已15天未更新（红线14天，“僵尸”账号）" in out
    assert "微博“示例县公安”" in out                       # the blind account is named with its platform
    assert "另有 1 条无日期未计入" not in out                # toutiao's stamped entry: no finding, no evidence line


# ---- boundaries through the whole pipeline ----------------------------------------------------


def rsshub_feed(posts: list[tuple[str, datetime]], *, build: datetime = NOW) -> str:
    """An RSSHub-shaped RSS 2.0 feed; dates written as RSSHub does, in GMT."""
    items = "".join(
        f"<item><title><![CDATA[{title}]]></title><description><![CDATA[<p>{title}</p>]]></description>"
        f"<link>https://weibo.com/6543210987/{n}</link><guid isPermaLink=\"false\">https://weibo.com/6543210987/{n}"
        f"</guid><pubDate>{format_datetime(when.astimezone(UTC), usegmt=True)}</pubDate></item>"
        for n, (title, when) in enumerate(posts))
    return ('<?xml version="1.0" encoding="UTF-8"?><rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">'
            "<channel><title><![CDATA[示例发布的微博]]></title><link>https://weibo.com/6543210987/</link>"
            "<generator>RSSHub</generator><language>zh-cn</language>"
            f"<lastBuildDate>{format_datetime(build.astimezone(UTC), usegmt=True)}</lastBuildDate>"
            f"<ttl>5</ttl>{items}</channel></rss>")


def early_morning(days_ago: int, now: datetime = NOW) -> datetime:
    """06:27 Beijing time N days ago: still the previous day in UTC, which must not add a day."""
    day = (now - timedelta(days=days_ago)).date()
    return datetime(day.year, day.month, day.day, 6, 27, tzinfo=TZ)


@dataclass
class Bridge:
    server: SiteServer

    def publish(self, path: str, posts: list[tuple[str, datetime]], build: datetime = NOW) -> str:
        self.server.set(path, rsshub_feed(posts, build=build), "application/xml; charset=utf-8")
        return self.server.url(path)


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    with SiteServer() as server:
        yield Bridge(server)


@pytest.mark.parametrize(("days", "expected"), [(9, None), (10, "yellow"), (13, "yellow"), (14, "red")])
def test_boundaries_9_10_13_14_days(days: int, expected: str | None, bridge: Bridge, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    url = bridge.publish("/weibo/user/6543210987", [("置顶 账号简介", early_morning(400)),
                                                    ("最新一条", early_morning(days)),
                                                    ("更早一条", early_morning(days + 3))])
    cli = Cli(write_accounts_config(tmp_path, account_toml("wb-fabu", "weibo", "示例发布", url)), capsys)
    doc = cli.json(NOW, "check")
    assert doc["errors"] == []
    assert [f["severity"] for f in doc["findings"]] == ([expected] if expected else [])
    if expected:
        assert doc["findings"][0]["evidence"]["days"] == days
        assert doc["findings"][0]["evidence"]["latest"] == early_morning(days).date().isoformat()


# ---- source health and the alert lifecycle ----------------------------------------------------

LOGIN_WALL = (FEEDS / "weibo_visitor_login.html").read_bytes()


def by_rule(alerts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["rule"]: a for a in alerts}


def test_login_wall_twice_raises_source_failing_to_the_office_then_recovers(bridge: Bridge, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = "/weibo/user/6543210987"
    bridge.server.set(path, LOGIN_WALL, "text/html")
    cli = Cli(write_accounts_config(tmp_path, account_toml("wb-fabu", "weibo", "示例发布", bridge.server.url(path))),
              capsys)
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=TZ)

    first = cli.json(monday, "round")
    assert first["findings"] == [] and [e["target"]["id"] for e in first["errors"]] == ["wb-fabu"]
    assert cli.json(monday + timedelta(hours=1), "alerts") == []          # one blind round: nothing yet

    second = cli.json(monday + timedelta(days=7), "round")
    [failing] = second["findings"]
    assert (failing["rule"], failing["severity"], failing["unit"]) == ("source.failing", "yellow", "gkb")
    assert failing["message"].startswith("微博“示例发布”已连续2轮无法检查（订阅地址返回的是网页而不是订阅源：需要登录")
    assert failing["evidence"]["unit"] == "xcb" and failing["evidence"]["platform"] == "weibo"
    assert "account.stale" not in by_rule(cli.json(monday + timedelta(days=7, hours=1), "alerts"))

    # The bridge is fixed; the account itself has not posted for 20 days: the blind alert resolves, a real one opens.
    later = monday + timedelta(days=8)
    bridge.publish(path, [("最新一条", early_morning(20, later))], build=later)
    cli.run(later, "round")
    alerts = by_rule(cli.json(later + timedelta(minutes=5), "alerts"))
    assert alerts["source.failing"]["status"] == "resolved"
    assert (alerts["account.stale"]["severity"], alerts["account.stale"]["status"]) == ("red", "open")


def test_stale_account_alert_resolves_when_it_posts(bridge: Bridge, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=TZ)
    path = "/wechat/mp/homepage/MzA5NjQ3MjE0Mg"
    url = bridge.publish(path, [("旧文", early_morning(16, monday))], build=monday)
    cli = Cli(write_accounts_config(tmp_path, account_toml("wx-fabu", "wechat", "示例发布", url)), capsys)
    cli.run(monday, "round")
    stale = by_rule(cli.json(monday, "alerts", "--open"))["account.stale"]
    assert (stale["severity"], stale["recheck_due"]) == ("red", "2026-11-24T09:00:00+08:00")
    assert stale["target"] == {"kind": "account", "id": "wx-fabu", "name": "示例发布", "url": url}

    # Tuesday 08:00 the account posts; the 09:00 recheck fetches only its feed and resolves the alert.
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
    bridge.publish(path, [("新文", datetime(2026, 11, 24, 8, 0, tzinfo=TZ)), ("旧文", early_morning(16, monday))],
                   build=tuesday)
    bridge.server.clear_log()
    result = cli.json(tuesday, "recheck", "--due")
    assert bridge.server.paths_requested("GET") == [path]
    assert [c["events"] for c in result["changes"]] == [["resolved"]]
    shown = cli.json(tuesday, "alerts", "show", str(stale["id"]))
    assert shown["status"] == "resolved"
    assert [e["kind"] for e in shown["events"]] == ["opened", "resolved"]


def test_blind_recheck_never_resolves_a_stale_account(bridge: Bridge, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=TZ)
    path = "/douyin/user/MS4wLjABAAAA"
    url = bridge.publish(path, [("旧视频", early_morning(30, monday))], build=monday)
    cli = Cli(write_accounts_config(tmp_path, account_toml("dy-rmt", "douyin", "示例县融媒体中心", url)), capsys)
    cli.run(monday, "round")
    bridge.publish(path, [], build=monday)                                # the bridge now serves an empty feed
    result = cli.json(datetime(2026, 11, 24, 9, 0, tzinfo=TZ), "recheck", "--due")
    assert [c["events"] for c in result["changes"]] == [["uninspected"]]
    assert "没有任何条目" in result["errors"][0]["error"]
    assert by_rule(cli.json(datetime(2026, 11, 24, 9, 1, tzinfo=TZ), "alerts"))["account.stale"]["status"] == "open"
    code, out, _ = cli.run(datetime(2026, 11, 24, 10, 30, tzinfo=TZ), "recheck", "--all")
    assert code == 0 and "无法检查 抖音“示例县融媒体中心”: 订阅源中没有任何条目" in out


def test_unchanged_feed_is_reread_from_the_cache(bridge: Bridge, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url = bridge.publish("/bilibili/user/video/398765432", [("视频", early_morning(12))])
    cli = Cli(write_accounts_config(tmp_path, account_toml("bili-fabu", "bilibili", "示例发布", url)), capsys)
    first = cli.json(NOW, "check")
    bridge.server.clear_log()
    second = cli.json(NOW, "check")
    assert [r.headers.get("If-None-Match") is not None for r in bridge.server.requests] == [True]
    assert second["findings"] == first["findings"] and [f["severity"] for f in first["findings"]] == ["yellow"]


# ---- accounts read from a page ----------------------------------------------------------------


def test_page_account_with_selectors_and_undated_posts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cards = "".join(f'<div class="card"><a href="/wx/{k}.html">示例发布第{k}篇推文</a></div>' for k in range(3))
    article = ('<html><head><meta charset="utf-8"><title>{t}</title></head><body><h1>{t}</h1>'
               '<div class="info">发布时间：{d}</div><div class="content"><p>{t}正文</p></div></body></html>')
    with SiteServer() as server:
        server.set("/wx/", f'<html><head><meta charset="utf-8"></head><body><div class="nav"><a href="/">首页</a>'
                           f'</div><div class="cards">{cards}</div></body></html>')
        for k, d in enumerate([date(2026, 11, 13), date(2026, 11, 1), date(2026, 10, 20)]):
            server.set(f"/wx/{k}.html", article.format(t=f"示例发布第{k}篇推文", d=d.isoformat()))
        extra = 'item_selector = "div.card"\n'
        cli = Cli(write_accounts_config(tmp_path, account_toml("wx-page", "wechat", "示例发布", server.url("/wx/"),
                                                               kind="page", extra=extra)), capsys)
        doc = cli.json(NOW, "check")
        server.set("/wx/", '<html><head><meta charset="utf-8"></head><body><div class="cards">暂无信息</div>'
                           '<div class="page">共0条 第1页</div></body></html>')
        blank = cli.json(NOW, "check")
    [finding] = doc["findings"]
    assert (finding["rule"], finding["severity"]) == ("account.stale", "yellow")
    assert finding["message"] == "微信公众号“示例发布”已13天未更新（预警线10天，红线14天，“睡眠”账号）"
    assert finding["evidence"]["page"] == server.url("/wx/") and "feed" not in finding["evidence"]
    assert blank["findings"] == [] and len(blank["errors"]) == 1


def test_digest_new_media_section(saved_feeds: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.config import load_config
    from monitor.notify.digest import build_digest
    from monitor.store.db import Database

    config_path = tour_config(tmp_path, saved_feeds)
    cli = Cli(config_path, capsys)
    cli.run(NOW - timedelta(days=7), "round")
    cli.run(NOW, "round")
    config = load_config(config_path)
    database = Database.open(config.monitor.database, config.base_dir)
    try:
        with database.session() as session:
            media = build_digest(session, config, NOW).media
    finally:
        database.close()
    assert (media.accounts, media.zombie, media.sleeping) == (6, 2, 1)
    assert [(p.name, p.accounts, p.zombie, p.sleeping, p.blind) for p in media.platforms] == [
        ("微信公众号", 1, 1, 0, 0), ("微博", 2, 0, 0, 1), ("抖音", 1, 0, 1, 0), ("今日头条", 1, 0, 0, 0),
        ("哔哩哔哩", 1, 1, 0, 0)]
    assert [r.severity for r in media.stale] == ["red", "red", "yellow"]
    assert [r.target for r in media.blind] == ["示例县公安"]

    preview = tmp_path / "digest.html"
    assert cli.run(NOW, "digest", "--preview", str(preview))[0] == 0
    page = preview.read_text(encoding="utf-8")
    assert "政务新媒体" in page and "检查时间点前2周内无更新即单项否决" in page
    assert "微信公众号“示例发布”已15天未更新（红线14天，“僵尸”账号）" in page
