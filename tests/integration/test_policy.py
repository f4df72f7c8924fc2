"""Issue 8 acceptance: every policy-interpretation case on a fixture portal over loopback HTTP.

``monitor check --json`` findings per case, ``monitor stats --json`` against the fixture's
known counts, and a recheck of one policy alert that fetches only that document's pages.
Time is injected with ``--now``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.config import load_config
from monitor.demo import expected_findings, publish
from monitor.demo.site import demo_config_text
from monitor.domain import InspectionError, Observation
from monitor.fetch import Fetcher
from monitor.inspect import InspectContext
from monitor.policy import targets as policy
from monitor.siteserver import SiteServer
from policy_portal import EXPECTED, NOW, Interp, PolicyPortal, config_text, list_page
from portal_kit import Cli


@pytest.fixture
def site() -> Iterator[PolicyPortal]:
    with SiteServer() as server:
        portal = PolicyPortal(server)
        portal.publish()
        yield portal


def make_cli(site: PolicyPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: str = "") -> Cli:
    path = tmp_path / "config.toml"
    path.write_text(config_text(site.base, f"sqlite:///{tmp_path / 'm.db'}", policy), encoding="utf-8")
    return Cli(path, capsys)


@pytest.fixture
def cli(site: PolicyPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return make_cli(site, tmp_path, capsys)


def by_document(site: PolicyPortal, findings: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, str | None]]]:
    keys = {site.url(d.path): d.key for d in site.docs}
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    for f in findings:
        if f["target"]["kind"] == "policy":
            found.setdefault(keys[f["target"]["id"]], []).append(
                (f["rule"], f["severity"], f["evidence"].get("missing")))
    return found


def finding(doc: dict[str, Any], site: PolicyPortal, key: str) -> dict[str, Any]:
    url = site.url(site.doc(key).path)
    return next(f for f in doc["findings"] if f["target"]["id"] == url)


def test_check_reports_each_case_with_its_evidence(cli: Cli, site: PolicyPortal) -> None:
    doc = cli.json(NOW, "check")
    assert doc["errors"] == []
    assert [f for f in doc["findings"] if f["target"]["kind"] != "policy"] == []
    assert by_document(site, doc["findings"]) == EXPECTED

    red = finding(doc, site, "d2")
    d2 = site.doc("d2")
    assert red["message"] == f"政策文件“{d2.title}”（2026-11-18发布）没有找到政策解读"
    assert red["target"] == {"kind": "policy", "id": site.url(d2.path), "name": d2.title, "url": site.url(d2.path)}
    assert red["unit"] == "xzfb"
    assert red["evidence"]["document"]["date"] == "2026-11-18" and red["evidence"]["interpretation"] is None

    one_way = finding(doc, site, "d3")["evidence"]
    assert one_way["interpretation"]["url"] == site.url(site.interp("i3").path)
    assert one_way["interpretation"]["date"] == "2026-11-11"
    assert one_way["missing_text"] == "文件页面没有链接到该解读"
    assert finding(doc, site, "d4")["message"].endswith("未双向关联：解读页面没有链接回文件")
    by_title = finding(doc, site, "d5")["evidence"]["interpretation"]
    assert (by_title["by_title"], by_title["document_link"], by_title["back_link"]) == (True, False, False)

    late = finding(doc, site, "d6")
    assert (late["evidence"]["lag_days"], late["evidence"]["days"]) == (10, 3)
    assert "2026-10-10才发布，晚了10天" in late["message"]


def test_check_reads_only_what_it_needs(cli: Cli, site: PolicyPortal) -> None:
    cli.json(NOW, "check")
    requested = site.server.paths_requested("GET")
    assert "/zcjd/index_1.html" in requested            # i8, the interpretation of d8, sits on page 2
    assert "/zfwj/index_1.html" in requested
    assert "/zfwj/index_2.html" not in requested        # page 2 already reaches back past the window
    for key in ("d7", "old", "p3"):                     # exempt, outside the window, never listed
        assert site.doc(key).path not in requested
    articles = [p for p in requested if "/t20" in p]
    assert [p for p, n in Counter(articles).items() if n > 1] == []


@pytest.mark.parametrize("pager", ["next", "hanweb"])
def test_other_pagers_reach_the_same_findings(pager: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SiteServer() as server:
        site = PolicyPortal(server, pager=pager)
        site.publish()
        doc = make_cli(site, tmp_path, capsys).json(NOW, "check")
        requested = server.paths_requested("GET")
    assert doc["errors"] == []
    assert by_document(site, doc["findings"]) == EXPECTED
    if pager == "hanweb":       # i8 is in the second group of records, by record range from dataproxy.jsp
        proxy = [p.split("&", 3)[-1] for p in requested if "dataproxy.jsp" in p]
        assert proxy == ["startrecord=5&endrecord=8&perpage=4", "startrecord=9&endrecord=9&perpage=4"]
    else:
        assert "/zfwj/index_1.html" in requested and "/zfwj/index_2.html" not in requested


def test_graphic_interpretation_is_paired_and_counted(cli: Cli, site: PolicyPortal) -> None:
    cli.json(NOW, "round")
    stats = cli.json(NOW, "stats", "--year", "2026")
    assert stats["years"][0]["total"]["interpretations"]["graphic"] == 2      # 图解 i3 and 一图读懂 i9
    doc = cli.json(NOW, "check", site.url(site.doc("d9").path))
    assert doc["findings"] == [] and doc["errors"] == []


def test_stats_match_the_fixture(cli: Cli, site: PolicyPortal) -> None:
    cli.json(NOW, "check")
    stats = cli.json(NOW, "stats")
    assert [y["year"] for y in stats["years"]] == [2026, 2025]
    y2026, y2025 = stats["years"]
    assert y2026["total"]["items"] == {"news": 3, "notice": 0, "policy": 9, "interpretation": 8, "personnel": 0,
                                       "planning": 0, "total": 20}
    assert y2026["total"]["policy"] == {"documents": 9, "exempt": 1, "judged": 8, "with_interpretation": 7,
                                        "linked_both_ways": 4, "not_judged": 0, "both_ways_share": 0.5}
    assert y2026["total"]["interpretations"] == {"total": 8, "text": 4, "graphic": 2, "h5": 1, "video": 1,
                                                 "graphic_or_video": 4}
    units = {u["unit"]: u for u in y2026["units"]}
    assert (units["fgj"]["name"], units["fgj"]["items"]["total"]) == ("县发改局", 3)
    assert units["xzfb"]["items"]["total"] == 17
    assert y2025["total"]["policy"]["documents"] == 1 and y2025["total"]["policy"]["not_judged"] == 1
    assert y2025["total"]["interpretations"]["total"] == 1
    assert stats["coverage"]["since"] == "2026-11-26"
    assert {c["id"]: c["follows_pages"] for c in stats["coverage"]["columns"]} == {
        "zfwj": True, "zcjd": True, "bmdt": False}

    # a second round counts nothing twice; the text report says the same
    cli.json(NOW, "check")
    assert cli.json(NOW, "stats")["years"][0]["total"] == y2026["total"]
    code, out, _ = cli.run(NOW, "stats", "--year", "2026")
    assert code == 0 and "2026年" in out and "50.0%" in out and "翻页回溯365天" in out


def test_stats_before_any_round(cli: Cli) -> None:
    assert cli.json(NOW, "stats")["years"] == []
    code, out, _ = cli.run(NOW, "stats")
    assert code == 0 and "还没有统计数据" in out
    assert [y["total"]["items"]["total"] for y in cli.json(NOW, "stats", "--year", "2026")["years"]] == [0]


def test_stats_point_out_a_first_page_that_turned_over_between_rounds(cli: Cli, site: PolicyPortal) -> None:
    cli.json(NOW, "check")
    fresh = [(f"部门动态：新信息{n}", f"/bmdt/new{n}.html", date(2026, 12, n + 1)) for n in range(3)]
    site.server.set("/bmdt/", list_page("部门动态", fresh, 0, 1))
    cli.json("2026-12-03T09:00:00+08:00", "check")
    stats = cli.json("2026-12-03T09:00:00+08:00", "stats")
    assert stats["coverage"]["possible_gaps"] == [
        {"column": "bmdt", "name": "部门动态", "between": ["2026-11-26", "2026-12-03"]}]
    note = "栏目“部门动态”在2026-11-26与2026-12-03两轮巡检之间第一页全部换新，可能漏统计。"
    assert note in stats["coverage"]["notes"]
    assert stats["years"][0]["total"]["items"]["news"] == 6


def test_recheck_of_one_policy_alert_fetches_only_that_document(cli: Cli, site: PolicyPortal) -> None:
    cli.json(NOW, "round")
    alerts = {(a["rule"], a["target"]["id"]): a for a in cli.json(NOW, "alerts", "--open")}
    d2, d4 = site.doc("d2"), site.doc("d4")
    red = alerts[("policy.no_interpretation", site.url(d2.path))]
    assert (red["severity"], red["recheck_due"]) == ("red", "2026-11-27T09:00:00+08:00")

    site.server.clear_log()
    result = cli.json("2026-11-27T09:05:00+08:00", "recheck", str(red["id"]))
    requested = site.server.paths_requested("GET")
    # the document, its interpretation column back to a week before it, and the candidates dated since
    assert sorted(requested) == sorted([d2.path, "/zcjd/", site.interp("i1").path, site.interp("i3").path])
    assert [c["events"] for c in result["changes"]] == [["overdue"]]

    # the unit publishes an interpretation and links the two pages: the next recheck resolves the alert
    site.interps.insert(0, Interp("i2", "关于加强安全生产监管工作的意见的政策解读", date(2026, 11, 27), ["d2"]))
    d2.links_to.append("i2")
    site.publish()
    result = cli.json("2026-11-28T09:05:00+08:00", "recheck", str(red["id"]))
    assert [c["events"] for c in result["changes"]] == [["resolved"]]

    yellow = alerts[("policy.one_way_link", site.url(d4.path))]
    site.interp("i4").links_to.append("d4")
    site.publish()
    result = cli.json("2026-11-28T09:10:00+08:00", "recheck", str(yellow["id"]))
    assert [c["events"] for c in result["changes"]] == [["resolved"]]


def test_exempting_a_document_resolves_its_alert_on_recheck(cli: Cli, site: PolicyPortal) -> None:
    cli.json(NOW, "round")
    d2 = site.doc("d2")
    red = next(a for a in cli.json(NOW, "alerts", "--open") if a["target"]["id"] == site.url(d2.path))
    cli.config.write_text(cli.config.read_text(encoding="utf-8")
                          + '\n[policy]\nexempt_url_patterns = ["*_d2.html"]\n', encoding="utf-8")
    site.server.clear_log()
    result = cli.json("2026-11-27T09:05:00+08:00", "recheck", str(red["id"]))
    assert site.server.paths_requested("GET") == [d2.path]          # exempt: no interpretation is looked for
    assert [c["events"] for c in result["changes"]] == [["resolved"]]


def test_unreadable_interpretation_column_is_an_error_never_a_red(cli: Cli, site: PolicyPortal) -> None:
    site.server.remove("/zcjd/")
    doc = cli.json(NOW, "check")
    assert [f for f in doc["findings"] if f["rule"].startswith("policy.")] == []
    errors = {(e["target"]["kind"], e["target"]["id"]): e["error"] for e in doc["errors"]}
    assert "政策解读栏目“政策解读”无法读取" in errors[("policy", "portal")]


def test_a_partly_read_interpretation_column_never_makes_a_red_it_cannot_prove(cli: Cli, site: PolicyPortal) -> None:
    site.doc("d6").links_to.clear()              # d6's interpretation can now only be found on page 2 …
    site.publish()
    site.server.remove("/zcjd/index_1.html")    # … which cannot be read
    doc = cli.json(NOW, "check")
    errors = {e["target"]["id"]: e["error"] for e in doc["errors"]}
    assert errors["portal"].startswith("政策解读栏目“政策解读”第2页无法读取（HTTP 404")
    assert errors[site.url(site.doc("d6").path)] == "政策解读栏目没有读完，无法确认这份文件没有解读"
    found = by_document(site, doc["findings"])
    assert "d6" not in found and found["d2"] == EXPECTED["d2"]      # d2's candidates were all on page 1


def test_unreadable_document_is_an_error_on_that_document_alone(cli: Cli, site: PolicyPortal) -> None:
    site.server.remove(site.doc("d2").path)
    doc = cli.json(NOW, "check")
    errors = {e["target"]["id"]: e["error"] for e in doc["errors"]}
    assert "HTTP 404" in errors[site.url(site.doc("d2").path)]
    expected = {k: v for k, v in EXPECTED.items() if k != "d2"}
    assert by_document(site, doc["findings"]) == expected


async def test_the_scan_hands_over_each_verdict_as_it_concludes_it(site: PolicyPortal, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A big site's scan judges 1,600 documents: their verdicts go to disk one by one, not all at once."""
    site.server.remove(site.doc("d2").path)
    path = tmp_path / "config.toml"
    path.write_text(config_text(site.base, f"sqlite:///{tmp_path / 'm.db'}"), encoding="utf-8")
    config = load_config(path)
    concluded: list[str] = []

    def conclude(case: policy.Case, *args: Any) -> Observation | InspectionError:
        concluded.append(case.doc.url)
        assert not isinstance(case.page, policy.Page) or case.page.links == ()   # needed only while planning
        return real(case, *args)

    real = policy.conclude
    monkeypatch.setattr(policy, "conclude", conclude)
    async with Fetcher(config.crawl) as fetcher:
        ctx = InspectContext(fetcher, date(2026, 11, 26), now=datetime.fromisoformat(NOW))
        seen = iter(await policy.PolicyScanTarget(config, config.sites[0]).observe(ctx))
        assert concluded == []
        first = next(seen)
        assert len(concluded) == 1 and first.target.id == concluded[0]
        rest = list(seen)
    assert len(concluded) == len(set(concluded)) > 2
    assert rest[-1].target.id == "portal" and rest[-1].facts["policy_scan"]["checked"] == len(concluded)
    errors = [e for e in ctx.errors if e.target.id == site.url(site.doc("d2").path)]
    assert len(errors) == 1 and "HTTP 404" in errors[0].error


def test_page_cap_checks_the_newest_documents_and_says_so(site: PolicyPortal, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    cli = make_cli(site, tmp_path, capsys, "\n[policy]\nmax_pages = 12\n")
    doc = cli.json(NOW, "check")
    errors = {e["target"]["id"]: e["error"] for e in doc["errors"]}
    assert "已达抓取上限（policy.max_pages = 12）" in errors["portal"]
    judged = by_document(site, doc["findings"])
    assert "d2" in judged and "d6" not in judged


def test_exempt_url_pattern(site: PolicyPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = make_cli(site, tmp_path, capsys, '\n[policy]\nexempt_url_patterns = ["*_d2.html"]\n')
    assert "d2" not in by_document(site, cli.json(NOW, "check")["findings"])


def test_check_one_document_by_its_address(cli: Cli, site: PolicyPortal) -> None:
    doc = cli.json(NOW, "check", site.url(site.doc("d4").path))
    assert by_document(site, doc["findings"]) == {"d4": EXPECTED["d4"]}


def test_demo_portal_has_no_policy_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SiteServer() as server:
        publish(server, date(2026, 11, 26))
        path = tmp_path / "config.toml"
        path.write_text(demo_config_text(server.base_url + "/", f"sqlite:///{tmp_path / 'm.db'}"), encoding="utf-8")
        cli = Cli(path, capsys)
        doc = cli.json(NOW, "check")
        stats = cli.json(NOW, "stats", "--year", "2026")
    assert doc["errors"] == []
    assert sorted((f["target"]["id"], f["rule"], f["severity"]) for f in doc["findings"]) == sorted(expected_findings())
    policy = stats["years"][0]["total"]["policy"]
    assert policy["judged"] == policy["linked_both_ways"] == 9 and policy["both_ways_share"] == 1.0
