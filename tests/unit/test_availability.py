"""site.unreachable from probe history: the shipped thresholds at their boundaries (DESIGN §3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.domain import Probe, TargetRef
from monitor.errors import ConfigError
from monitor.resources import rules_dir
from monitor.rules import RuleSet, load_rules

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SITE = TargetRef("site", "portal", "测试县人民政府", "http://www.example.gov.cn/")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(sorted(rules_dir().glob("*.toml")))


def history(total: int, failed: int, *, slow: int = 0, step: timedelta = timedelta(minutes=10)) -> list[Probe]:
    """``total`` probes back from NOW, ``step`` apart; the first ``failed`` fail, the next ``slow`` take 20 s."""
    probes = []
    for n in range(total):
        at = NOW - n * step
        if n < failed:
            probes.append(Probe(at, False, 15.0, None, "15 秒内无响应"))
        elif n < failed + slow:
            probes.append(Probe(at, True, 20.0, 200))
        else:
            probes.append(Probe(at, True, 0.4, 200))
    return probes


def judged(rules: RuleSet, probes: list[Probe]) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in rules.evaluate_probes(SITE, "xzfb", probes, NOW)]


@pytest.mark.parametrize(("total", "failed", "expected"), [
    (1000, 0, []),
    (1000, 29, []),                                         # 2.9 %
    (1000, 30, [("site.unreachable", "yellow")]),           # 3 %
    (1000, 49, [("site.unreachable", "yellow")]),           # 4.9 %
    (1000, 50, [("site.unreachable", "red")]),              # 5 %
    (1000, 1000, [("site.unreachable", "red")]),
])
def test_share_boundaries(rules: RuleSet, total: int, failed: int, expected: list[tuple[str, str]]) -> None:
    assert judged(rules, history(total, failed)) == expected        # every 10 minutes: all within the week


@pytest.mark.parametrize(("failed", "expected"), [
    (5, []),                                                # 2.98 %
    (6, [("site.unreachable", "yellow")]),                  # 3.57 %
    (9, [("site.unreachable", "red")]),                     # 5.36 %
])
def test_a_week_of_hourly_probes(rules: RuleSet, failed: int, expected: list[tuple[str, str]]) -> None:
    assert judged(rules, history(168, failed, step=timedelta(hours=1))) == expected


def test_nothing_before_a_days_worth_of_probes(rules: RuleSet) -> None:
    assert judged(rules, history(19, 19)) == []                                   # every one failed, still too few
    assert judged(rules, history(20, 1)) == [("site.unreachable", "red")]          # 20 probes: 5 %
    assert judged(rules, history(20, 0)) == []


def test_slow_answers_count_as_unreachable(rules: RuleSet) -> None:
    assert judged(rules, history(100, 0, slow=5)) == [("site.unreachable", "red")]
    exactly_15 = [Probe(NOW - timedelta(hours=n), True, 15.0, 200) for n in range(100)]
    assert judged(rules, exactly_15) == []                                        # "over 15 s" means > 15


def test_only_the_last_seven_days_count(rules: RuleSet) -> None:
    old_failures = [Probe(NOW - timedelta(days=7, minutes=n), False, 15.0, None, "x") for n in range(50)]
    recent = history(100, 0, step=timedelta(hours=1))
    assert judged(rules, old_failures + recent) == []
    future = [Probe(NOW + timedelta(hours=n + 1), False, 15.0, None, "x") for n in range(50)]   # --now in the past
    assert judged(rules, recent + future) == []


def test_finding_carries_evidence_a_person_can_check(rules: RuleSet) -> None:
    finding = rules.evaluate_probes(SITE, "xzfb", history(1000, 30), NOW)[0]
    assert finding.message == "网站“测试县人民政府”近7天首页监测1000次，30次无法访问或超过15秒（3%，预警线3%，红线5%）"
    assert finding.unit == "xzfb" and finding.target == SITE
    ev = finding.evidence
    assert (ev["probes"], ev["failed"], ev["share_percent"], ev["window_days"]) == (1000, 30, 3.0, 7)
    assert len(ev["recent_failures"]) == 5
    assert ev["recent_failures"][-1] == {"at": NOW.isoformat(), "status": None, "reason": "15 秒内无响应"}


def test_share_is_truncated_not_rounded_up(rules: RuleSet) -> None:
    finding = rules.evaluate_probes(SITE, "xzfb", history(10000, 499, step=timedelta(seconds=30)), NOW)[0]  # 4.99 %
    assert finding.severity == "yellow" and "（4.99%，" in finding.message


def test_probe_window_comes_from_the_rule(rules: RuleSet) -> None:
    assert rules.probe_window() == timedelta(days=7)
    assert RuleSet([]).probe_window() is None


def test_bad_availability_rule_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text('[[rule]]\nid = "a"\nkind = "availability"\ntarget = "site"\nwindow_days = 0\nslow_s = 15\n'
                    'min_probes = 20\nyellow_percent = 5\nred_percent = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules([path])
    assert info.value.problems == [
        "custom.toml: rule[0](a).window_days: 应为正整数，实际为 0",
        "custom.toml: rule[0](a).yellow_percent (5) 应小于 red_percent (3)，且不超过 100"]
