"""``monitor stats``: the figures of the annual 政府信息公开工作年度报告, from what the rounds saw."""

from __future__ import annotations

import unicodedata
from typing import Any

import click

from monitor.cli.app import App, pass_app
from monitor.cli.check import dump_json
from monitor.stats import CATEGORY_ORDER, build_report

CATEGORY_NAMES = {"news": "动态要闻", "notice": "通知公告", "policy": "政策文件", "interpretation": "政策解读",
                  "personnel": "人事信息", "planning": "规划计划"}
POLICY_HEADS = ("政策文件", "免解读", "已检查", "有解读", "双向关联", "双向比例", "解读", "图解", "H5", "视频")


@click.command("stats")
@click.option("--year", type=click.IntRange(1990, 2999), default=None, help="只统计该年（按信息自身的发布日期）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def stats_cmd(app: App, year: int | None, as_json: bool) -> int:
    """各单位、各类栏目发布的信息数，政策文件与解读（图解、H5、视频）及双向关联比例：年度报告用的数字。"""
    with app.database.session() as session:
        report = build_report(session, app.config, year)
    data = {"now": app.now().astimezone(app.config.monitor.tz).isoformat(timespec="seconds"),
            **report.to_json({u.id: u.name for u in app.config.units})}
    if as_json:
        dump_json(data)
    else:
        click.echo(render(data))
    return 0


def render(data: dict[str, Any]) -> str:
    """One block per year: items by category and unit, then policy documents and interpretations."""
    lines: list[str] = []
    if not data["years"]:
        lines += ["还没有统计数据：先运行 monitor round（或 monitor check）巡检一轮。", ""]
    for year in data["years"]:
        lines.append(click.style(f"{year['year']}年", bold=True))
        lines += _table(["单位", *(CATEGORY_NAMES[c] for c in CATEGORY_ORDER), "合计"],
                        [[name, *_items_row(f)] for name, f in _rows(year)])
        lines.append("")
        rows = [(n, f) for n, f in _rows(year) if n == "合计" or f["items"]["policy"] or f["items"]["interpretation"]]
        lines += _table(["单位", *POLICY_HEADS], [[name, *_policy_row(f)] for name, f in rows])
        lines.append("")
    lines.append("说明：")
    lines += [f"  - {note}" for note in data["coverage"]["notes"]]
    return "\n".join(lines)


def _rows(year: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [*((f"{u['name']}（{u['unit']}）", u) for u in year["units"]), ("合计", year["total"])]


def _items_row(figures: dict[str, Any]) -> list[str]:
    items = figures["items"]
    return [str(items[c]) for c in CATEGORY_ORDER] + [str(items["total"])]


def _policy_row(figures: dict[str, Any]) -> list[str]:
    policy, interp = figures["policy"], figures["interpretations"]
    share = policy["both_ways_share"]
    return [str(policy["documents"]), str(policy["exempt"]), str(policy["judged"]),
            str(policy["with_interpretation"]), str(policy["linked_both_ways"]),
            "—" if share is None else f"{share:.1%}",
            str(interp["total"]), str(interp["graphic"]), str(interp["h5"]), str(interp["video"])]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(heads: list[str], rows: list[list[str]]) -> list[str]:
    """Columns aligned by display width (a Chinese character is two columns wide)."""
    widths = [max(_width(r[i]) for r in [heads, *rows]) for i in range(len(heads))]

    def line(cells: list[str]) -> str:
        first = cells[0] + " " * (widths[0] - _width(cells[0]))
        rest = (" " * (w - _width(c)) + c for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  " + "  ".join([first, *rest])

    return [line(heads), *(line(r) for r in rows)]
