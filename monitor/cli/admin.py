"""``monitor config check`` and ``monitor db upgrade``."""

from __future__ import annotations

import click

from monitor.cli.app import App, pass_app
from monitor.rules import rule_paths


def register(cli: click.Group) -> None:
    cli.add_command(config_group)
    cli.add_command(db_group)


@click.group("config")
def config_group() -> None:
    """配置文件相关命令。"""


@config_group.command("check")
@pass_app
def config_check(app: App) -> int:
    """校验配置文件与规则文件；有错误时逐条列出（带键路径）并以退出码 2 结束。"""
    config = app.config
    rules = app.rules
    click.echo(f"配置文件 {app.config_path} 有效：单位 {len(config.units)} 个，网站 {len(config.sites)} 个，"
               f"栏目 {len(config.columns)} 个，新媒体账号 {len(config.accounts)} 个。")
    files = ", ".join(p.name for p in rule_paths(config))
    click.echo(f"规则 {len(rules.rules)} 条（{files}）。")
    return 0


@click.group("db")
def db_group() -> None:
    """数据库相关命令。"""


@db_group.command("upgrade")
@pass_app
def db_upgrade(app: App) -> int:
    """把数据库升级到当前版本（新数据库在首次使用时也会自动升级）。"""
    database = app.database
    click.echo(f"数据库已是最新版本（{database.current_revision()}）: {database.url}")
    return 0
