"""Configuration: every error kind is reported with its key path, all at once."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from monitor.config import load_config, parse_config
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
[[units]]
id = "xzfb"
name = "县政府办"

[[sites]]
id = "portal"
name = "示例县人民政府"
url = "http://www.example.gov.cn/"
unit = "xzfb"

[[columns]]
id = "zwyw"
site = "portal"
name = "政务要闻"
url = "http://www.example.gov.cn/zwyw/"
category = "news"
unit = "xzfb"
"""


def load_text(tmp_path: Path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=env or {})


def problems_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text, env)
    return info.value.problems


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    config = load_text(tmp_path, MINIMAL)
    assert config.monitor.timezone == "Asia/Shanghai"
    assert config.monitor.recheck_time == time(9, 0)
    assert config.crawl.concurrency == 16
    assert config.schedule.round == "mon 02:00"
    assert config.columns[0].category == "news"
    assert config.office_unit == "xzfb"
    assert config.base_dir == tmp_path.resolve()


def test_shipped_example_config_is_valid() -> None:
    config = load_config(REPO / "config.toml", env={})
    assert len(config.columns) >= 5
    assert {c.category for c in config.columns} >= {"news", "notice", "policy", "static"}


def test_unknown_category_names_key_path_and_choices(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL.replace('category = "news"', 'category = "newz"'))
    assert len(problems) == 1
    assert problems[0].startswith("columns[0].category: 'newz' 不是可选值之一: news, notice, policy")


def test_unknown_keys_are_listed_with_known_ones(tmp_path: Path) -> None:
    text = MINIMAL + '\n[crawl]\nconcurency = 4\n\n[bogus]\nx = 1\n'
    problems = problems_of(tmp_path, text)
    assert any(p.startswith("crawl.concurency: 未知的配置项（可用: concurrency, per_host") for p in problems)
    assert any(p.startswith("bogus: 未知的配置项") for p in problems)


def test_wrong_types(tmp_path: Path) -> None:
    text = MINIMAL + '\n[crawl]\nconcurrency = "many"\ntimeout_s = true\n\n[monitor]\nworking_days_only = "yes"\n'
    problems = problems_of(tmp_path, text)
    assert "crawl.concurrency: 应为整数，实际为 'many'" in problems
    assert any(p.startswith("crawl.timeout_s: 应为整数 或 数字") for p in problems)
    assert any(p.startswith("monitor.working_days_only: 应为true/false") for p in problems)


def test_unknown_references_and_duplicates(tmp_path: Path) -> None:
    text = MINIMAL + """
[[columns]]
id = "zwyw"
site = "nosite"
name = "重复"
url = "http://www.example.gov.cn/x/"
category = "notice"
unit = "nobody"
"""
    problems = problems_of(tmp_path, text)
    assert "columns[1].id: 'zwyw' 与 columns[0] 重复" in problems
    assert any(p.startswith("columns[1].unit: 未定义的单位 'nobody'（[[units]] 中有: xzfb）") for p in problems)
    assert any(p.startswith("columns[1].site: 未定义的网站 'nosite'") for p in problems)


def test_bad_url_missing_key_and_bad_schedule_reported_together(tmp_path: Path) -> None:
    text = MINIMAL.replace('url = "http://www.example.gov.cn/zwyw/"', 'url = "www.example.gov.cn/zwyw/"')
    text = text.replace('name = "县政府办"\n', "")
    text += '\n[schedule]\nround = "monday at two"\nprobe = "every 0s"\n'
    problems = problems_of(tmp_path, text)
    assert any(p.startswith("columns[0].url: 'www.example.gov.cn/zwyw/' 不是有效的 http(s) 地址") for p in problems)
    assert "units[0].name: 缺少必填项" in problems
    assert any(p.startswith("schedule.round: 'monday at two' 不是有效的计划") for p in problems)
    assert any(p.startswith("schedule.probe:") for p in problems)
    assert len(problems) == 4


def test_env_substitution_and_missing_variable(tmp_path: Path) -> None:
    text = MINIMAL + '\n[notify.dingtalk]\nwebhook = "${HOOK}"\nsecret = "${DING_SECRET}"\n'
    config = load_text(tmp_path, text, {"HOOK": "https://oapi.dingtalk.com/robot/send?access_token=x",
                                         "DING_SECRET": "SECabc"})
    assert config.notify.dingtalk is not None
    assert config.notify.dingtalk.secret == "SECabc"
    problems = problems_of(tmp_path, text, {"HOOK": "https://oapi.dingtalk.com/robot/send"})
    assert problems == ["notify.dingtalk.secret: 环境变量 DING_SECRET 未设置（密钥等应通过环境变量提供）"]


def test_account_needs_exactly_one_source(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[accounts]]\nid = "wx"\nplatform = "wechat"\nname = "示例发布"\nunit = "xzfb"\n'
    assert problems_of(tmp_path, text) == ["accounts[0]: feed 与 page 必须且只能填写一个"]
    problems = problems_of(tmp_path, text.replace('"wechat"', '"myspace"') + 'feed = "http://rss.x/a.xml"\n')
    assert problems[0].startswith("accounts[0].platform: 'myspace' 不是可选值之一: wechat, weibo")


def test_ids_must_be_unique_across_target_kinds(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL.replace('id = "zwyw"', 'id = "portal"'))
    assert any(p.startswith("columns[0].id: 'portal' 已被 sites[0] 使用") for p in problems)


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "[[units]\n")[0].startswith("不是有效的 TOML")
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_config(tmp_path / "nope.toml", env={})


def test_parse_config_reports_everything_in_report_form() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"monitor": {"timezone": "Mars/Base", "recheck_time": "25:00"}}, base_dir=Path("."), env={})
    report = info.value.report()
    assert "monitor.timezone: 'Mars/Base' 不是有效的时区" in report
    assert "monitor.recheck_time: '25:00' 不是有效的时刻" in report
    assert report.splitlines()[0] == "配置有 2 处错误:"


def test_policy_section_defaults_and_overrides(tmp_path: Path) -> None:
    config = load_text(tmp_path, MINIMAL)
    assert (config.policy.window_days, config.policy.max_pages) == (365, 2000)
    assert "任免" in config.policy.exempt_title_keywords and "一图读懂" in config.policy.graphic_keywords
    config = load_text(tmp_path, MINIMAL + '\n[policy]\nwindow_days = 180\nexempt_url_patterns = ["*/rsrm/*"]\n')
    assert (config.policy.window_days, config.policy.exempt_url_patterns) == (180, ("*/rsrm/*",))


def test_policy_section_problems_name_their_key_paths(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, MINIMAL + '\n[policy]\nwindow_days = 0\nmax_pages = "many"\n'
                           'exempt_title_keywords = ["任免", " "]\nvideo_words = ["视频"]\n')
    assert "policy.window_days: 应为正整数，实际为 0" in problems
    assert any(p.startswith("policy.max_pages: 应为整数") for p in problems)
    assert "policy.exempt_title_keywords[1]: 不能为空字符串（空词会匹配一切）" in problems
    assert any(p.startswith("policy.video_words: 未知的配置项") and "video_keywords" in p for p in problems)


def test_crawl_keys_are_validated_with_key_paths(tmp_path: Path) -> None:
    text = MINIMAL.replace('unit = "xzfb"\n\n[[columns]]', 'unit = "xzfb"\nhosts = ["www.example.gov.cn", "http://bad/"]\n\n'
                           '[[columns]]', 1)
    text = "[crawl]\nmax_depth = 0\nmax_external = -1\nmax_links_per_page = 10\ncheck_external = \"yes\"\n" + text
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    problems = info.value.problems
    assert "crawl.max_depth: 应为正整数，实际为 0" in problems
    assert "crawl.max_external: 不能为负数" in problems
    assert any(p.startswith("crawl.check_external: 应为true/false") for p in problems)
    assert any(p.startswith("sites[0].hosts[1]: 'http://bad/' 不是有效的主机名") for p in problems)


def test_crawl_defaults_and_hosts(tmp_path: Path) -> None:
    text = MINIMAL.replace('unit = "xzfb"\n\n[[columns]]', 'unit = "xzfb"\nhosts = ["www.example.gov.cn", '
                           '"zwgk.example.gov.cn:8080"]\n\n[[columns]]', 1)
    config = load_text(tmp_path, text)
    assert config.sites[0].hosts == ("www.example.gov.cn", "zwgk.example.gov.cn:8080")
    crawl = config.crawl
    assert (crawl.enabled, crawl.max_depth, crawl.max_links_per_page, crawl.check_external) == (True, 30, 20000, True)
    assert (crawl.max_external, crawl.external_concurrency, crawl.allow_private) == (2000, 4, False)
