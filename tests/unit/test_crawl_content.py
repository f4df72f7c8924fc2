"""Content checks on visible text: ID numbers (GB 11643) and the serious-error word list (issue 6, point 3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.crawl.content import WordList, check_digit_ok, find_id_numbers, parse_entry, visible_text
from monitor.crawl.scan import Scanner
from monitor.extract.links import as_tree
from monitor.resources import rules_dir
from monitor.rules import load_rules

TODAY = date(2026, 11, 26)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


VALID = with_check_digit("51072219850612341")        # 四川, born 1985-06-12
VALID_X = next(n for n in (with_check_digit(f"1101051990030712{k}") for k in range(10)) if n.endswith("X"))
WRONG_DIGIT = VALID[:17] + str((int(VALID[17]) + 1) % 10 if VALID[17] != "X" else 0)


def test_check_digit() -> None:
    assert check_digit_ok(VALID) and check_digit_ok(VALID_X) and check_digit_ok(VALID_X.lower())
    assert not check_digit_ok(WRONG_DIGIT)


@pytest.mark.parametrize(("text", "found"), [
    (f"申请人：张三，身份证号：{VALID}，住址：", [VALID[:6] + "********" + VALID[14:]]),
    (f"身份证号{VALID_X}", [VALID_X[:6] + "********" + VALID_X[14:]]),
    (f"身份证号{WRONG_DIGIT}", []),                                 # wrong check digit
    ("身份证号510722********1234", []),                             # masked: fine
    ("身份证号5107221985******34", []),
    (f"账号6222{VALID}", []),                                        # part of a longer number
    (f"号码{with_check_digit('51072230001301234')}", []),            # born in the future
    (f"号码{with_check_digit('99072219850612341')}", []),            # no such province
    (f"号码{with_check_digit('51072219851332341')}", []),            # no 13th month
])
def test_id_numbers(text: str, found: list[str]) -> None:
    hits = find_id_numbers(text, TODAY)
    assert [h["masked"] for h in hits] == found
    for hit in hits:
        assert VALID not in hit["context"] and hit["masked"] in hit["context"]


def test_only_visible_text_counts() -> None:
    html = f"""<html><head><title>公示</title><style>.x{{content:"{VALID}"}}</style></head><body>
    <input type="hidden" value="{VALID}"><div data-id="{VALID}" title="{VALID}">名单</div>
    <script>var id = "{VALID}";</script><!-- {VALID} -->
    <p>公示名单：李四 <span>{VALID_X[:6]}</span>{VALID_X[6:]}</p></body></html>"""
    text = visible_text(as_tree(html))
    assert VALID not in text
    assert [h["masked"] for h in find_id_numbers(text, TODAY)] == [VALID_X[:6] + "********" + VALID_X[14:]]


def test_word_list_entries_and_comments() -> None:
    assert parse_entry("# 注释", "x.txt") is None and parse_entry("   ", "x.txt") is None
    entry = parse_entry("习近乎 => 习近平   # 领导人姓名", "x.txt")
    assert entry is not None and (entry.wrong, entry.right) == ("习近乎", "习近平")
    plain = parse_entry("台湾国", "x.txt")
    assert plain is not None and plain.right is None


def test_word_list_finds_longest_entry_with_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text("# 测试\n社会主意 => 社会主义\n中国特色社会主意 => 中国特色社会主义\n", encoding="utf-8")
    words = WordList.load([path])
    hits = words.find("坚持和发展中国特色社会主意，推进社会主意现代化")
    assert [(h["wrong"], h["right"]) for h in hits] == [("中国特色社会主意", "中国特色社会主义"),
                                                         ("社会主意", "社会主义")]
    assert "推进社会主意现代化" in hits[1]["context"]
    assert words.find("中国特色社会主义") == []


def test_shipped_rules_scan_a_page() -> None:
    scanner = Scanner.from_rules(load_rules(sorted(rules_dir().glob("*.toml"))))
    assert scanner.privacy and scanner.wordlists
    html = f"<html><head><title>低保公示</title></head><body><p>张三 {VALID} 台湾总统</p></body></html>"
    facts = scanner.scan(as_tree(html), TODAY)
    assert facts is not None and facts["title"] == "低保公示"
    assert [h["masked"] for h in facts["id_numbers"]] == [VALID[:6] + "********" + VALID[14:]]
    assert [(h["wrong"], h["right"], h["rule"]) for h in facts["words"]] == [
        ("台湾总统", "台湾地区领导人", "content.serious_error")]
    assert scanner.scan(as_tree("<html><body><p>正常内容</p></body></html>"), TODAY) is None


def test_shipped_word_list_has_no_entry_equal_to_its_correction() -> None:
    words = WordList.load(sorted((rules_dir() / "wordlists").glob("*.txt")))
    assert len(words.entries) >= 20
    assert all(e.wrong != e.right for e in words.entries)
    assert all(not (e.right and e.wrong in e.right) for e in words.entries)


@pytest.mark.parametrize("blank", ["", " \r\n\t", b"", b" \n"])
def test_a_blank_page_is_an_empty_document(blank: str | bytes) -> None:
    tree = as_tree(blank)
    assert tree.tag == "html" and [c.tag for c in tree] == ["body"] and len(tree[0]) == 0
