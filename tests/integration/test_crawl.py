"""Issue 6 on a fixture site with named failure routes: ``monitor check`` / ``round`` / ``recheck`` crawl it.

One module-scoped site serves every case; each test gets its own database, so the
first round of each test starts from nothing (the incremental test runs two rounds).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.cli import main
from monitor.crawl import spill
from monitor.siteserver import SiteServer

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ).isoformat()
LATER = datetime(2026, 12, 3, 9, 0, tzinfo=TZ).isoformat()
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


ID = id_number("51072219850612341")
MASKED = ID[:6] + "********" + ID[14:]


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><h1>{title}</h1>{body}</body></html>')


def reply(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


def drip(h: BaseHTTPRequestHandler) -> None:
    """A server that sends one byte every 0.1 s: each read is quick, the whole never ends in time."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "200")
    h.end_headers()
    try:
        for _ in range(200):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass                                  # the client gave up: what we want


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def external() -> Iterator[SiteServer]:
    with SiteServer() as srv:
        srv.set("/ok.html", page("外站", "<p>外站页面</p>"))
        srv.route("/busy", lambda h: reply(h, 429, b"slow down", {"Retry-After": "1"}))
        srv.route("/robots-wall", lambda h: reply(h, 403, b"forbidden"))
        yield srv


@pytest.fixture(scope="module")
def site(external: SiteServer) -> Iterator[SiteServer]:
    with SiteServer() as srv:
        ext = external.base_url
        refused = f"http://127.0.0.1:{free_port()}/gone"
        srv.set("/", page("测试县人民政府", f"""
            <ul class="nav"><li><a href="/xxgk/index.html">信息公开</a></li>
            <li><a href="/gone404.html">领导之窗</a></li>
            <li><a href="javascript:void(0)">打印</a></li><li><a href="mailto:gkb@example.gov.cn">写信</a></li>
            <li><a href="tel:08161234567">电话</a></li><li><a href="#top">顶部</a></li></ul>
            <a href="/col/col1/index.html">政策解读</a> <a href="{ext}/ok.html">省政府</a>
            <a href="{ext}/busy">市政府</a> <a href="{ext}/robots-wall">国务院</a> <img src="/logo.png" alt="标志">"""))
        srv.set("/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
        srv.set("/xxgk/index.html", page("信息公开", f"""
            <a href="a.html">通知一</a> <a href="/gone410.html">旧栏目</a> <a href="/err500">统计数据</a>
            <a href="/old">老地址</a> <a href="/loop1">循环</a> <a href="http://nosuch.invalid/x.html">域名失效</a>
            <a href="{refused}">拒绝连接</a> <a href="/slow.html">慢页面</a> <a href="/drip.html">滴答</a>
            <a href="/big.html">大页面</a> <a href="/fake.html">假网页</a> <a href="/bad.html">坏网页</a>
            <a href="/many.html">链接很多</a> <a href="/gone404.html">领导之窗</a> <a href="/gone404.html">重复</a>
            <a href="/files/missing.pdf">附件</a> <a href="/files/ok.doc">附件二</a>
            <div class="page"><a href="index_1.html">下一页</a></div>"""))
        srv.set("/xxgk/index_1.html", page("信息公开 第2页", '<a href="/xxgk/b.html">通知二</a>'))
        srv.set("/xxgk/a.html", page("通知一", f"<p>申请人 张三 身份证号 {ID}，已公示。</p>"
                                                 f'<p data-id="{ID}">坚持中国特色社会主意。</p>'))
        srv.set("/xxgk/b.html", page("通知二", "<p>已遮挡：510722********1234。</p>"))
        srv.set("/files/ok.doc", b"\xd0\xcf\x11\xe0" + bytes(100), "application/msword")
        srv.route("/gone410.html", lambda h: reply(h, 410, b"gone"))
        srv.route("/err500", lambda h: reply(h, 500, b"oops"))
        srv.route("/old", lambda h: reply(h, 301, headers={"Location": "/mid"}))
        srv.route("/mid", lambda h: reply(h, 302, headers={"Location": "/xxgk/b.html"}))
        srv.route("/loop1", lambda h: reply(h, 302, headers={"Location": "/loop2"}))
        srv.route("/loop2", lambda h: reply(h, 302, headers={"Location": "/loop1"}))
        srv.set("/slow.html", page("慢", ""), delay_s=1.5)
        srv.route("/drip.html", drip)
        srv.set("/big.html", page("大", "<p>" + "x" * 5_000_000 + "</p>"))
        srv.set("/fake.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500), "text/html")
        srv.set("/bad.html", f'<html><body><div><p>未闭合<a href="/xxgk/a.html">通知一<table><tr><td>{ID[:9]}')
        srv.set("/many.html", page("很多", "".join(f'<a href="xxgk/b.html?n={n}">x</a>' for n in range(100_000))))
        srv.set("/col/col1/index.html", page("政策解读", """<div id="list"></div>
            <script type="text/xml"><datastore><recordset>
            <record><![CDATA[<li><a href="/art/2026/11/5/art_1_1.html">关于印发方案的解读</a></li>]]></record>
            <record><![CDATA[<li><a href="/art/2026/11/4/art_1_2.html">已删除的解读</a></li>]]></record>
            </recordset></datastore></script>"""))
        srv.set("/art/2026/11/5/art_1_1.html", page("关于印发方案的解读", "<p>解读正文。</p>"))
        yield srv


CONFIG = """
[monitor]
database = "sqlite:///{db}"

[crawl]
timeout_s = 0.5
retries = 0
max_bytes = 4500000
max_links_per_page = 50
max_external = 10

[[units]]
id = "xzfb"
name = "县政府办"

[[sites]]
id = "portal"
name = "测试县人民政府"
url = "{base}/"
unit = "xzfb"
"""


@pytest.fixture
def config(tmp_path: Path, site: SiteServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(db=tmp_path / "m.db", base=site.base_url), encoding="utf-8")
    site.clear_log()
    return path


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str, now: str = NOW) -> tuple[int, Any]:
    code = main(["--config", str(config), "--now", now, *args])
    out, _ = capsys.readouterr()
    return code, json.loads(out) if "--json" in args else out


def by_id(findings: list[dict[str, Any]], rule: str) -> dict[str, dict[str, Any]]:
    return {f["target"]["id"]: f for f in findings if f["rule"] == rule}


@pytest.mark.parametrize("spill_chunk", [spill.CHUNK, 2], ids=["in-memory-queue", "queue-on-disk"])
def test_check_reports_dead_links_content_and_what_it_could_not_judge(
        config: Path, site: SiteServer, external: SiteServer, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, spill_chunk: int) -> None:
    monkeypatch.setattr(spill, "CHUNK", spill_chunk)       # 2: the crawl's queue goes through the disk
    code, doc = run(config, capsys, "check", "--json")
    assert code == 0
    base = site.base_url
    dead = by_id(doc["findings"], "link.broken")
    expected = {f"{base}/gone404.html", f"{base}/gone410.html", f"{base}/err500", f"{base}/loop1",
                "http://nosuch.invalid/x.html", f"{base}/slow.html", f"{base}/drip.html",
                f"{base}/files/missing.pdf", f"{base}/art/2026/11/4/art_1_2.html"}
    refused = next(u for u in dead if u.endswith("/gone") and u.startswith("http://127.0.0.1"))
    assert set(dead) == expected | {refused}

    # Red on the homepage, yellow elsewhere; one finding per URL, with the linking pages and their text.
    home = dead[f"{base}/gone404.html"]
    assert home["severity"] == "red" and home["target"]["kind"] == "link"
    ev = home["evidence"]
    assert ev["on_homepage"] is True and ev["status"] == 404 and ev["pages_total"] == 2
    assert {(p["url"], p["text"]) for p in ev["pages"]} == {(f"{base}/", "领导之窗"),
                                                            (f"{base}/xxgk/index.html", "领导之窗")}
    assert "HTTP 404" in home["message"] and "首页" in home["message"]
    assert all(f["severity"] == "yellow" for u, f in dead.items() if u != f"{base}/gone404.html")
    assert "域名解析失败" in dead["http://nosuch.invalid/x.html"]["evidence"]["error"]
    assert "连接被拒绝" in dead[refused]["evidence"]["error"]
    assert "重定向次数过多" in dead[f"{base}/loop1"]["evidence"]["error"]
    assert "超时" in dead[f"{base}/drip.html"]["evidence"]["error"]
    assert dead[f"{base}/art/2026/11/4/art_1_2.html"]["evidence"]["pages"] == [
        {"url": f"{base}/col/col1/index.html", "text": "已删除的解读"}]

    # Retried once before it counts; the redirect chain that ends well is no finding.
    assert site.paths_requested().count("/gone404.html") == 2
    assert site.paths_requested().count("/old") == 1
    assert not any(p.startswith(("javascript", "mailto", "tel")) for p in site.paths_requested())

    # Content: the visible ID number (masked in the evidence), not the one in an attribute; the word list.
    privacy = by_id(doc["findings"], "content.privacy")
    assert set(privacy) == {f"{base}/xxgk/a.html"}
    finding = privacy[f"{base}/xxgk/a.html"]
    assert finding["severity"] == "red" and finding["target"]["kind"] == "page"
    assert finding["evidence"]["numbers"] == [MASKED] and finding["evidence"]["count"] == 1
    assert ID not in json.dumps(doc, ensure_ascii=False)
    wording = by_id(doc["findings"], "content.serious_error")[f"{base}/xxgk/a.html"]
    assert wording["evidence"]["matches"][0]["right"] == "中国特色社会主义"
    assert "（应为“中国特色社会主义”）" in wording["message"]

    # What could not be judged is an error, never a finding and never a pass.
    errors = {e["target"]["id"]: e["error"] for e in doc["errors"]}
    assert "字节上限" in errors[f"{base}/big.html"] and "二进制" in errors[f"{base}/fake.html"]
    assert "429" in errors[f"{external.base_url}/busy"] and "403" in errors[f"{external.base_url}/robots-wall"]
    assert f"{external.base_url}/ok.html" not in dead
    assert f"{base}/bad.html" not in errors and f"{base}/bad.html" not in dead      # malformed HTML is read

    # The page with 100,000 links was read up to the cap and the round completed.
    assert 0 < sum(p.startswith("/xxgk/b.html?n=") for p in site.paths_requested()) <= 50
    assert doc["stats"]["pages"] > 20 and doc["stats"]["links_checked"] > 20


def test_incremental_round_sends_conditional_requests_and_keeps_unchanged_pages_hits(
        config: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]) -> None:
    _, first = run(config, capsys, "check", "--json")
    assert by_id(first["findings"], "content.privacy")
    site.clear_log()
    code, out = run(config, capsys, "check", now=LATER)
    assert code == 0
    conditional = [r.path for r in site.requests if r.method == "GET" and "If-None-Match" in r.headers]
    assert {"/", "/xxgk/index.html", "/xxgk/a.html", "/col/col1/index.html"} <= set(conditional)
    # Unchanged pages are not parsed again, yet their links are still checked and their hits still reported.
    assert "/art/2026/11/4/art_1_2.html" in site.paths_requested()
    assert f"失效链接（首页）“领导之窗”（HTTP 404）：{site.base_url}/gone404.html" in out
    assert f"引用页面 {site.base_url}/（领导之窗）" in out
    assert "公开了 1 个未遮挡的身份证号" in out and MASKED in out and ID not in out
    assert "严重表述错误“中国特色社会主意”（应为“中国特色社会主义”）" in out


def test_fixed_link_resolves_and_recheck_fetches_only_that_url(
        config: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]) -> None:
    run(config, capsys, "round")
    _, alerts = run(config, capsys, "alerts", "--open", "--json")
    gone = next(a for a in alerts if a["target"]["id"] == f"{site.base_url}/gone410.html")
    assert gone["severity"] == "yellow" and gone["rule"] == "link.broken"

    site.clear_log()
    run(config, capsys, "recheck", str(gone["id"]), now=LATER)
    assert site.paths_requested() == ["/gone410.html", "/gone410.html"]
    _, shown = run(config, capsys, "alerts", "show", str(gone["id"]), "--json", now=LATER)
    assert shown["severity"] == "red"                       # yellow not fixed within the week: 升级为红色通报

    leak = next(a for a in alerts if a["rule"] == "content.privacy")
    site.clear_log()
    run(config, capsys, "recheck", str(leak["id"]), now=LATER)
    assert site.paths_requested() == ["/xxgk/a.html"]      # the page alone, its content checked again
    _, shown = run(config, capsys, "alerts", "show", str(leak["id"]), "--json", now=LATER)
    assert (shown["status"], shown["overdue"]) == ("open", True)

    handler = site.handlers.pop("/gone410.html")
    site.set("/gone410.html", page("旧栏目", "<p>恢复了</p>"))
    try:
        run(config, capsys, "round", now=LATER)
        _, after = run(config, capsys, "alerts", "show", str(gone["id"]), "--json", now=LATER)
        assert after["status"] == "resolved"
    finally:
        site.remove("/gone410.html")
        site.route("/gone410.html", handler)
