"""The generic list reader on saved pages (cases.toml) and on small focused snippets."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from monitor.extract import list_page_urls, read_list, view_page
from monitor.extract.lists import anchor_title

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
CASES = tomllib.loads((PAGES / "cases.toml").read_text(encoding="utf-8"))["case"]
LIST_CASES = [c for c in CASES if c["kind"] == "list"]
TODAY = date(2026, 11, 26)


def _view(case: dict[str, Any]):
    text = (PAGES / case["file"]).read_bytes().decode(case["encoding"])
    return view_page(case["url"], 200, case["encoding"], text, date.fromisoformat(case["today"]),
                     item_selector=case.get("item_selector"),
                     date_selector=case.get("date_selector"))


def _iso(value: date | None) -> str:
    return value.isoformat() if value else "none"


@pytest.mark.parametrize("case", LIST_CASES, ids=[c["name"] for c in LIST_CASES])
def test_saved_list_page(case: dict[str, Any]) -> None:
    view = _view(case)
    got = {i.url: i for i in view.items}
    assert view.kind == case["kind"], view.notes
    assert view.blank is case["blank"], view.notes
    assert len(view.items) == case["items"], [i.to_json() for i in view.items]
    assert sum(1 for i in view.items if i.date) == case["dated"]
    assert _iso(view.latest) == case["latest"]
    if "links" in case:
        assert view.links == case["links"]
    for expected in case.get("item", []):
        item = got.get(expected["url"])
        assert item is not None, f"missing {expected['url']}"
        assert item.title == expected["title"]
        assert _iso(item.date) == expected["date"]
    for url in case.get("absent_urls", []):
        assert url not in got, f"{url} read as an entry"
    for fragment in case.get("notes_contain", []):
        assert any(fragment in n for n in view.notes), view.notes
    assert len(got) == len(view.items), "entries are deduplicated by url"


def test_every_fixture_file_has_a_case() -> None:
    used = {c["file"] for c in CASES}
    assert {p.name for p in PAGES.glob("*.html")} <= used


# ---- focused snippets -----------------------------------------------------------------------


def _page(body: str) -> str:
    return f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def _rows(n: int, fmt: str = "<li><a href='/a/{k}.html'>第{k}号关于做好某项工作的通知</a>"
                                   "<span>2026-11-{d:02d}</span></li>") -> str:
    return "".join(fmt.format(k=k, d=k + 1) for k in range(n))


def test_navigation_menu_is_not_the_list() -> None:
    nav = "<ul class='mainmenu'>" + "".join(
        f"<li><a href='/c{k}/'>栏目名称{k}</a></li>" for k in range(15)) + "</ul>"
    result = read_list(_page(nav + f"<ul class='list'>{_rows(4)}</ul>"), "http://x.gov.cn/", TODAY)
    assert [i.url for i in result.items] == [f"http://x.gov.cn/a/{k}.html" for k in range(4)]


def test_undated_list_of_real_titles_still_read() -> None:
    rows = "".join(f"<li><a href='{k}.html'>关于印发第{k}批专项资金管理办法的通知</a></li>"
                   for k in range(5))
    nav = "".join(f"<a href='/n{k}/'>导航{k}</a>" for k in range(8))
    result = read_list(_page(f"<div>{nav}</div><ul>{rows}</ul>"), "http://x.gov.cn/l/", TODAY)
    assert len(result.items) == 5
    assert all(i.date is None for i in result.items)
    assert result.items[0].url == "http://x.gov.cn/l/0.html"


def test_title_attribute_used_only_when_text_is_cut() -> None:
    html = ("<a id='a' href='1.html' title='某县人民政府关于进一步加强安全生产工作的意见'>"
            "某县人民政府关于进一步加强…</a>"
            "<a id='b' href='2.html' title='点击查看'>某县召开安全生产工作会议</a>"
            "<a id='c' href='3.html' title='某县召开森林防火工作会议暨培训会'>某县召开森林防火工作</a>")
    from lxml.html import fromstring
    tree = fromstring(_page(html))
    titles = [anchor_title(tree.get_element_by_id(k)) for k in "abc"]
    assert titles == ["某县人民政府关于进一步加强安全生产工作的意见", "某县召开安全生产工作会议",
                      "某县召开森林防火工作会议暨培训会"]


def test_date_inside_the_link_at_its_edge_is_the_row_date() -> None:
    rows = "".join(f"<li><a href='{k}.html'><span>某县召开第{k}次常务会议</span>"
                   f"<em>2026-11-{k + 10}</em></a></li>" for k in range(3))
    rows += "<li><a href='9.html'>[11-02] 关于2026年11月1日起调整公交线路的通告</a></li>"
    result = read_list(_page(f"<ul>{rows}</ul>"), "http://x.gov.cn/", TODAY)
    by_url = {i.url: i for i in result.items}
    assert by_url["http://x.gov.cn/0.html"].date == date(2026, 11, 10)
    assert by_url["http://x.gov.cn/0.html"].title == "某县召开第0次常务会议"
    assert by_url["http://x.gov.cn/9.html"].date == date(2026, 11, 2)
    assert by_url["http://x.gov.cn/9.html"].title == "关于2026年11月1日起调整公交线路的通告"


def test_date_only_in_the_middle_of_a_title_is_not_an_item_date() -> None:
    rows = "".join(f"<li><a href='{k}.html'>关于2026年11月{k + 1}日起施行新规定的通知</a></li>"
                   for k in range(4))
    result = read_list(_page(f"<ul>{rows}</ul>"), "http://x.gov.cn/", TODAY)
    assert len(result.items) == 4
    assert result.latest is None


def test_table_row_with_title_and_interpretation_links() -> None:
    rows = "".join(
        f"<tr><td>{k}</td><td><a href='wj{k}.html'>某县人民政府关于印发第{k}号实施方案的通知</a></td>"
        f"<td><a href='jd{k}.html'>解读</a></td><td>某府发〔2026〕{k}号</td>"
        f"<td>2026-10-{k + 10}</td></tr>" for k in range(1, 5))
    html = _page(f"<table><tr><th>序号</th><th>标题</th><th>解读</th><th>文号</th>"
                 f"<th>发布日期</th></tr>{rows}</table>")
    result = read_list(html, "http://x.gov.cn/zcwj/", TODAY)
    assert [i.date for i in result.items] == [date(2026, 10, k + 10) for k in range(1, 5)]
    assert all("/wj" in i.url for i in result.items)


def test_relative_urls_resolve_against_base_href_and_fragments_drop() -> None:
    html = ("<html><head><base href='http://www.x.gov.cn/xwzx/'></head><body><ul>"
            + _rows(2, "<li><a href='./2026/{k}.html#top'>某县召开第{k}次全体会议</a>"
                       "<span>2026-11-0{d}</span></li>")
            + "<li><a href='../zwgk/9.html'>某县召开第9次全体会议</a><span>2026-11-09</span></li>"
            + "<li><a href='javascript:void(0)'>某县召开第8次全体会议</a><span>2026-11-08</span></li>"
            + "</ul></body></html>")
    result = read_list(html, "http://mirror.example/whatever.html", TODAY)
    assert [i.url for i in result.items] == ["http://www.x.gov.cn/xwzx/2026/0.html",
                                             "http://www.x.gov.cn/xwzx/2026/1.html",
                                             "http://www.x.gov.cn/zwgk/9.html"]


def test_duplicate_urls_collapse_keeping_a_date() -> None:
    rows = ("<li><a href='1.html'><img src='p.jpg'></a><a href='1.html'>某县召开乡村振兴工作会议</a>"
            "<span>2026-11-01</span></li>" + _rows(3))
    result = read_list(_page(f"<ul>{rows}</ul><ul class='list'>{_rows(3)}</ul>"),
                       "http://x.gov.cn/", TODAY)
    urls = [i.url for i in result.items]
    assert len(urls) == len(set(urls))
    assert urls[0] == "http://x.gov.cn/1.html"


@pytest.mark.parametrize("phrase", ["暂无信息", "暂无数据", "暂无内容", "没有相关信息", "暂无相关记录"])
def test_blank_phrases(phrase: str) -> None:
    html = _page(f"<div class='nav'><a href='/'>网站首页链接</a></div><div class='list'>{phrase}</div>")
    result = read_list(html, "http://x.gov.cn/", TODAY)
    assert result.blank and result.items == []


def test_blank_phrase_in_a_side_box_does_not_blank_a_real_list() -> None:
    html = _page(f"<div class='side'>暂无信息</div><ul>{_rows(3)}</ul>")
    result = read_list(html, "http://x.gov.cn/", TODAY)
    assert not result.blank
    assert len(result.items) == 3


def test_page_without_list_or_phrase_is_not_blank() -> None:
    result = read_list(_page("<p>网站维护中</p>"), "http://x.gov.cn/", TODAY)
    assert not result.blank and result.items == []


def test_selector_rows_without_links_mean_configured_list_is_empty() -> None:
    html = _page("<ul class='list'><li>&nbsp;</li></ul>")
    result = read_list(html, "http://x.gov.cn/", TODAY, item_selector="ul.list > li")
    assert result.blank


def test_selectors_apply_inside_hanweb_records() -> None:
    records = "".join(
        f"<record><![CDATA[<div class='row'><a href='/art/{k}.html'>某乡镇开展第{k}次专项行动</a>"
        f"<i>浏览 3</i><b class='d'>2026-11-{k + 10}</b></div>]]></record>" for k in range(3))
    html = _page(f"<script type='text/xml'><datastore><recordset>{records}</recordset>"
                 "</datastore></script>")
    result = read_list(html, "http://x.gov.cn/col/", TODAY, item_selector="div.row",
                       date_selector="b.d")
    assert [i.date for i in result.items] == [date(2026, 11, k + 10) for k in range(3)]


def test_trs_pager_urls() -> None:
    html = _page(f"<ul>{_rows(3)}</ul><script>createPageHTML(3, 0, \"index\", \"shtml\");</script>")
    assert list_page_urls(html, "http://x.gov.cn/zwyw/index.shtml") == [
        "http://x.gov.cn/zwyw/index_1.shtml", "http://x.gov.cn/zwyw/index_2.shtml"]
    assert list_page_urls(_page(""), "http://x.gov.cn/") == []


def test_column_page_with_pager_does_not_merge_side_lists() -> None:
    side = "<div class='zxxx'><ul>" + _rows(3, "<li><a href='/s/{k}.html'>最新信息第{k}条新闻标题"
                                               "</a><span>2026-11-2{k}</span></li>") + "</ul></div>"
    main = "<div class='lb'><ul>" + _rows(5, "<li><a href='/m/{k}.html'>某县第{k}次政务要闻标题"
                                             "</a><span>2026-10-0{d}</span></li>") + "</ul></div>"
    html = _page(side + main + "<div>共 5 条 首页 下一页 尾页</div>")
    result = read_list(html, "http://x.gov.cn/", TODAY)
    assert {i.url.rsplit("/", 2)[1] for i in result.items} == {"m"}
    assert result.latest == date(2026, 10, 5)


def test_junk_input_gives_an_empty_result() -> None:
    for junk in ("", "   ", b"\x00\x01", "<?xml version='1.0' encoding='gb2312'?><html></html>"):
        result = read_list(junk, "http://x.gov.cn/", TODAY)
        assert result.items == [] and not result.blank


def test_list_kind_needs_three_undated_rows_or_one_dated_row() -> None:
    undated = "".join(f"<li><a href='/a{k}.html'>关于做好第{k}项工作的通知</a></li>" for k in range(3))
    two = view_page("http://x.gov.cn/", 200, "utf-8", _page(f"<ul>{undated[:undated.rfind('<li>')]}</ul>"), TODAY)
    three = view_page("http://x.gov.cn/", 200, "utf-8", _page(f"<ul>{undated}</ul>"), TODAY)
    assert (two.kind, three.kind) == ("other", "list")
    assert two.items == []
    one_dated = view_page("http://x.gov.cn/", 200, "utf-8", _page(f"<ul>{_rows(1)}</ul>"), TODAY)
    assert one_dated.kind == "list"             # a new column with its first item is still a list
    assert len(one_dated.items) == 1 and one_dated.items[0].date is not None


def test_blank_phrase_beats_a_couple_of_undated_stray_links() -> None:
    html = _page("<div><a href='/'>返回网站首页</a> <a href='/map/'>网站地图导航</a></div>"
                 "<table><tr><td>没有找到相关信息</td></tr></table>")
    result = read_list(html, "http://x.gov.cn/", TODAY)
    assert result.blank and result.items == []


def test_category_tag_links_and_pin_marks_are_not_titles() -> None:
    rows = "".join(
        f"<li><a href='/col/bmdt/'>[部门动态]</a><a href='{k}.html'><font color='red'>[置顶]</font>"
        f"某局开展第{k}次专项检查</a><span>2026-11-1{k}</span></li>" for k in range(3))
    result = read_list(_page(f"<ul>{rows}</ul>"), "http://x.gov.cn/", TODAY)
    assert [(i.title, i.date) for i in result.items] == [
        (f"某局开展第{k}次专项检查", date(2026, 11, 10 + k)) for k in range(3)]


GEN_PORTAL = Path(__file__).resolve().parents[3] / "shared" / "bench" / "gen_portal.py"   # ../shared beside the repo


@pytest.mark.skipif(not GEN_PORTAL.exists(), reason="benchmark generator not available")
def test_benchmark_portal_lists_match_ground_truth(tmp_path: Path) -> None:
    """Every TRS and Hanweb list page of a generated portal reads back its exact entries."""
    import json
    import subprocess
    import sys

    subprocess.run([sys.executable, str(GEN_PORTAL), "--pages", "300", "--seed", "3",
                    "--out", str(tmp_path), "--today", "2026-11-26"], check=True,
                   capture_output=True)
    truth = json.loads((tmp_path / "_truth.json").read_text(encoding="utf-8"))
    base = "http://www.example.gov.cn"
    for column in truth["columns"]:
        codec = "utf-8" if column["encoding"] == "utf-8" else "gb18030"
        got = {}
        for page in column["list_pages"]:
            text = (tmp_path / page.lstrip("/")).read_bytes().decode(codec)
            view = view_page(base + page, 200, codec, text, TODAY)
            assert view.kind == "list", (page, view.notes)
            assert view.blank is column["empty"], page
            got.update({i.url: i for i in view.items})
        expected = {base + it["url"]: it for it in column["items"]}
        assert set(got) == set(expected), column["id"]
        for url, item in got.items():
            assert item.title == expected[url]["title"]
            assert item.date == date.fromisoformat(expected[url]["date"][:10])


def test_link_wrapping_a_whole_card_takes_its_heading_as_title() -> None:
    rows = "".join(
        f"<li><a href='{k}.html'><h4>某县第{k}次乡村振兴工作推进会召开</h4>"
        f"<p class='summary'>11月{k + 1}日上午，县委召开会议，研究部署下一阶段重点工作。</p>"
        f"<span class='date'>2026-11-1{k}</span></a></li>" for k in range(3))
    result = read_list(_page(f"<ul>{rows}</ul>"), "http://x.gov.cn/", TODAY)
    assert [(i.title, i.date) for i in result.items] == [
        (f"某县第{k}次乡村振兴工作推进会召开", date(2026, 11, 10 + k)) for k in range(3)]


def test_short_main_list_under_the_pager_beats_a_longer_side_column() -> None:
    side = "<div class='lside'><div class='tt'>最新发布</div><ul>" + _rows(
        8, "<li><a href='/new/{k}.html'>侧栏最新发布的第{k}条信息</a><span>2026-11-2{k}</span></li>"
    ) + "</ul></div>"
    main = ("<div class='rmain'><div class='lb'><ul>" + _rows(
        4, "<li><a href='/m/{k}.html'>本栏目第{k}条政策文件标题</a><span>2025-0{d}-01</span></li>")
        + "</ul><div class='fy'><script>createPageHTML(2, 0, 'index', 'html');</script></div>"
        "</div></div>")
    result = read_list(_page(side + main), "http://x.gov.cn/zcwj/", TODAY)
    assert {i.url.rsplit("/", 2)[1] for i in result.items} == {"m"}
    assert result.latest == date(2025, 4, 1)
    assert result.paged


def test_flat_list_with_dates_before_titles() -> None:
    rows = "".join(f"<span>[11-{20 - k:02d}]</span> <a href='{k}.html'>某县第{k}次常务会议召开</a><br>"
                   for k in range(4))
    result = read_list(_page(f"<div class='gg'>{rows}</div>"), "http://x.gov.cn/", TODAY)
    assert [i.date for i in result.items] == [date(2026, 11, 20 - k) for k in range(4)]


def test_invalid_selector_is_a_value_error_naming_it() -> None:
    from monitor.extract.lists import compile_selector

    with pytest.raises(ValueError, match="ul >> li"):
        compile_selector("ul >> li")
    with pytest.raises(ValueError):
        read_list(_page(""), "http://x.gov.cn/", TODAY, item_selector="ul >> li")


def test_image_link_first_does_not_expose_the_title_date() -> None:
    rows = "".join(
        f"<li><a href='{k}.html' title='关于2026年11月1日起施行第{k}号办法的通知'><img src='i.jpg'></a>"
        f"<a href='{k}.html'>关于2026年11月1日起施行第{k}号办法的通知</a><span>2026-10-2{k}</span></li>"
        for k in range(3))
    result = read_list(_page(f"<ul>{rows}</ul>"), "http://x.gov.cn/", TODAY)
    assert [i.date for i in result.items] == [date(2026, 10, 20 + k) for k in range(3)]
