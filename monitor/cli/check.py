"""``monitor check`` and ``monitor probe``: look now, change nothing."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from monitor.cli.app import App, pass_app, stderr_is_terminal
from monitor.clock import SHANGHAI, local_date
from monitor.config import Config, CrawlSettings
from monitor.domain import Finding, Inspection, PageView, TargetRef
from monitor.extract import view_page
from monitor.extract.feeds import feed_links, is_feed, read_feed
from monitor.fetch import Fetcher
from monitor.inspect import Progress
from monitor.rules.kinds import KIND_NAMES, kind_name
from monitor.runner import run_inspection

COLOURS = {"red": ("红", "red"), "yellow": ("黄", "yellow")}


def dump_json(data: Any) -> None:
    """Written as it is encoded: a whole-site check's document is megabytes, and one string of it
    (plus its encoded copy) was the largest thing a 100,000-page round held."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def terminal_progress() -> Progress | None:
    """A one-line counter on stderr, only when a person is watching."""
    if not stderr_is_terminal():
        return None

    def show(done: int, total: int, ref: TargetRef, error: str | None) -> None:
        mark = click.style("×", fg="red") if error else "✓"
        line = f"\r[{done}/{total}] {mark} {KIND_NAMES.get(ref.kind, ref.kind)} {ref.name or ref.id}"
        click.echo(line[:80].ljust(80), err=True, nl=done == total)

    return show


@click.command("check")
@click.argument("target_ids", nargs=-1, metavar="[TARGET-ID]...")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（DESIGN §5 格式）")
@click.option("--fail-on", type=click.Choice(["red", "yellow"]), default=None,
              help="发现该颜色（或更严重）的问题时以退出码 1 结束")
@pass_app
def check_cmd(app: App, target_ids: tuple[str, ...], as_json: bool, fail_on: str | None) -> int:
    """立即检查（全部或指定的网站/栏目/账号），打印发现的问题；不改变预警，不发送通知。"""
    _, inspection = run_inspection(app.config, app.rules, app.database, app.now(), kind="check",
                                   ids=target_ids, progress=None if as_json else terminal_progress())
    if as_json:
        dump_inspection(inspection)
    else:
        echo_report(inspection, app.config)
    return exit_code(inspection, fail_on)


def exit_code(inspection: Inspection, fail_on: str | None) -> int:
    if fail_on is None:
        return 0
    found = inspection.findings.count("red") if fail_on == "red" else len(inspection.findings)
    return 1 if found else 0


def dump_inspection(inspection: Inspection, more: dict[str, Any] | None = None) -> None:
    """``check --json`` (DESIGN §5), then ``more`` keys (``round --json``): findings red first, then by
    unit, rule and target id. The text ``dump_json`` would write, one finding at a time: a whole-site
    round has thousands."""
    out = sys.stdout
    out.write('{\n  "now": ' + _encoded(inspection.now.isoformat(timespec="seconds"), 2) + ',\n  "findings": [')
    empty = True
    for finding in inspection.findings.in_report_order():
        out.write(("\n    " if empty else ",\n    ") + _encoded(finding.to_json(), 4))
        empty = False
    out.write("]" if empty else "\n  ]")
    out.write(',\n  "errors": ' + _encoded([e.to_json() for e in inspection.errors], 2))
    for key, value in {"stats": inspection.stats.to_json(), **(more or {})}.items():
        out.write(f",\n  {_encoded(key, 2)}: {_encoded(value, 2)}")
    out.write("\n}\n")


def _encoded(value: Any, indent: int) -> str:
    """``value`` as ``json.dump(indent=2)`` writes it ``indent`` spaces deep (a JSON string never
    holds a raw newline, so every newline is the layout's)."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + " " * indent)


def echo_report(inspection: Inspection, config: Config) -> None:
    for line in report_lines(inspection, config):
        click.echo(line)


def report_lines(inspection: Inspection, config: Config) -> Iterator[str]:
    """Findings grouped by unit (most reds first), red first; then the targets that could not be inspected."""
    tz = config.monitor.tz
    findings = inspection.findings
    reds = findings.count("red")
    total = len(inspection.inspected) + len(inspection.errors)
    when = inspection.now.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    yield (f"巡检时间 {when}（{config.monitor.timezone}）  检查目标 {total} 个，"
           f"{click.style(f'红色 {reds}', fg='red', bold=True)} 项，"
           f"{click.style(f'黄色 {len(findings) - reds}', fg='yellow', bold=True)} 项，"
           f"无法检查 {len(inspection.errors)} 个")
    yield ""
    names = {u.id: u.name for u in config.units}
    for unit in findings.units():
        yield click.style(f"■ {names.get(unit, unit)}（{unit}）", bold=True)
        for f in findings.of_unit(unit):
            label, colour = COLOURS[f.severity]
            yield f"  {click.style(f'[{label}]', fg=colour, bold=True)} {f.message}"
            yield f"       {evidence_line(f)}"
        yield ""
    if not findings:
        yield "已检查的目标中未发现问题。" if inspection.errors else "未发现问题。"
        yield ""
    if inspection.errors:
        yield click.style("无法检查的目标（不是通过，也不是问题；请核实）:", fg="magenta", bold=True)
        for e in inspection.errors:
            kind = kind_name(e.target.kind, e.facts)
            yield f"  {kind}“{e.target.name or e.target.id}” {e.target.url}"
            yield f"       {e.error}"
        yield ""
    checked = f"，检查链接 {inspection.stats.links_checked} 个" if inspection.stats.links_checked else ""
    yield f"共抓取 {inspection.stats.pages} 个页面{checked}，用时 {inspection.stats.seconds:.1f} 秒。"


EVIDENCE_PAGES_SHOWN = 3


def evidence_line(f: Finding) -> str:
    ev = f.evidence
    parts = [f.target.url] if f.target.url else []
    if ev.get("latest"):
        parts.append(f"最新一条 {ev['latest']}")
    if ev.get("latest_title"):
        parts.append(f"《{ev['latest_title']}》")
    if ev.get("undated"):
        parts.append(f"另有 {ev['undated']} 条无日期未计入")
    if isinstance(ev.get("interpretation"), dict):          # policy.*: where the interpretation is
        parts.append(f"解读 {ev['interpretation']['url']}")
    if ev.get("pages"):                                  # link.broken: the pages that link the dead URL
        shown = [f"{p['url']}（{p['text']}）" if p.get("text") else p["url"]
                 for p in ev["pages"][:EVIDENCE_PAGES_SHOWN]]
        more = ev.get("pages_total", len(ev["pages"])) - len(shown)
        parts = [f"引用页面 {'、'.join(shown)}" + (f" 等 {len(shown) + more} 个" if more > 0 else "")]
    if ev.get("contexts"):                               # content.privacy: masked numbers in context
        parts.append("上下文 " + " / ".join(ev["contexts"][:EVIDENCE_PAGES_SHOWN]))
    if ev.get("matches"):                                # content.serious_error
        parts.append("上下文 " + " / ".join(m["context"] for m in ev["matches"][:EVIDENCE_PAGES_SHOWN]))
    return "  ".join(parts)


@click.command("probe")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（DESIGN §5 格式）")
@pass_app
def probe_cmd(app: App, url: str, as_json: bool) -> int:
    """显示巡检程序在一个页面或订阅源（RSS/Atom/JSON Feed）上看到的内容：类型、条目与日期、最新日期、链接数。"""
    has_config = app.config_path.exists()      # probe also works before any config is written
    settings = app.config.crawl if has_config else CrawlSettings()
    tz = app.config.monitor.tz if has_config else SHANGHAI
    view = asyncio.run(_probe(url, settings, app.now(), tz))
    if as_json:
        dump_json(view.to_json())
    else:
        click.echo(render_view(view))
    return 0


async def _probe(url: str, settings: CrawlSettings, now: datetime, tz: ZoneInfo) -> PageView:
    """A feed is read as a feed (with what would stop it vouching for an account); anything else as a page."""
    async with Fetcher(settings) as fetcher:
        response = await fetcher.get(url, conditional=False, accept=("html", "feed"))
    if is_feed(response.text):
        feed = read_feed(response.url, response.status, response.encoding, response.text, now)
        if feed.blocker:
            feed.view.notes.append(f"作为账号订阅源将无法检查：{feed.blocker}")
        return feed.view
    view = view_page(response.url, response.status, response.encoding, response.text, local_date(now, tz))
    view.notes += [f"该页面提供订阅源: {link}" for link in feed_links(response.text, response.url)]
    return view


KIND_LABELS = {"list": "列表页", "article": "文章页", "feed": "订阅源", "other": "其他页面"}


def render_view(view: PageView) -> str:
    latest = view.latest
    lines = [f"地址    {view.url}", f"状态    HTTP {view.status}   编码 {view.encoding or '未知'}",
             f"类型    {KIND_LABELS.get(view.kind, view.kind)}   链接 {view.links} 个"]
    if view.published:
        lines.append(f"发布日期 {view.published.isoformat()}")
    if view.blank:
        lines.append("该页面声明没有任何信息（空白栏目）。")
    if view.items:
        lines.append(f"条目    {len(view.items)} 条，最新 {latest.isoformat() if latest else '（无日期）'}")
        for item in view.items:
            mark = "★" if latest and item.date == latest else " "
            day = item.date.isoformat() if item.date else "   无日期 "
            lines.append(f"  {mark} {day}  {item.title}")
            lines.append(f"               {item.url}")
    for note in view.notes:
        lines.append(f"说明    {note}")
    return "\n".join(lines)
