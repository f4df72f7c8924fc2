"""Rule kinds: the code behind each ``kind =`` of a rule file.

A kind declares the parameters it accepts (so rule files can be validated with
helpful messages) and judges one observation at a time, purely: the same rule,
observation and date always give the same finding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from monitor.clock import days_between
from monitor.config import CATEGORIES, PLATFORMS
from monitor.domain import Finding, InspectionError, Observation, Probe, Severity, TargetRef

if TYPE_CHECKING:
    from monitor.rules import Rule

SEVERITIES = ("yellow", "red")


@dataclass(frozen=True)
class RuleContext:
    rule: Rule
    observation: Observation
    today: date


class RuleKind(Protocol):
    keys: dict[str, str]

    def validate(self, params: dict[str, Any]) -> list[str]: ...

    def evaluate(self, ctx: RuleContext) -> Finding | None: ...


class _SafeDict(dict[str, Any]):
    """Leaves an unknown ``{placeholder}`` visible instead of failing the whole round."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def make_finding(ctx: RuleContext, severity: Severity, evidence: dict[str, Any], **words: Any) -> Finding:
    """A finding whose message may use ``{name}``, ``{url}``, the observation's facts
    (``{platform_name}``, ``{category}`` …), the evidence and the kind's own words."""
    obs = ctx.observation
    values = _SafeDict(obs.facts)
    values.update(name=obs.target.name or obs.target.id, url=obs.target.url)
    values.update(evidence)
    values.update(words)
    message = ctx.rule.message.format_map(values) if ctx.rule.message else ctx.rule.title
    return Finding(ctx.rule.id, severity, obs.target, obs.unit, message, evidence)


def _check_severity(params: dict[str, Any], key: str = "severity") -> list[str]:
    value = params.get(key)
    if value not in SEVERITIES:
        return [f"{key}: {value!r} 不是可选值之一: yellow, red"]
    return []


class Freshness:
    """Stale when the newest dated item is ≥ N days old; N per category/platform (``threshold_key``).

    ``labels`` names each colour for the message (``{label}``: “睡眠”/“僵尸” for accounts);
    ``evidence`` lists observation facts copied into the evidence (an account's feed URL …).
    """

    keys: ClassVar[dict[str, str]] = {"thresholds": "各类别的 { yellow = 天数, red = 天数 }；default 为缺省",
            "threshold_key": "按观测的哪个属性取阈值（category、platform）",
            "labels": "各颜色的称呼 { yellow = …, red = … }，消息中写 {label}",
            "evidence": "写入证据的观测属性（如 feed、undated）"}
    #: The values a threshold table may name, per ``threshold_key``; "default" always.
    KEY_VALUES: ClassVar[dict[str, tuple[str, ...]]] = {"category": CATEGORIES, "platform": PLATFORMS}

    def validate(self, params: dict[str, Any]) -> list[str]:
        table = params.get("thresholds")
        if not isinstance(table, dict) or not table:
            return ["thresholds: 缺少阈值表"]
        return self._check_table(table, params.get("threshold_key")) + self._check_extras(params)

    def _check_table(self, table: dict[str, Any], key: str | None) -> list[str]:
        problems: list[str] = []
        allowed = self.KEY_VALUES.get(key or "")
        for name in table:
            if allowed is not None and name != "default" and name not in allowed:
                problems.append(f"thresholds.{name}: 不是 {key} 的可选值之一: default, {', '.join(allowed)}")
        for name, line in table.items():
            if not isinstance(line, dict) or set(line) - {"yellow", "red"} or "red" not in line:
                problems.append(f"thresholds.{name}: 应为 {{ yellow = 天数, red = 天数 }}")
                continue
            if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in line.values()):
                problems.append(f"thresholds.{name}: 天数应为正整数")
            elif line.get("yellow", 0) >= line["red"]:
                problems.append(f"thresholds.{name}: yellow ({line['yellow']}) 应小于 red ({line['red']})")
        return problems

    @staticmethod
    def _check_extras(params: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        labels = params.get("labels", {})
        if not isinstance(labels, dict) or set(labels) - set(SEVERITIES) or \
                not all(isinstance(v, str) for v in labels.values()):
            problems.append("labels: 应为 { yellow = \"…\", red = \"…\" }")
        evidence = params.get("evidence", [])
        if not isinstance(evidence, list) or not all(isinstance(v, str) for v in evidence):
            problems.append("evidence: 应为字符串数组（观测属性名）")
        return problems

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        obs = ctx.observation
        if obs.blank:
            return None                     # a blank column is column.blank, never also stale
        line = self.line_for(ctx.rule.params, obs)
        newest = obs.latest_item
        if line is None or newest is None or newest.date is None:
            return None
        days = days_between(newest.date, ctx.today)
        red, yellow = line["red"], line.get("yellow")
        if days >= red:
            severity: Severity = "red"
            limits = f"红线{red}天"
        elif yellow is not None and days >= yellow:
            severity = "yellow"
            limits = f"预警线{yellow}天，红线{red}天"
        else:
            return None
        evidence = {"latest": newest.date.isoformat(), "days": days, "yellow_days": yellow, "red_days": red,
                    "latest_title": newest.title, "latest_url": newest.url}
        evidence |= {k: obs.facts[k] for k in ctx.rule.params.get("evidence", []) if obs.facts.get(k) is not None}
        label = ctx.rule.params.get("labels", {}).get(severity, "")
        return make_finding(ctx, severity, evidence, limits=limits, label=label)

    @staticmethod
    def line_for(params: dict[str, Any], obs: Observation) -> dict[str, int] | None:
        table: dict[str, dict[str, int]] = params["thresholds"]
        key = params.get("threshold_key")
        value = obs.facts.get(key) if key else None
        if value is not None and value in table:
            return table[value]
        return table.get("default")


class Blank:
    """The page says it lists nothing (空白栏目)."""

    keys: ClassVar[dict[str, str]] = {"severity": "yellow | red"}

    def validate(self, params: dict[str, Any]) -> list[str]:
        return _check_severity(params)

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        if not ctx.observation.blank:
            return None
        return make_finding(ctx, ctx.rule.params["severity"], {"items": 0})


KIND_NAMES = {"site": "网站", "column": "栏目", "account": "账号", "page": "页面", "link": "链接",
              "policy": "政策文件"}


def kind_name(kind: str, facts: dict[str, Any]) -> str:
    """What people call a target: its platform for an account (微信公众号), else its kind (栏目)."""
    return str(facts.get("platform_name") or KIND_NAMES.get(kind, kind))


class SourceFailing:
    """A target that could not be inspected in ``rounds`` rounds in a row: the monitor is blind to it.

    Judged from errors, not observations; the finding goes to the office's own unit.
    """

    keys: ClassVar[dict[str, str]] = {"severity": "yellow | red", "rounds": "连续几轮无法检查即提醒"}

    def validate(self, params: dict[str, Any]) -> list[str]:
        rounds = params.get("rounds")
        bad = not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1
        return _check_severity(params) + (["rounds: 应为正整数"] if bad else [])

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        return None

    def evaluate_error(self, rule: Rule, error: InspectionError, streak: int, office_unit: str) -> Finding | None:
        if streak < rule.params["rounds"]:
            return None
        target = error.target
        values = _SafeDict(error.facts)
        values.update(name=target.name or target.id, url=target.url, kind_name=kind_name(target.kind, error.facts),
                      rounds=streak, error=error.error)
        evidence = {"error": error.error, "rounds": streak, "unit": error.unit} | error.facts
        return Finding(rule.id, rule.params["severity"], target, office_unit or error.unit,
                       rule.message.format_map(values), evidence)


def _positive_int(params: dict[str, Any], key: str) -> list[str]:
    value = params.get(key)
    bad = not isinstance(value, int) or isinstance(value, bool) or value < 1
    return [f"{key}: 应为正整数，实际为 {value!r}"] if bad else []


class _PolicyKind:
    """Shared by the policy.* kinds: they judge document observations (``facts["policy"]``) only;
    exempt documents and those outside the window never make a finding."""

    keys: ClassVar[dict[str, str]] = {"severity": "yellow | red"}

    def validate(self, params: dict[str, Any]) -> list[str]:
        return _check_severity(params)

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        facts = ctx.observation.facts.get("policy")
        if not facts or facts["status"] in ("exempt", "outside"):
            return None
        return self.judge(ctx, facts)

    def judge(self, ctx: RuleContext, facts: dict[str, Any]) -> Finding | None:
        raise NotImplementedError


class PolicyNoInterpretation(_PolicyKind):
    """No interpretation found by any means: no link either way, no title in the interpretation columns."""

    def judge(self, ctx: RuleContext, facts: dict[str, Any]) -> Finding | None:
        if facts["status"] != "none":
            return None
        doc = facts["document"]
        evidence = {"document": doc, "interpretation": None, "missing": "interpretation",
                    "missing_text": "文件页面没有解读链接，政策解读栏目中也没有链接到它或标题相符的解读",
                    "candidates": facts["candidates"]}
        return make_finding(ctx, ctx.rule.params["severity"], evidence, date=doc["date"])


class PolicyOneWay(_PolicyKind):
    """An interpretation exists but the pages are not linked both ways (one way, or paired by title only)."""

    def judge(self, ctx: RuleContext, facts: dict[str, Any]) -> Finding | None:
        broken = [p for p in facts["interpretations"] if p["missing"]]
        if not broken:
            return None
        pair = broken[0]
        evidence = {"document": facts["document"], "interpretation": pair, "missing": pair["missing"],
                    "missing_text": pair["missing_text"], "interpretations": facts["interpretations"]}
        return make_finding(ctx, ctx.rule.params["severity"], evidence, date=facts["document"]["date"],
                            interpretation_title=pair["title"], interpretation_date=pair["date"])


class PolicyLate(_PolicyKind):
    """The first interpretation came out more than ``days`` days after the document (同步发布)."""

    keys: ClassVar[dict[str, str]] = {"severity": "yellow | red", "days": "解读晚于文件多少天以上算不同步"}

    def validate(self, params: dict[str, Any]) -> list[str]:
        return _check_severity(params) + _positive_int(params, "days")

    def judge(self, ctx: RuleContext, facts: dict[str, Any]) -> Finding | None:
        lag, days = facts["lag_days"], ctx.rule.params["days"]
        if lag is None or lag <= days:
            return None
        first = facts["first"]
        evidence = {"document": facts["document"], "interpretation": first, "lag_days": lag, "days": days}
        return make_finding(ctx, ctx.rule.params["severity"], evidence, date=facts["document"]["date"],
                            interpretation_title=first["title"], interpretation_date=first["date"], lag=lag)


def _positive(params: dict[str, Any], key: str, types: tuple[type, ...] = (int,)) -> list[str]:
    value = params.get(key)
    if not isinstance(value, types) or isinstance(value, bool) or value <= 0:
        return [f"{key}: 应为正{'整数' if types == (int,) else '数'}，实际为 {value!r}"]
    return []


class Availability:
    """Share of homepage probes in a window that failed or were slow (站点无法访问).

    Judged from the stored probe history, not from an observation: a site whose homepage
    cannot be read this round is still judged. Nothing is said before ``min_probes``
    probes exist in the window (one day's worth): a few early failures prove nothing.
    Percentages are compared exactly (fractions), so 3 % of 1000 is yellow and 2.9 % is not.
    """

    keys: ClassVar[dict[str, str]] = {
        "window_days": "统计最近几天的探测", "slow_s": "超过多少秒算无法访问",
        "min_probes": "窗口内至少有多少次探测才判定（一天的量）",
        "yellow_percent": "黄色预警比例（%）", "red_percent": "红色通报比例（%）"}
    RECENT_FAILURES = 5

    def validate(self, params: dict[str, Any]) -> list[str]:
        problems = _positive(params, "window_days") + _positive(params, "min_probes")
        problems += _positive(params, "slow_s", (int, float))
        percents = [_positive(params, k, (int, float)) for k in ("yellow_percent", "red_percent")]
        problems += percents[0] + percents[1]
        if not any(percents) and not params["yellow_percent"] < params["red_percent"] <= 100:
            problems.append(f"yellow_percent ({params['yellow_percent']}) 应小于 red_percent "
                            f"({params['red_percent']})，且不超过 100")
        return problems

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        return None

    def window(self, params: dict[str, Any]) -> timedelta:
        return timedelta(days=params["window_days"])

    def evaluate_probes(self, rule: Rule, site: TargetRef, unit: str, probes: Sequence[Probe],
                        now: datetime) -> Finding | None:
        params = rule.params
        since = now - self.window(params)
        counted = [p for p in probes if since < p.at <= now]
        if len(counted) < params["min_probes"]:
            return None
        bad = sorted((p for p in counted if not p.ok or p.seconds > params["slow_s"]), key=lambda p: p.at)
        share = Fraction(len(bad), len(counted)) * 100
        red, yellow = Fraction(str(params["red_percent"])), Fraction(str(params["yellow_percent"]))
        if share >= red:
            severity: Severity = "red"
            limits = f"红线{params['red_percent']:g}%"
        elif share >= yellow:
            severity = "yellow"
            limits = f"预警线{params['yellow_percent']:g}%，红线{params['red_percent']:g}%"
        else:
            return None
        shown = _percent(share)
        evidence = {"probes": len(counted), "failed": len(bad), "share_percent": float(shown),
                    "window_days": params["window_days"], "since": since.isoformat(), "slow_s": params["slow_s"],
                    "yellow_percent": params["yellow_percent"], "red_percent": params["red_percent"],
                    "recent_failures": [_failure(p) for p in bad[-self.RECENT_FAILURES:]]}
        values = _SafeDict(name=site.name or site.id, url=site.url, share=shown, limits=limits, **evidence)
        message = rule.message.format_map(values) if rule.message else rule.title
        return Finding(rule.id, severity, site, unit, message, evidence)


def _percent(share: Fraction) -> str:
    """Truncated (never rounded up across a line) to two decimals: 4.999… shows as 4.99."""
    text = f"{math.floor(share * 100) / 100:.2f}"
    return text.rstrip("0").rstrip(".")


def _failure(probe: Probe) -> dict[str, Any]:
    reason = probe.error if not probe.ok else f"响应用时 {probe.seconds:.1f} 秒"
    return {"at": probe.at.isoformat(), "status": probe.status, "reason": reason}


KINDS: dict[str, RuleKind] = {
    "freshness": Freshness(),
    "blank": Blank(),
    "source_failing": SourceFailing(),
    "policy_no_interpretation": PolicyNoInterpretation(),
    "policy_one_way_link": PolicyOneWay(),
    "policy_late": PolicyLate(),
    "availability": Availability(),
}
