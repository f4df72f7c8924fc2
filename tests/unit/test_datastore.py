"""Hanweb jcms datastore scripts: which scripts hold records, and each record read on its own.

A column's datastore runs to megabytes on a big portal, so its records are cut from the script's
UTF-8 bytes; these tests pin what that must keep of the ``str`` reading it replaced.
"""

from __future__ import annotations

import sys
import tracemalloc

import lxml.html

from monitor.extract.links import as_tree, datastore_scripts, iter_datastore_records, script_has


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


def test_a_big_datastore_is_read_without_its_text_as_one_string() -> None:
    """The script's text as a ``str`` would be twice the size of its mostly-ASCII UTF-8 bytes."""
    records = "".join(f"<record><![CDATA[<li><a href='/col/col8109/art/2026/art_{n:08d}.html' target='_blank'>"
                      f"乡镇动态第{n}条</a><span class='date'>2026-11-20</span></li>]]></record>" for n in range(3000))
    [script] = datastore_scripts(as_tree(_page(_datastore(records))))
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_datastore_records(script))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 3000
    assert peak < sys.getsizeof(script.text)
