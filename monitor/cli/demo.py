"""``monitor demo``: the 30-second tour on the bundled demo portal, with a throw-away database."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click

from monitor.cli.app import App, pass_app
from monitor.cli.check import echo_report, terminal_progress
from monitor.clock import local_date
from monitor.config import load_config
from monitor.demo import build_site, demo_config_text
from monitor.rules import load_config_rules
from monitor.runner import run_inspection
from monitor.siteserver import SiteServer
from monitor.store.db import Database


@click.command("demo")
@click.option("--serve", is_flag=True, help="检查完后继续运行演示网站（Ctrl-C 结束），便于试用其他命令")
@pass_app
def demo_cmd(app: App, serve: bool) -> int:
    """在本机启动内置的演示县政府网站，用临时数据库巡检一遍并打印结果。"""
    now = app.now()
    with SiteServer() as server, tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
        for path, (body, content_type) in build_site(local_date(now)).items():
            server.set(path, body, content_type)
        config_path = Path(tmp) / "config.toml"
        config_path.write_text(demo_config_text(server.base_url + "/", "sqlite:///demo.db"), encoding="utf-8")
        config = load_config(config_path)
        click.echo(f"演示网站已在 {server.base_url}/ 启动（示例县人民政府，虚构），开始巡检…\n", err=True)
        database = Database.open(config.monitor.database, config.base_dir)
        _, inspection = run_inspection(config, load_config_rules(config), database, now, kind="check",
                                       progress=terminal_progress())
        database.close()
        echo_report(inspection, config)
        click.echo(next_steps(server.base_url, config_path if serve else None))
        if serve:
            _serve_until_interrupted()
    return 0


def next_steps(base_url: str, config_path: Path | None) -> str:
    lines = ["", "下一步:",
             "  1. 复制仓库中的 config.toml，改成本县的网站、栏目、单位和联系人；",
             "  2. monitor config check      校验配置；",
             "  3. monitor check             对真实网站巡检一遍（不发送任何通知）。"]
    if config_path is not None:
        lines += ["", f"演示网站继续运行于 {base_url}/ ，可另开终端试用，例如:",
                  f"  monitor --config {config_path} probe {base_url}/xwzx/bmdt/",
                  f"  monitor --config {config_path} check --json", "按 Ctrl-C 结束。"]
    else:
        lines.append(f"  （monitor demo --serve 可保留演示网站，试用 monitor probe {base_url}/… 等命令）")
    return "\n".join(lines)


def _serve_until_interrupted() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\n演示结束。", err=True)
