"""The rule engine: rule files in ``rules/`` are data, this package applies them.

A rule file is TOML with ``[[rule]]`` tables. Each rule names a ``kind`` — the
code that judges it (see ``kinds.KINDS``) — the ``target`` kind it applies to,
and the kind's parameters (thresholds, severity, message). Files are validated
at load time; unknown keys and kinds are reported with the known ones, all at once.
"""

from __future__ import annotations

import glob
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.config import Config, resolve_path
from monitor.domain import Finding, InspectionError, Observation, Probe, TargetRef
from monitor.errors import ConfigError
from monitor.resources import rules_dir
from monitor.rules.kinds import KINDS, RuleContext
from monitor.rules.site_kinds import SITE_KINDS

KINDS.update(SITE_KINDS)

COMMON_KEYS = {"id": "规则 id", "kind": "判定方式", "target": "目标类型", "title": "指标名称",
               "message": "提示文字模板", "enabled": "是否启用"}
TARGET_KINDS = ("site", "column", "account", "page", "link", "policy", "any")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    target: str
    title: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    base: Path | None = None          # the rule file's folder: files a rule names are relative to it


@dataclass
class RuleSet:
    rules: list[Rule]

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def of_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]

    def evaluate(self, observations: Iterable[Observation], today: date) -> Iterator[Finding]:
        """Every finding the rules make of these observations, as each is judged (pure: no I/O, no clock)."""
        for obs in observations:
            for rule in self.rules:
                if rule.target not in ("any", obs.target.kind):
                    continue
                finding = KINDS[rule.kind].evaluate(RuleContext(rule, obs, today))
                if finding is not None:
                    yield finding

    def evaluate_errors(self, errors: Iterable[InspectionError], streaks: dict[tuple[str, str], int],
                        office_unit: str) -> list[Finding]:
        """Findings about targets that could not be inspected ``streaks[key]`` times in a row."""
        findings: list[Finding] = []
        for rule in self.rules:
            judge = getattr(KINDS[rule.kind], "evaluate_error", None)
            if judge is None:
                continue
            for error in errors:
                if rule.target in ("any", error.target.kind):
                    finding = judge(rule, error, streaks.get(error.target.key, 1), office_unit)
                    if finding is not None:
                        findings.append(finding)
        return findings

    def probe_window(self) -> timedelta | None:
        """How far back the probe-history rules look (None when no rule judges probes)."""
        windows = [KINDS[r.kind].window(r.params) for r in self.rules  # type: ignore[attr-defined]
                   if hasattr(KINDS[r.kind], "evaluate_probes")]
        return max(windows, default=None)

    def evaluate_probes(self, site: TargetRef, unit: str, probes: Sequence[Probe], now: datetime) -> list[Finding]:
        """Findings about a site from its homepage probes (site.unreachable)."""
        findings: list[Finding] = []
        for rule in self.rules:
            judge = getattr(KINDS[rule.kind], "evaluate_probes", None)
            if judge is not None and rule.target in ("any", site.kind):
                finding = judge(rule, site, unit, probes, now)
                if finding is not None:
                    findings.append(finding)
        return findings


def rule_paths(config: Config) -> list[Path]:
    """The files named by ``monitor.rules`` (globs relative to the config), or the shipped ones."""
    if not config.monitor.rules:
        return sorted(rules_dir().glob("*.toml"))
    paths: list[Path] = []
    for pattern in config.monitor.rules:
        matches = sorted(glob.glob(str(resolve_path(config, pattern))))
        if not matches:
            raise ConfigError([f"monitor.rules: {pattern!r} 没有匹配任何文件"], config.source)
        paths += [Path(m) for m in matches]
    return paths


def load_rules(paths: Iterable[Path]) -> RuleSet:
    problems: list[str] = []
    rules: list[Rule] = []
    for path in paths:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: 无法读取规则文件: {exc}")
            continue
        rules += _parse_file(data, Path(path), problems)
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(f"{rule.source}: 规则 {rule.id!r} 已在 {seen[rule.id]} 中定义")
        seen.setdefault(rule.id, rule.source)
    if problems:
        raise ConfigError(problems, "rules")
    return RuleSet([r for r in rules if r.params.get("enabled", True)])


def load_config_rules(config: Config) -> RuleSet:
    return load_rules(rule_paths(config))


def _parse_file(data: dict[str, Any], path: Path, problems: list[str]) -> list[Rule]:
    extra = set(data) - {"rule"}
    if extra:
        problems.append(f"{path}: 未知的顶层键 {sorted(extra)}（规则写在 [[rule]] 中）")
    rules = []
    for i, raw in enumerate(data.get("rule", [])):
        where = f"{path.name}: rule[{i}]"
        rule = _parse_rule(raw, where, path.parent, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _parse_rule(raw: dict[str, Any], where: str, base: Path, problems: list[str]) -> Rule | None:
    before = len(problems)
    for key in ("id", "kind", "target"):
        if not isinstance(raw.get(key), str):
            problems.append(f"{where}.{key}: 缺少必填项（字符串）")
    if len(problems) > before:
        return None
    where = f"{where}({raw['id']})"
    kind = KINDS.get(raw["kind"])
    if kind is None:
        problems.append(f"{where}.kind: 未知的判定方式 {raw['kind']!r}（可用: {', '.join(sorted(KINDS))}）")
        return None
    if raw["target"] not in TARGET_KINDS:
        problems.append(f"{where}.target: {raw['target']!r} 不是可选值之一: {', '.join(TARGET_KINDS)}")
    known = {**COMMON_KEYS, **kind.keys}
    for key in raw:
        if key not in known:
            problems.append(f"{where}.{key}: 未知的键（{raw['kind']} 可用: {', '.join(known)}）")
    params = {k: v for k, v in raw.items() if k not in ("id", "kind", "target", "title", "message")}
    shape = kind.validate(params)
    problems += [f"{where}.{p}" for p in shape]
    rule = Rule(raw["id"], raw["kind"], raw["target"], str(raw.get("title", raw["id"])),
                str(raw.get("message", "")), params, where, base)
    check_files = getattr(kind, "check_files", None)
    if check_files is not None and not shape:
        problems += [f"{where}.{p}" for p in check_files(rule)]
    return rule
