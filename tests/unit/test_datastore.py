"""Hanweb jcms datastore scripts: which scripts hold records, and each record read on its own.

A column's datastore runs to megabytes on a big portal, so ``as_tree`` cuts its body out of the
markup before parsing and its records are read from the markup, one at a time; a tree made some
other way keeps its datastore, read from the script's text. These tests pin that both readings
find the same records, and what the cut must not touch.
"""

from __future__ import annotations

import re
import sys
import tracemalloc
from datetime import date

import lxml.html

from monitor.extract.links import as_tree, datastore_scripts, iter_datastore_records, script_has, script_search
from monitor.extract.lists import read_list


def _page(scripts: str) -> str:
    return f"<html><head><title>乡镇动态</title></head><body><div id='list'>{scripts}</div></body></html>"


def _datastore(records: str) -> str:
    return ("<script type='text/xml'><datastore><nextgroup><![CDATA[<a href='/module/dataproxy.jsp'>"
            f"</a>]]></nextgroup><recordset>{records}</recordset></datastore></script>")


def test_only_scripts_holding_records_are_datastores() -> None:
    tree = as_tree(_page(
        "<script>var record = '<record>'; // 一段普通脚本</script>"
        + _datastore("<record><![CDATA[<li><a href='/a/1.html'>一条</a></li>]]></record>")
        + "<script type='text/xml'><datastore><nextgroup></nextgroup></datastore></script>"))
    scripts = list(datastore_scripts(tree))
    assert len(scripts) == 1 and script_has(scripts[0], "dataproxy.jsp")
    assert not script_has(scripts[0], "createPageHTML")


def test_each_record_is_read_with_its_chinese_text_and_spacing_forms() -> None:
    records = ("<record><![CDATA[<li><a href='/a/1.html'>关于开展安全生产检查的通知</a>"
               "<span>2026-11-20</span></li>]]></record>"
               "<record>\u3000<![CDATA[ <li><a href='/a/2.html'>乡镇动态第二条</a></li> ]]>\u00a0</record>"
               "<RECORD id='3'>\n<![CDATA[<div><a href=\"/a/3.html\">第三条</a></div><p>摘要</p>]]>\n</RECORD>"
               "<record><![CDATA[   ]]></record>"
               "<record><li><a href='/a/4.html'>没有 CDATA 的一条</a></li></record>")
    [script] = datastore_scripts(as_tree(_page(_datastore(records))))
    rows = list(iter_datastore_records(script))
    links = [[(a.get("href"), a.text) for a in row.iter("a")] for row in rows]
    assert links == [[("/a/1.html", "关于开展安全生产检查的通知")], [("/a/2.html", "乡镇动态第二条")],
                     [("/a/3.html", "第三条")], [("/a/4.html", "没有 CDATA 的一条")]]
    assert [row.tag for row in rows] == ["li", "li", "div", "li"]      # two elements: held in a div
    assert rows[2].text_content() == "第三条摘要"


def test_records_of_a_gbk_page_keep_their_text() -> None:
    html = _page(_datastore("<record><![CDATA[<li><a href='/a/1.html'>县人民政府办公室通知</a></li>]]></record>"))
    tree = lxml.html.document_fromstring(html.encode("gbk"), parser=lxml.html.HTMLParser(encoding="gbk"))
    [row] = iter_datastore_records(next(datastore_scripts(tree)))
    assert row.findtext("a") == "县人民政府办公室通知"


def _big_records(count: int) -> str:
    return "".join(f"<record><![CDATA[<li><a href='/col/col8109/art/2026/art_{n:08d}.html' target='_blank'>"
                   f"乡镇动态第{n}条</a><span class='date'>2026-11-20</span></li>]]></record>" for n in range(count))


def test_a_big_datastore_stays_in_the_markup_and_is_read_one_record_at_a_time() -> None:
    html = _page(_datastore(_big_records(3000)))
    [script] = datastore_scripts(as_tree(html))       # the tree itself let go: its scripts keep the bodies
    assert not script.text                             # not half a megabyte of records in libxml2
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_datastore_records(script))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 3000
    assert peak < sys.getsizeof(html) / 20


def test_a_datastore_cut_from_the_markup_reads_as_one_left_in_its_tree() -> None:
    records = ("<record><![CDATA[<li><a href='/a/1.html'>关于开展安全生产检查的通知</a>"
               "<span>2026-11-20</span></li>]]></record>"
               "<record>\u3000<![CDATA[ <li><a href='/a/2.html'>乡镇动态第二条</a></li> ]]>\u00a0</record>"
               "<record><li><a href='/a/3.html'>没有 CDATA 的一条</a></li></record>")
    html = _page("<script>var totalRecord = 3;</script>" + _datastore(records))
    html = html.replace("<head>", "<head><meta charset='utf-8'>")
    cut, kept = as_tree(html), as_tree(html.encode("utf-8"))     # bytes are parsed as they are
    assert "<record" not in "".join(s.text or "" for s in cut.iter("script"))
    assert [s.get("type") for s in cut.iter("script")] == [None, "text/xml"]
    assert "<record" in "".join(s.text or "" for s in kept.iter("script"))
    for tree in (cut, kept):
        [script] = datastore_scripts(tree)
        assert [[a.get("href") for a in row.iter("a")] for row in iter_datastore_records(script)] == \
            [["/a/1.html"], ["/a/2.html"], ["/a/3.html"]]
        assert script_has(script, "dataproxy.jsp") and not script_has(script, "totalRecord")
        assert script_search(script, re.compile(r"href='([^']+dataproxy[^']*)'"))[1] == "/module/dataproxy.jsp"
        assert [i.title for i in read_list(tree, "http://xx.gov.cn/col/", date(2026, 11, 26)).items] == \
            ["关于开展安全生产检查的通知", "乡镇动态第二条", "没有 CDATA 的一条"]


def test_the_cut_leaves_comments_and_the_rest_of_the_page_alone() -> None:
    store = _datastore("<record><![CDATA[<li><a href='/a/1.html'>一条</a></li>]]></record>")
    html = _page(f"<!-- 旧版：{store} --><p>正文<a href='/b.html'>链接</a></p>{store}<p>页脚</p>")
    tree = as_tree(html)
    assert len(list(datastore_scripts(tree))) == 1          # the one in the comment stays a comment
    assert [a.get("href") for a in tree.iter("a")] == ["/b.html"]
    assert tree.text_content().endswith("页脚")


def test_unclosed_scripts_and_comments_neither_hang_nor_lose_the_page() -> None:
    """Each opening is looked at once: a page of them cannot make the cut search the rest again."""
    junk = "<script>" * 20_000 + "<!--" * 20_000
    tree = as_tree(_page(_datastore("<record><![CDATA[<li><a href='/a/1.html'>一条</a></li>]]></record>") + junk))
    [script] = datastore_scripts(tree)
    assert [row.findtext("a") for row in iter_datastore_records(script)] == ["一条"]


def test_a_big_inline_script_is_never_made_a_python_string_to_ask_about_it() -> None:
    script = "<script>var nav = [" + ",".join(f"'栏目{n}'" for n in range(60_000)) + "];</script>"
    tree = as_tree(_page(script + _datastore("<record><![CDATA[<li><a href='/a/1.html'>一条</a></li>]]></record>")))
    tracemalloc.start()
    try:
        scripts = list(datastore_scripts(tree))
        paging = [script_has(s, "createPageHTML") for s in tree.iter("script")]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(scripts) == 1 and paging == [False, False]
    assert peak < len(script) / 20
