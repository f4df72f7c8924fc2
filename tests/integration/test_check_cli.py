"""``monitor check``, ``probe`` and ``config check`` end to end over real loopback HTTP."""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from monitor.cli import main
from monitor.siteserver import SiteServer
from portal_kit import Cli, Portal, write_config

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
TODAY = NOW.date()
PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
CASES = [c for c in tomllib.loads((PAGES / "cases.toml").read_text(encoding="utf-8"))["case"]
         if c["kind"] == "list" and "item_selector" not in c]


@pytest.fixture(scope="module")
def saved_pages() -> Any:
    """Every saved list page served at its own path, GBK ones with no charset in the HTTP header."""
    with SiteServer() as server:
        for n, case in enumerate(CASES):
            server.set(_path(n, case), (PAGES / case["file"]).read_bytes(), "text/html")
        yield server


def _path(n: int, case: dict[str, Any]) -> str:
    return f"/case{n}" + urlsplit(case["url"]).path


@pytest.mark.parametrize("n", range(len(CASES)), ids=[c["name"] for c in CASES])
def test_probe_reads_saved_pages_over_http(n: int, saved_pages: SiteServer,
                                           capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = CASES[n]
    url = saved_pages.url(_path(n, case))
    now = f"{case['today']}T09:00:00+08:00"
    assert main(["--config", str(tmp_path / "none.toml"), "--now", now, "probe", url, "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["kind"] == case["kind"]
    assert len(view["items"]) == case["items"]
    assert (view["latest"] or "none") == case["latest"]
    assert view["encoding"] == case["encoding"]
    assert view["blank"] is case["blank"]


def test_probe_text_explains_what_it_saw(portal: Portal, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    portal.column("/zwyw/", "政务要闻", [date(2025, 1, 1), TODAY - timedelta(days=3), TODAY - timedelta(days=9)])
    code = main(["--config", str(tmp_path / "none.toml"), "--now", NOW.isoformat(), "probe", portal.url + "zwyw/"])
    out = capsys.readouterr().out
    assert code == 0
    assert "类型    列表页" in out
    assert "条目    3 条，最新 2026-11-23" in out
    assert "★ 2026-11-23  政务要闻第1条信息" in out          # the newest is marked, not the first row


def stale_site(portal: Portal) -> None:
    portal.column("/", "首页", [TODAY - timedelta(days=1)] * 3)
    portal.column("/zwyw/", "政务要闻", [TODAY - timedelta(days=14), TODAY - timedelta(days=30)])
    portal.column("/tzgg/", "通知公告", [TODAY - timedelta(days=149)])


def test_check_json_contract_and_fail_on(portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale_site(portal)
    cli = Cli(write_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}"), capsys)
    doc = cli.json(NOW, "check")
    assert doc["now"] == "2026-11-26T09:00:00+08:00"
    assert [(f["rule"], f["severity"], f["target"]["id"]) for f in doc["findings"]] == [
        ("column.stale", "red", "zwyw")]
    finding = doc["findings"][0]
    assert finding["message"] == "栏目“政务要闻”已14天未更新（红线14天）"
    assert finding["evidence"]["latest"] == "2026-11-12" and finding["evidence"]["red_days"] == 14
    assert finding["target"] == {"kind": "column", "id": "zwyw", "name": "政务要闻", "url": portal.url + "zwyw/"}
    assert doc["errors"] == []
    assert doc["stats"]["pages"] == 3
    assert cli.run(NOW, "check", "--fail-on", "red")[0] == 1
    assert cli.run(NOW, "check", "tzgg", "--fail-on", "yellow")[0] == 0          # 149 days: not yet yellow
    assert cli.run(NOW + timedelta(days=1), "check", "tzgg", "--fail-on", "yellow")[0] == 1
    # check changes no alert
    assert cli.json(NOW, "alerts") == []


def test_unreachable_and_slow_list_pages_are_errors_not_findings(portal: Portal, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    stale_site(portal)
    portal.server.remove("/zwyw/")
    portal.server.set("/tzgg/", "<html><body>slow</body></html>", delay_s=3)      # timeout_s = 2
    cli = Cli(write_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}"), capsys)
    doc = cli.json(NOW, "check")
    assert doc["findings"] == []
    errors = {e["target"]["id"]: e["error"] for e in doc["errors"]}
    assert set(errors) == {"zwyw", "tzgg"}
    assert "404" in errors["zwyw"]
    assert "超时" in errors["tzgg"]
    code, out, _ = cli.run(NOW, "check")
    assert code == 0 and "无法检查的目标" in out and "HTTP 404" in out


def test_second_check_reuses_cache_with_conditional_get(portal: Portal, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    stale_site(portal)
    cli = Cli(write_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}"), capsys)
    first = cli.json(NOW, "check")
    portal.server.clear_log()
    second = cli.json(NOW, "check")
    conditional = [r for r in portal.server.requests if r.headers.get("If-None-Match")]
    assert {r.path for r in conditional} == {"/", "/zwyw/", "/tzgg/"}
    assert second["findings"] == first["findings"]


def test_unknown_target_id_and_bad_config_exit_2(portal: Portal, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    stale_site(portal)
    config = write_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}")
    cli = Cli(config, capsys)
    code, _, err = cli.run(NOW, "check", "nosuch")
    assert code == 2 and "未知的目标 id: nosuch" in err
    config.write_text(config.read_text(encoding="utf-8").replace('category = "news"', 'category = "newz"'),
                      encoding="utf-8")
    code, _, err = cli.run(NOW, "config", "check")
    assert code == 2
    assert "columns[0].category: 'newz' 不是可选值之一: news, notice" in err
    code, _, err = cli.run("yesterday", "check")
    assert code == 2 and "--now" in err


def test_config_check_ok(portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = Cli(write_config(tmp_path, portal.server.base_url, f"sqlite:///{tmp_path / 'm.db'}"), capsys)
    code, out, _ = cli.run(NOW, "config", "check")
    assert code == 0
    assert "单位 2 个，网站 1 个，栏目 2 个" in out
    assert "columns.toml" in out
