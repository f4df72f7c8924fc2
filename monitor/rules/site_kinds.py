"""Rule kinds judged from a whole-site crawl: dead links, ID numbers, serious wording errors.

The crawler gathers the facts (a link's failure and the pages that link it; a page's
hits); these kinds only decide colour and words, so thresholds and messages stay in
``rules/links.toml`` and ``rules/content.toml``.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from monitor.domain import Finding
from monitor.rules.kinds import RuleContext, RuleKind, _check_severity, make_finding

if TYPE_CHECKING:
    from monitor.rules import Rule

EVIDENCE_PAGES = 10


class BrokenLink:
    """A link (page, attachment, image, external) that failed twice: red when the homepage links it."""

    keys: ClassVar[dict[str, str]] = {"severity": "其他页面上的失效链接: yellow | red",
                                      "homepage_severity": "首页上的失效链接: yellow | red"}

    def validate(self, params: dict[str, Any]) -> list[str]:
        return _check_severity(params) + _check_severity(params, "homepage_severity")

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        facts = ctx.observation.facts
        if not facts.get("broken"):
            return None
        home = bool(facts.get("on_homepage"))
        severity = ctx.rule.params["homepage_severity" if home else "severity"]
        pages = list(facts.get("sources", []))[:EVIDENCE_PAGES]
        evidence = {"error": facts.get("error", ""), "status": facts.get("status"), "on_homepage": home,
                    "external": bool(facts.get("external")), "pages": pages,
                    "pages_total": facts.get("sources_total", len(pages)), "site": facts.get("site", "")}
        text = next((p["text"] for p in pages if p.get("text")), "")
        return make_finding(ctx, severity, evidence, home="（首页）" if home else "",
                            text=f"“{text}”" if text else "")


class Privacy:
    """A page shows unmasked resident ID numbers (the crawler keeps only masked copies)."""

    keys: ClassVar[dict[str, str]] = {"severity": "yellow | red"}

    def validate(self, params: dict[str, Any]) -> list[str]:
        return _check_severity(params)

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        hits = ctx.observation.facts.get("id_numbers") or []
        if not hits:
            return None
        evidence = {"page": ctx.observation.target.url, "count": len(hits), "site": facts_site(ctx),
                    "numbers": [h["masked"] for h in hits], "contexts": [h["context"] for h in hits]}
        return make_finding(ctx, ctx.rule.params["severity"], evidence, first=hits[0]["masked"])


class WordListKind:
    """A page contains an entry of the rule's word lists (``wrong`` or ``wrong => right``)."""

    keys: ClassVar[dict[str, str]] = {"severity": "yellow | red",
                                      "wordlists": "词表文件（glob，相对本规则文件所在目录）"}

    def validate(self, params: dict[str, Any]) -> list[str]:
        lists = params.get("wordlists")
        if not isinstance(lists, list) or not lists or not all(isinstance(x, str) for x in lists):
            return [*_check_severity(params), "wordlists: 应为词表文件路径（字符串）的数组"]
        return _check_severity(params)

    def check_files(self, rule: Rule) -> list[str]:
        return [f"wordlists: {pattern!r} 没有匹配任何文件" for pattern in rule.params["wordlists"]
                if not glob.glob(str(_resolve(rule, pattern)))]

    def evaluate(self, ctx: RuleContext) -> Finding | None:
        hits = [h for h in ctx.observation.facts.get("words") or [] if h.get("rule") == ctx.rule.id]
        if not hits:
            return None
        matches = [{"wrong": h["wrong"], "right": h["right"], "context": h["context"]} for h in hits]
        first = hits[0]
        suggestion = f"（应为“{first['right']}”）" if first.get("right") else ""
        evidence = {"page": ctx.observation.target.url, "count": len(hits), "site": facts_site(ctx),
                    "matches": matches}
        return make_finding(ctx, ctx.rule.params["severity"], evidence, wrong=first["wrong"],
                            suggestion=suggestion)


def facts_site(ctx: RuleContext) -> str:
    """The site a crawled page belongs to: a recheck of the finding goes back to it."""
    return str(ctx.observation.facts.get("site", ""))


def wordlist_paths(rule: Rule) -> list[Path]:
    """The files a word-list rule names, in order, each once."""
    found: dict[Path, None] = {}
    for pattern in rule.params["wordlists"]:
        for match in sorted(glob.glob(str(_resolve(rule, pattern)))):
            found.setdefault(Path(match), None)
    return list(found)


def _resolve(rule: Rule, pattern: str) -> Path:
    path = Path(pattern)
    return path if path.is_absolute() or rule.base is None else rule.base / path


SITE_KINDS: dict[str, RuleKind] = {
    "broken_link": BrokenLink(),
    "privacy": Privacy(),
    "wordlist": WordListKind(),
}
