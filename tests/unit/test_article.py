"""Article publication dates and page kinds, on saved pages (cases.toml) and snippets."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from monitor.extract import read_published, view_page
from monitor.extract.article import looks_like_article
from monitor.extract.links import as_tree, count_links

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
CASES = [c for c in tomllib.loads((PAGES / "cases.toml").read_text(encoding="utf-8"))["case"]
         if "published" in c]
TODAY = date(2026, 11, 26)
URL = "http://www.x.gov.cn/xwzx/zwyw/content_1.html"   # carries no date hint


def _text(case: dict[str, Any]) -> str:
    return (PAGES / case["file"]).read_bytes().decode(case["encoding"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_saved_article_page(case: dict[str, Any]) -> None:
    today = date.fromisoformat(case["today"])
    text = _text(case)
    got = read_published(text, case["url"], today)
    assert (got.isoformat() if got else "none") == case["published"]
    view = view_page(case["url"], 200, case["encoding"], text, today)
    assert view.kind == case["kind"], view.notes
    assert view.items == []
    if case["kind"] == "article":
        assert view.published == got
    if "links" in case:
        assert view.links == case["links"]


def _article(info: str, *, head: str = "", extra: str = "") -> str:
    body = ("<p>" + "县政府召开专题会议，研究部署冬季安全生产工作，要求各乡镇、各部门压实责任。" * 4
            + "</p>")
    return (f"<html><head><meta charset='utf-8'>{head}</head><body>"
            f"<div class='top'>今天是2026年11月26日 星期四</div>"
            f"<h1>县政府召开冬季安全生产专题会议</h1><div class='info'>{info}</div>"
            f"<div class='content'>{body}</div>{extra}</body></html>")


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ("发布时间：2026-11-05 16:10 来源：县应急局", date(2026, 11, 5)),
        ("发布日期：2026年11月5日", date(2026, 11, 5)),
        ("日期：2026/11/05 作者：办公室", date(2026, 11, 5)),
        ("时间：2026.11.05", date(2026, 11, 5)),
        ("【发布时间】2026-11-05", date(2026, 11, 5)),
        ("成文日期：2026-10-30 发布日期：2026-11-05", date(2026, 11, 5)),
        ("更新时间：2026-11-06", date(2026, 11, 6)),
        ("来源：县应急局", None),
    ],
)
def test_labelled_dates(info: str, expected: date | None) -> None:
    assert read_published(_article(info), URL, TODAY) == expected


def test_label_beats_pubdate_meta_and_url() -> None:
    html = _article("发布时间：2026-11-05", head="<meta name='PubDate' content='2026-11-26 03:00'>")
    assert read_published(html, "http://x.gov.cn/a/202611/t20261104_1.html", TODAY) == date(2026, 11, 5)


@pytest.mark.parametrize(
    "name", ["PubDate", "pubdate", "publishdate", "firstpublishedtime", "og:release_date"])
def test_meta_names(name: str) -> None:
    attr = "property" if ":" in name else "name"
    html = _article("来源：县应急局", head=f"<meta {attr}='{name}' content='2026-11-07 09:00:00'>")
    assert read_published(html, URL, TODAY) == date(2026, 11, 7)


def test_maketime_and_generation_stamps_are_never_publication() -> None:
    html = _article("浏览次数：12",
                    head="<meta name='Maketime' content='2026-11-26 03:00:00'>",
                    extra="<div class='bottom-info'>页面生成时间：2026-11-26 03:00</div>")
    assert read_published(html, URL, TODAY) is None
    assert read_published(html, "http://x.gov.cn/art/2026/11/5/art_1_2.html", TODAY) == date(2026, 11, 5)


def test_related_box_and_sidebar_dates_ignored() -> None:
    related = ("<div class='xgwz'><h3>相关文章</h3><ul><li><a href='/1.html'>相关稿件标题一</a>"
               "发布时间：2026-11-25</li></ul></div>"
               "<div class='box'><div>热点信息</div><p>发布时间：2026-11-24 某某热点</p></div>")
    html = _article("来源：县应急局", extra=related)
    assert read_published(html, URL, TODAY) is None


def test_clock_with_time_label_ignored() -> None:
    html = _article("来源：县应急局").replace("今天是2026年11月26日 星期四", "当前时间：2026年11月26日")
    assert read_published(html, URL, TODAY) is None


def test_generic_label_far_below_the_title_is_body_text() -> None:
    far = "<p>" + "工作要求。" * 120 + "</p><p>时间：2026-11-20</p>"
    html = _article("来源：县应急局", extra=far)
    assert read_published(html, URL, TODAY) is None


def test_future_labelled_date_rejected() -> None:
    assert read_published(_article("发布时间：2026-12-05"), URL, TODAY) is None


def test_looks_like_article() -> None:
    assert looks_like_article(as_tree(_article("发布时间：2026-11-05")))
    rows = "".join(f"<li><a href='{k}.html'>某县第{k}条新闻标题比较长</a>发布时间：2026-11-0{k}</li>"
                   for k in range(1, 8))
    listing = f"<html><body><h1>政务要闻</h1><ul>{rows}</ul></body></html>"
    assert not looks_like_article(as_tree(listing))
    assert not looks_like_article(as_tree("<html><body><p>网站维护中</p></body></html>"))


def test_article_with_dated_side_list_is_still_an_article() -> None:
    side = "<div class='right-list'><ul>" + "".join(
        f"<li><a href='/s/{k}.html'>侧栏最新信息第{k}条标题</a><span>2026-11-2{k}</span></li>"
        for k in range(5)) + "</ul></div>"
    view = view_page(URL, 200, "utf-8", _article("发布时间：2026-11-05", extra=side), TODAY)
    assert view.kind == "article"
    assert view.published == date(2026, 11, 5)
    assert view.items == []


def test_links_count_distinct_http_targets_including_datastore() -> None:
    html = ("<html><body><a href='/a.html'>a</a><a href='/a.html#x'>a</a><a href='b.html'>b</a>"
            "<a href='javascript:void(0)'>j</a><a href='mailto:x@y.cn'>m</a>"
            "<a href='http://other.gov.cn/'>o</a><map><area href='/c.html'></map>"
            "<script type='text/xml'><datastore><recordset><record><![CDATA[<li><a href='/d.html'>d"
            "</a></li>]]></record></recordset></datastore></script></body></html>")
    assert count_links(as_tree(html), "http://x.gov.cn/dir/") == 5


def test_small_labelled_column_with_pager_is_a_list_not_an_article() -> None:
    rows = "".join(f"<li><a href='{k}.html'>某县2026年第{k}批人事任免通知</a>"
                   f"<span>发布时间：2026-0{k}-10</span></li>" for k in (3, 8))
    html = (f"<html><body><h1>人事任免</h1><ul class='list'>{rows}</ul>"
            "<div class='page'>共 2 条 首页 上一页 下一页 尾页</div></body></html>")
    view = view_page("http://x.gov.cn/rsrm/", 200, "utf-8", html, TODAY)
    assert view.kind == "list"
    assert view.latest == date(2026, 8, 10)


def test_short_notice_without_metas_with_a_side_list_is_an_article() -> None:
    side = "<div class='zxxx'><ul>" + "".join(
        f"<li><a href='/s/{k}.html'>最新信息第{k}条的标题</a><span>2026-11-2{k}</span></li>"
        for k in range(5)) + "</ul></div>"
    html = ("<html><body><h1>关于公布2026年拟录用人员名单的公告</h1>"
            "<div class='info'>发布时间：2026-11-05</div><p>详见附件。暂无其他补充。</p>"
            f"{side}</body></html>")
    view = view_page(URL, 200, "utf-8", html, TODAY)
    assert (view.kind, view.published, view.blank) == ("article", date(2026, 11, 5), False)


def test_title_found_from_head_title_when_there_is_no_h1() -> None:
    nav = "<div class='daohang'>" + "".join(f"<a href='/c{k}/'>栏目导航名称{k}</a>" for k in range(60)) + "</div>"
    html = ("<html><head><title>白马乡开展冬季农田水利建设_望川县人民政府</title></head><body>"
            f"{nav}<div class='bt'>白马乡开展冬季农田水利建设</div><div>日期：2026-11-05</div>"
            "<div class='zw'><p>白马乡组织干部群众开展冬季农田水利基本建设。</p></div></body></html>")
    assert read_published(html, URL, TODAY) == date(2026, 11, 5)


def test_column_page_with_intro_text_and_update_label_stays_a_list() -> None:
    intro = "<div class='intro'><p>" + "本栏目发布县政府及其部门制定的规范性文件，供社会公众查阅。" * 6 + "</p>" \
            "<p>更新时间：2026-11-20</p></div>"
    rows = "".join(f"<li><a href='{k}.html'>某县人民政府关于印发第{k}号管理办法的通知</a>"
                   f"<span>2026-0{k}-15</span></li>" for k in range(1, 6))
    html = (f"<html><head><meta name='PubDate' content='2026-11-20'></head><body>{intro}"
            f"<div class='lb'><ul>{rows}</ul><div class='fy'>共 5 条 首页 下一页 尾页</div></div>"
            "</body></html>")
    view = view_page("http://x.gov.cn/gfxwj/", 200, "utf-8", html, TODAY)
    assert view.kind == "list"
    assert view.latest == date(2026, 5, 15)


def test_labelled_date_followed_by_weekday() -> None:
    assert read_published(_article("发布日期：2026年11月5日 星期四"), URL, TODAY) == date(2026, 11, 5)
