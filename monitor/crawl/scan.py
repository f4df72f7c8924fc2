"""Which content checks the rules ask for, ready to run on a page's visible text.

Built once per rule set: the privacy check runs when a ``privacy`` rule is enabled,
and each ``wordlist`` rule contributes its word lists, its hits tagged with its id so
that the rule judges only its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml.html import HtmlElement

from monitor.crawl.content import WordList, find_id_numbers, visible_text
from monitor.rules import RuleSet
from monitor.rules.site_kinds import wordlist_paths


@dataclass
class Scanner:
    privacy: bool = False
    wordlists: list[tuple[str, WordList]] = field(default_factory=list)     # (rule id, its words)

    @classmethod
    def from_rules(cls, rules: RuleSet | None) -> Scanner:
        if rules is None:
            return cls()
        lists = [(r.id, WordList.load(wordlist_paths(r))) for r in rules.of_kind("wordlist")]
        return cls(privacy=bool(rules.of_kind("privacy")), wordlists=lists)

    @property
    def active(self) -> bool:
        return self.privacy or bool(self.wordlists)

    def scan(self, tree: HtmlElement, today: date) -> dict[str, Any] | None:
        """The page's hits as observation facts, or None when it has none. Strips scripts from ``tree``."""
        if not self.active:
            return None
        text = visible_text(tree)
        facts: dict[str, Any] = {}
        if self.privacy:
            numbers = find_id_numbers(text, today)
            if numbers:
                facts["id_numbers"] = numbers
        words = [{**hit, "rule": rule_id} for rule_id, words in self.wordlists for hit in words.find(text)]
        if words:
            facts["words"] = words
        if not facts:
            return None
        title = tree.findtext(".//title") or ""
        facts["title"] = " ".join(title.split())[:80]
        return facts
