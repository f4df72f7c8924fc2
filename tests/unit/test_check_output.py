"""``check --json`` is written finding by finding; it must be the document ``json.dump`` would write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.cli.check import dump_inspection
from monitor.domain import Finding, Inspection, InspectionError, InspectionStats, TargetRef
from monitor.held import HeldFindings

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def _expected(inspection: Inspection, findings: list[Finding], more: dict[str, Any] | None = None) -> str:
    ordered = sorted(findings, key=lambda f: (f.severity != "red", f.unit, f.rule, f.target.id))
    document = {"now": NOW.isoformat(timespec="seconds"), "findings": [f.to_json() for f in ordered],
                "errors": [e.to_json() for e in inspection.errors], "stats": inspection.stats.to_json(), **(more or {})}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("more", [None, {"round": 7, "changes": [], "outbox": {"sent": 2, "errors": ["坏\n了"]}}])
def test_the_streamed_document_is_the_one_json_dump_writes(more: dict[str, Any] | None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    findings = [
        Finding("link.broken", "yellow", TargetRef("link", "http://x/b", "", "http://x/b"), "xzfb",
                "链接“下载\n附件”失效", {"pages": [{"url": "http://x/", "text": "\"引号\" \\ </script>"}],
                                        "pages_total": 1, "empty": [], "nested": {"a": {}}}),
        Finding("content.privacy", "red", TargetRef("page", "http://x/a", "页面", "http://x/a"), "教育局",
                "页面公开了身份证号", {"numbers": ["510722********1234"], "count": 1}),
        Finding("column.stale", "red", TargetRef("column", "zwyw", "政务要闻", "http://x/zwyw/"), "xzfb",
                "栏目已21天未更新", {}),
    ]
    inspection = Inspection(now=NOW, findings=HeldFindings(findings),
                            errors=[InspectionError(TargetRef("account", "wx", "公众号"), "xcb", "超时\t（20 秒）")],
                            stats=InspectionStats(pages=12, links_checked=40, seconds=3.25))

    dump_inspection(inspection, more)

    assert capsys.readouterr().out == _expected(inspection, findings, more)


def test_an_empty_round_is_written_as_json_dump_writes_it(capsys: pytest.CaptureFixture[str]) -> None:
    inspection = Inspection(now=NOW)

    dump_inspection(inspection)

    written = capsys.readouterr().out
    assert written == _expected(inspection, [])
    assert '"findings": [],' in written and '"errors": [],' in written
