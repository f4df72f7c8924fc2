"""asyncio.run formats its main task's result; a round's Inspection must stay cheap to format."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from monitor.domain import Finding, Inspection, TargetRef
from monitor.held import HeldFindings


def test_asyncio_run_never_formats_the_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    formatted: list[str] = []
    monkeypatch.setattr(Finding, "__repr__", lambda self: formatted.append(self.target.id) or "Finding(…)")
    findings = [Finding("link.broken", "yellow", TargetRef("link", f"http://x/{n}"), "xzfb", "失效", {"n": n})
                for n in range(10_000)]

    async def round_() -> Inspection:
        return Inspection(now=datetime(2026, 11, 26, tzinfo=UTC), findings=HeldFindings(findings))

    inspection = asyncio.run(round_())

    assert len(inspection.findings) == 10_000 and formatted == []
    assert repr(inspection).startswith("Inspection(now=2026-11-26T00:00:00+00:00, findings=10000, errors=0")
