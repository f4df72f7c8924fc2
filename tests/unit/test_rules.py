"""The rule engine: shipped thresholds at their boundaries, and rule-file validation."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from monitor.config import PLATFORM_NAMES
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
    [finding] = rules.evaluate([column("news", 21)], TODAY)
    assert finding.evidence["latest"] == (TODAY - timedelta(days=21)).isoformat()
    assert finding.evidence["days"] == 21
    assert finding.evidence["red_days"] == 14
    assert finding.message == "栏目“政务要闻”已21天未更新（红线14天）"


def test_yellow_message_names_both_lines(rules) -> None:
    [finding] = rules.evaluate([column("news", 11)], TODAY)
    assert finding.message == "栏目“政务要闻”已11天未更新（预警线10天，红线14天）"
    assert finding.evidence["latest_url"] == "http://x/new.html"


def test_blank_column_is_blank_and_never_also_stale(rules) -> None:
    assert judged(rules, column("news", None, blank=True)) == [("column.blank", "red")]
    assert judged(rules, column("static", None, blank=True)) == [("column.blank", "red")]


def test_homepage_stale_uses_site_observations(rules) -> None:
    site = Observation(TargetRef("site", "portal", "示例县人民政府", "http://x/"), "xzfb",
                       [Item("要闻", "http://x/a.html", TODAY - timedelta(days=14))])
    findings = list(rules.evaluate([site], TODAY))
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
        "custom.toml: rule[0](x.y).kind: 未知的判定方式 'magic'（可用: availability, blank, broken_link, freshness, "
        "policy_late, policy_no_interpretation, policy_one_way_link, privacy, source_failing, wordlist）"]


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
    assert list(rules.evaluate([column("news", None, blank=True)], TODAY)) == []


def test_source_failing_after_two_rounds_goes_to_office(rules) -> None:
    from monitor.domain import InspectionError

    error = InspectionError(TargetRef("column", "c1", "政务要闻", "http://x/"), "fgj", "HTTP 404 Not Found")
    assert rules.evaluate_errors([error], {("column", "c1"): 1}, "xzfb") == []
    [finding] = rules.evaluate_errors([error], {("column", "c1"): 2}, "xzfb")
    assert (finding.rule, finding.severity, finding.unit) == ("source.failing", "yellow", "xzfb")
    assert finding.message == ("栏目“政务要闻”已连续2轮无法检查（HTTP 404 Not Found），"
                               "巡检程序看不到它，请核实网址或配置")
    assert finding.evidence == {"error": "HTTP 404 Not Found", "rounds": 2, "unit": "fgj"}


# ---- accounts (account.stale: “睡眠” / “僵尸”) ----------------------------------------------


def account(platform: str, age_days: int, **facts: object) -> Observation:
    items = [
        Item("置顶：账号简介", "https://weibo.com/1/pinned", TODAY - timedelta(days=age_days + 300)),
        Item("最新一条", "https://weibo.com/1/new", TODAY - timedelta(days=age_days)),
        Item("无日期的一条", "https://weibo.com/1/undated", None),
    ]
    base = {"platform": platform, "platform_name": PLATFORM_NAMES[platform],
            "feed": "http://rsshub.example.gov.cn/weibo/user/1", "undated": 1, "ignored": 0, "format": "rss20"}
    return Observation(TargetRef("account", "wb-fabu", "示例发布", "http://rsshub.example.gov.cn/weibo/user/1"),
                       "xcb", items, facts=base | facts)


@pytest.mark.parametrize("platform", ["wechat", "weibo", "douyin", "toutiao", "bilibili", "kuaishou", "other"])
@pytest.mark.parametrize(("age", "expected"), [
    (9, []),
    (10, [("account.stale", "yellow")]),
    (13, [("account.stale", "yellow")]),
    (14, [("account.stale", "red")]),
])
def test_account_stale_boundaries(rules, platform: str, age: int, expected: list[tuple[str, str]]) -> None:
    assert judged(rules, account(platform, age)) == expected


def test_account_messages_name_platform_and_kind_of_account(rules) -> None:
    [red] = rules.evaluate([account("wechat", 15)], TODAY)
    assert red.message == "微信公众号“示例发布”已15天未更新（红线14天，“僵尸”账号）"
    [yellow] = rules.evaluate([account("weibo", 11)], TODAY)
    assert yellow.message == "微博“示例发布”已11天未更新（预警线10天，红线14天，“睡眠”账号）"


def test_account_evidence_carries_newest_post_and_feed(rules) -> None:
    [finding] = rules.evaluate([account("douyin", 20)], TODAY)
    assert finding.evidence == {
        "latest": (TODAY - timedelta(days=20)).isoformat(), "days": 20, "yellow_days": 10, "red_days": 14,
        "latest_title": "最新一条", "latest_url": "https://weibo.com/1/new",
        "platform": "douyin", "platform_name": "抖音", "feed": "http://rsshub.example.gov.cn/weibo/user/1",
        "undated": 1, "ignored": 0}
    assert finding.target.kind == "account" and finding.unit == "xcb"


def test_account_thresholds_overridable_per_platform(tmp_path: Path) -> None:
    shipped = (rules_dir() / "accounts.toml").read_text(encoding="utf-8")
    custom = write(tmp_path, shipped.replace("default = { yellow = 10, red = 14 }",
                                             "default = { yellow = 10, red = 14 }\nweibo = { yellow = 5, red = 7 }"))
    rules = load_rules([custom])
    assert judged(rules, account("weibo", 7)) == [("account.stale", "red")]
    assert judged(rules, account("weibo", 5)) == [("account.stale", "yellow")]
    assert judged(rules, account("wechat", 7)) == []
    [finding] = rules.evaluate([account("weibo", 8)], TODAY)
    assert finding.message == "微博“示例发布”已8天未更新（红线7天，“僵尸”账号）"


def test_threshold_names_must_be_platforms_or_categories(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[rule]]
id = "account.stale"
kind = "freshness"
target = "account"
threshold_key = "platform"
labels = { green = "x" }
evidence = "feed"
[rule.thresholds]
default = { yellow = 10, red = 14 }
wechta = { yellow = 5, red = 7 }
""")
    with pytest.raises(ConfigError) as info:
        load_rules([path])
    where = "custom.toml: rule[0](account.stale)"
    assert info.value.problems == [
        f"{where}.thresholds.wechta: 不是 platform 的可选值之一: default, wechat, weibo, douyin, toutiao, bilibili, "
        "kuaishou, other",
        f'{where}.labels: 应为 {{ yellow = "…", red = "…" }}',
        f"{where}.evidence: 应为字符串数组（观测属性名）"]


def test_source_failing_for_an_account_names_its_platform(rules) -> None:
    from monitor.domain import InspectionError

    facts = {"platform": "weibo", "platform_name": "微博", "feed": "http://rsshub.example.gov.cn/weibo/user/1"}
    error = InspectionError(TargetRef("account", "wb-fabu", "示例发布", facts["feed"]), "xcb",
                            "订阅地址返回的是网页而不是订阅源：需要登录", facts)
    [finding] = rules.evaluate_errors([error], {("account", "wb-fabu"): 2}, "xzfb")
    assert finding.message.startswith("微博“示例发布”已连续2轮无法检查（订阅地址返回的是网页而不是订阅源：需要登录）")
    assert finding.unit == "xzfb"
    assert finding.evidence["platform_name"] == "微博" and finding.evidence["unit"] == "xcb"


def policy_doc(status: str, *, lag: int | None = None, pairs: list[dict] | None = None) -> Observation:
    first = pairs[0] if pairs else None
    facts = {"policy": {"status": status, "candidates": 3, "lag_days": lag, "first": first,
                        "document": {"title": "关于印发《示例县办法》的通知", "url": "http://x/d.html",
                                     "date": "2026-11-01", "column": "zfwj", "column_name": "县政府文件"},
                        "exempt": None, "interpretations": pairs or []}}
    return Observation(TargetRef("policy", "http://x/d.html", "关于印发《示例县办法》的通知", "http://x/d.html"),
                       "xzfb", facts=facts)


def pair(missing: str | None, day: str = "2026-11-02") -> dict:
    texts = {"back_link": "解读页面没有链接回文件", None: ""}
    return {"title": "《示例县办法》解读", "url": "http://x/i.html", "date": day, "form": "text",
            "missing": missing, "missing_text": texts[missing]}


@pytest.mark.parametrize(("obs", "expected"), [
    (policy_doc("none"), [("policy.no_interpretation", "red")]),
    (policy_doc("both", lag=3, pairs=[pair(None)]), []),
    (policy_doc("both", lag=4, pairs=[pair(None, "2026-11-05")]), [("policy.late_interpretation", "yellow")]),
    (policy_doc("one_way", lag=0, pairs=[pair("back_link")]), [("policy.one_way_link", "yellow")]),
    (policy_doc("exempt"), []),
    (policy_doc("outside"), []),
])
def test_policy_rules(rules, obs: Observation, expected: list[tuple[str, str]]) -> None:
    assert judged(rules, obs) == expected


def test_policy_messages_name_the_document_and_the_missing_link(rules) -> None:
    [red] = rules.evaluate([policy_doc("none")], TODAY)
    assert red.message == "政策文件“关于印发《示例县办法》的通知”（2026-11-01发布）没有找到政策解读"
    [late] = rules.evaluate([policy_doc("both", lag=4, pairs=[pair(None, "2026-11-05")])], TODAY)
    assert late.message == ("政策文件“关于印发《示例县办法》的通知”2026-11-01发布，解读“《示例县办法》解读”"
                            "2026-11-05才发布，晚了4天（应同步发布，最多相差3天）")
    [one_way] = rules.evaluate([policy_doc("one_way", lag=1, pairs=[pair("back_link")])], TODAY)
    assert one_way.message.endswith("未双向关联：解读页面没有链接回文件")
    assert one_way.evidence["interpretation"]["url"] == "http://x/i.html"


def test_late_days_must_be_a_positive_integer(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rule]]\nid = "p.late"\nkind = "policy_late"\ntarget = "policy"\n'
                           'severity = "yellow"\ndays = 0\n')
    with pytest.raises(ConfigError) as info:
        load_rules([path])
    assert info.value.problems == ["custom.toml: rule[0](p.late).days: 应为正整数，实际为 0"]


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
    assert list(rules.evaluate([obs], date(2026, 11, 26))) == []
