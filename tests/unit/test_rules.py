"""The rule engine: shipped thresholds at their boundaries, and rule-file validation."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from monitor.domain import Item, Observation, TargetRef
from monitor.errors import ConfigError
from monitor.resources import rules_dir
from monitor.rules import load_rules

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def rules():
    return load_rules(sorted(rules_dir().glob("*.toml")))


def column(category: str, age_days: int | None, *, blank: bool = False) -> Observation:
    items = [] if age_days is None else [
        Item("置顶：旧通知", "http://x/old.html", TODAY - timedelta(days=age_days + 400)),
        Item("最新一条", "http://x/new.html", TODAY - timedelta(days=age_days)),
    ]
    return Observation(TargetRef("column", "c1", "政务要闻", "http://x/"), "xzfb", items, blank=blank,
                       facts={"category": category})


def judged(rules, obs: Observation) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in rules.evaluate([obs], TODAY)]


@pytest.mark.parametrize(("category", "age", "expected"), [
    ("news", 9, []),
    ("news", 10, [("column.stale", "yellow")]),
    ("news", 13, [("column.stale", "yellow")]),
    ("news", 14, [("column.stale", "red")]),
    ("notice", 149, []),
    ("notice", 150, [("column.stale", "yellow")]),
    ("policy", 180, [("column.stale", "red")]),
    ("interpretation", 179, [("column.stale", "yellow")]),
    ("personnel", 364, [("column.stale", "yellow")]),
    ("planning", 365, [("column.stale", "red")]),
    ("static", 3000, []),
])
def test_freshness_boundaries(rules, category: str, age: int, expected: list[tuple[str, str]]) -> None:
    assert judged(rules, column(category, age)) == expected


def test_newest_is_max_date_not_first_row(rules) -> None:
    # the pinned 置顶 item comes first and is 400+ days old; the newest one decides
    finding = rules.evaluate([column("news", 21)], TODAY)[0]
    assert finding.evidence["latest"] == (TODAY - timedelta(days=21)).isoformat()
    assert finding.evidence["days"] == 21
    assert finding.evidence["red_days"] == 14
    assert finding.message == "栏目“政务要闻”已21天未更新（红线14天）"


def test_yellow_message_names_both_lines(rules) -> None:
    finding = rules.evaluate([column("news", 11)], TODAY)[0]
    assert finding.message == "栏目“政务要闻”已11天未更新（预警线10天，红线14天）"
    assert finding.evidence["latest_url"] == "http://x/new.html"


def test_blank_column_is_blank_and_never_also_stale(rules) -> None:
    assert judged(rules, column("news", None, blank=True)) == [("column.blank", "red")]
    assert judged(rules, column("static", None, blank=True)) == [("column.blank", "red")]


def test_homepage_stale_uses_site_observations(rules) -> None:
    site = Observation(TargetRef("site", "portal", "示例县人民政府", "http://x/"), "xzfb",
                       [Item("要闻", "http://x/a.html", TODAY - timedelta(days=14))])
    findings = rules.evaluate([site], TODAY)
    assert [(f.rule, f.severity) for f in findings] == [("homepage.stale", "red")]
    assert findings[0].target.kind == "site"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_kind_lists_known_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rule]]\nid = "x.y"\nkind = "magic"\ntarget = "column"\n')
    with pytest.raises(ConfigError) as info:
        load_rules([path])
    assert info.value.problems == [
        "custom.toml: rule[0](x.y).kind: 未知的判定方式 'magic'（可用: blank, broken_link, freshness, privacy, "
        "source_failing, wordlist）"]


def test_unknown_key_and_bad_thresholds_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[rule]]
id = "column.stale"
kind = "freshness"
target = "column"
treshold_key = "category"
[rule.thresholds]
news = { yellow = 14, red = 10 }
notice = { red = "soon" }
""")
    with pytest.raises(ConfigError) as info:
        load_rules([path])
    problems = info.value.problems
    assert any(p.startswith("custom.toml: rule[0](column.stale).treshold_key: 未知的键") for p in problems)
    assert "custom.toml: rule[0](column.stale).thresholds.news: yellow (14) 应小于 red (10)" in problems
    assert "custom.toml: rule[0](column.stale).thresholds.notice: 天数应为正整数" in problems


def test_duplicate_rule_ids_across_files(tmp_path: Path) -> None:
    text = '[[rule]]\nid = "column.blank"\nkind = "blank"\ntarget = "column"\nseverity = "red"\n'
    with pytest.raises(ConfigError, match="已在"):
        load_rules([write(tmp_path, text), *rules_dir().glob("columns.toml")])


def test_disabled_rule_is_not_applied(tmp_path: Path) -> None:
    text = '[[rule]]\nid = "column.blank"\nkind = "blank"\ntarget = "column"\nseverity = "red"\nenabled = false\n'
    rules = load_rules([write(tmp_path, text)])
    assert rules.evaluate([column("news", None, blank=True)], TODAY) == []


def test_source_failing_after_two_rounds_goes_to_office(rules) -> None:
    from monitor.domain import InspectionError

    error = InspectionError(TargetRef("column", "c1", "政务要闻", "http://x/"), "fgj", "HTTP 404 Not Found")
    assert rules.evaluate_errors([error], {("column", "c1"): 1}, "xzfb") == []
    [finding] = rules.evaluate_errors([error], {("column", "c1"): 2}, "xzfb")
    assert (finding.rule, finding.severity, finding.unit) == ("source.failing", "yellow", "xzfb")
    assert finding.message == ("栏目“政务要闻”已连续2轮无法检查（HTTP 404 Not Found），"
                               "巡检程序看不到它，请核实网址或配置")
    assert finding.evidence == {"error": "HTTP 404 Not Found", "rounds": 2, "unit": "fgj"}


def test_wordlist_rule_needs_existing_files(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rule]]\nid = "w"\nkind = "wordlist"\ntarget = "page"\nseverity = "red"\n'
                           'wordlists = ["lists/*.txt"]\n')
    with pytest.raises(ConfigError) as info:
        load_rules([path])
    assert info.value.problems == ["custom.toml: rule[0](w).wordlists: 'lists/*.txt' 没有匹配任何文件"]
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "county.txt").write_text("某某错误 => 某某正确\n", encoding="utf-8")
    rules = load_rules([path])
    assert rules.of_kind("wordlist")[0].base == tmp_path


def test_broken_link_colour_depends_on_the_homepage() -> None:
    rules = load_rules(sorted(rules_dir().glob("*.toml")))
    facts = {"broken": True, "status": 404, "error": "HTTP 404", "on_homepage": True, "site": "portal",
             "sources": [{"url": "http://h/", "text": "领导之窗"}], "sources_total": 1}
    obs = Observation(TargetRef("link", "http://h/x.html", "领导之窗", "http://h/x.html"), "xzfb", facts=facts)
    [red] = rules.evaluate([obs], date(2026, 11, 26))
    assert (red.rule, red.severity) == ("link.broken", "red")
    assert red.message == "失效链接（首页）“领导之窗”（HTTP 404）：http://h/x.html，共 1 个页面引用"
    obs.facts["on_homepage"] = False
    [yellow] = rules.evaluate([obs], date(2026, 11, 26))
    assert yellow.severity == "yellow" and yellow.evidence["pages"] == facts["sources"]
    obs.facts["broken"] = False
    assert rules.evaluate([obs], date(2026, 11, 26)) == []
