"""``monitor demo``: the 30-second tour shows exactly the findings the demo portal is designed to produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.demo import expected_findings


@pytest.mark.parametrize("now", ["2026-11-26T09:00:00+08:00", "2027-01-05T09:00:00+08:00"])
def test_demo_reports_the_designed_findings(now: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)                          # no config.toml here: the demo needs none
    assert main(["--now", now, "demo"]) == 0
    out = capsys.readouterr().out
    reds = sum(1 for _, _, severity in expected_findings() if severity == "red")
    yellows = len(expected_findings()) - reds
    assert f"红色 {reds} 项" in out and f"黄色 {yellows} 项" in out and "无法检查 0 个" in out
    assert out.count("[红]") == reds and out.count("[黄]") == yellows
    assert "栏目“规划计划”为空白栏目" in out
    assert "抖音“示例县就业服务”已20天未更新（红线14天，“僵尸”账号）" in out
    assert "下一步" in out
    assert list(tmp_path.iterdir()) == []                # the throw-away database went with its folder
