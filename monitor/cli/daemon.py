"""``run`` (the daemon), ``status`` and ``systemd-unit``."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from monitor.cli.app import App, pass_app
from monitor.cli.check import dump_json
from monitor.clock import shifted_clock, system_clock
from monitor.daemon import logs
from monitor.daemon.runtime import serve
from monitor.daemon.status import StatusContext, collect_status, render_status
from monitor.resources import package_file
from monitor.store.db import Database


@click.command("run")
@click.option("--log-format", type=click.Choice(logs.FORMATS), default="kv", show_default=True,
              help="日志格式：kv（key=value）或 json（每行一个 JSON 对象）")
@pass_app
def run_cmd(app: App, log_format: str) -> int:
    """守护进程：按 [schedule] 每周巡检、到期复查、首页可用性探测、发周报、发送通知；SIGTERM/Ctrl-C 平稳停止。

    同一数据库只能运行一个；--now 让时钟从该时刻起走（用于补跑与测试）。
    """
    logs.configure(log_format)
    config, rules = app.config, app.rules
    clock = shifted_clock(app.fixed_now) if app.fixed_now else system_clock
    database = Database.open(config.monitor.database, config.base_dir, upgrade=False)
    try:
        return serve(config, rules, database, clock=clock)
    finally:
        database.close()


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def status_cmd(app: App, as_json: bool) -> int:
    """守护进程是否在运行、上次巡检、各任务下次运行时间、未关闭预警、首页探测、发件箱。守护进程未运行时退出码为 1。"""
    ctx = StatusContext(app.config, app.rules, app.now(), system_clock())
    with app.database.session() as session:
        data = collect_status(session, ctx)
    if as_json:
        dump_json(data)
    else:
        click.echo(render_status(data, ctx))
    return 0 if data["daemon"]["alive"] else 1


@click.command("systemd-unit")
@click.option("--user", default=None, help="运行守护进程的系统用户（缺省为当前用户）")
@click.option("--env-file", default="/etc/zwgk-monitor/env", show_default=True, help="存放密钥的环境变量文件")
@pass_app
def systemd_unit_cmd(app: App, user: str | None, env_file: str) -> int:
    """打印 systemd 单元文件（已填好本机的程序路径和配置文件路径）。"""
    config = app.config_path.resolve()
    template = package_file("daemon/zwgk-monitor.service").read_text(encoding="utf-8")
    click.echo(template.format(user=user or getpass.getuser(), workdir=config.parent, env_file=env_file,
                               monitor=monitor_command(), config=config), nl=False)
    return 0


def monitor_command() -> str:
    """This installation's ``monitor``: the script beside this interpreter (the venv's, unresolved)."""
    script = Path(sys.executable).parent / "monitor"
    return str(script) if script.is_file() else f"{sys.executable} -m monitor"
