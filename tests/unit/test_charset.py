"""decode_html / decode_text: declarations first, but the bytes win when a declaration lies."""

from __future__ import annotations

import codecs

import pytest

from monitor.charset import decode_html, decode_text, normalize_label

TITLE = "示例县人民政府关于开展2026年政务公开工作检查的通知"
# 镕 and 堃 are in GBK but not GB2312: a strict "gb2312" decoder would fail on them.
BODY = f"<p>{TITLE}</p><p>朱镕基 王堃 各乡镇人民政府、县政府各部门：现将有关事项通知如下。</p>"


def page(head: str = "", body: str = BODY) -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>{TITLE}</title></head><body>{body}</body></html>"


@pytest.mark.parametrize("label", ["gb2312", "GBK", "x-gbk", "cp936", "GB18030", "euc-cn"])
def test_header_gb_labels_decode_as_gb18030(label: str) -> None:
    text, encoding = decode_html(page().encode("gbk"), label)
    assert encoding == "gb18030"
    assert "朱镕基 王堃" in text


def test_meta_only_gbk() -> None:
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=GBK">').encode("gbk")
    text, encoding = decode_html(raw, None)
    assert (encoding, TITLE in text) == ("gb18030", True)


def test_meta_charset_attribute() -> None:
    text, encoding = decode_html(page("<meta charset='gb2312'>").encode("gbk"), None)
    assert encoding == "gb18030"
    assert "王堃" in text


@pytest.mark.parametrize(("bom", "codec", "name"), [
    (codecs.BOM_UTF8, "utf-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
])
def test_bom_wins_and_is_stripped(bom: bytes, codec: str, name: str) -> None:
    raw = bom + page("<meta charset=gb2312>").encode(codec)
    text, encoding = decode_html(raw, "gbk")
    assert encoding == name
    assert text.startswith("<!DOCTYPE html>")
    assert TITLE in text


def test_wrong_declaration_utf8_bytes_that_say_gb2312() -> None:
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode()
    text, encoding = decode_html(raw, None)
    assert encoding == "utf-8"
    assert TITLE in text


def test_wrong_header_utf8_bytes_that_say_gbk() -> None:
    text, encoding = decode_html(page().encode("utf-8"), "GBK")
    assert (encoding, TITLE in text) == ("utf-8", True)


def test_wrong_declaration_gbk_bytes_that_say_utf8() -> None:
    text, encoding = decode_html(page("<meta charset=utf-8>").encode("gbk"), None)
    assert encoding == "gb18030"
    assert TITLE in text


def test_second_charset_tag_in_body_is_ignored() -> None:
    body = BODY + '<div><meta charset="utf-8"></div>'
    raw = page("<meta charset=gb2312>", body).encode("gbk")
    text, encoding = decode_html(raw, None)
    assert encoding == "gb18030"
    assert "朱镕基" in text


def test_meta_beyond_the_first_4kb_is_not_a_declaration() -> None:
    filler = "<!-- " + "x" * 5000 + " -->"
    raw = (filler + page("<meta charset=big5>")).encode("gbk")
    text, encoding = decode_html(raw, None)
    assert encoding == "gb18030"  # detected, not the far-away big5
    assert TITLE in text


def test_no_declaration_gbk_bytes_are_detected() -> None:
    text, encoding = decode_html(page().encode("gbk"), None)
    assert encoding == "gb18030"
    assert TITLE in text and "王堃" in text


def test_no_declaration_utf8() -> None:
    assert decode_html(page().encode(), None) == (page(), "utf-8")


def test_weak_latin1_header_loses_to_meta() -> None:
    raw = page("<meta charset=gb2312>").encode("gbk")
    text, encoding = decode_html(raw, "ISO-8859-1")
    assert (encoding, TITLE in text) == ("gb18030", True)


def test_weak_latin1_header_without_meta_is_guessed() -> None:
    text, encoding = decode_html(page().encode("gbk"), "iso-8859-1")
    assert (encoding, TITLE in text) == ("gb18030", True)


def test_undecodable_bytes_fall_back_with_replacement() -> None:
    raw = b"<html><body>\xff\xfe\xfd abc \x80</body></html>"
    text, encoding = decode_html(raw, "utf-8")
    assert "abc" in text
    assert isinstance(encoding, str)


def test_unknown_label_is_ignored() -> None:
    text, encoding = decode_html(page().encode("gbk"), "x-no-such-charset")
    assert (encoding, TITLE in text) == ("gb18030", True)


def test_empty_body() -> None:
    assert decode_html(b"", "gbk") == ("", "gb18030")


def test_decode_text_uses_xml_declaration() -> None:
    xml = f'<?xml version="1.0" encoding="gb2312"?><rss><channel><title>{TITLE}</title></channel></rss>'
    text, encoding = decode_text(xml.encode("gbk"), None)
    assert (encoding, TITLE in text) == ("gb18030", True)


def test_decode_text_ignores_meta_quoted_inside_a_feed() -> None:
    xml = f'<rss><item><description>&lt;meta charset=big5&gt;</description>' \
          f'<title>{TITLE}</title></item></rss>'
    assert decode_text(xml.encode(), None) == (xml, "utf-8")


@pytest.mark.parametrize(("label", "name"), [
    ("GB2312", "gb18030"), ('"gbk"', "gb18030"), ("UTF8", "utf-8"), ("big5", "big5"),
    ("latin1", "iso8859-1"), ("nonsense", None), (None, None),
])
def test_normalize_label(label: str | None, name: str | None) -> None:
    assert normalize_label(label) == name
