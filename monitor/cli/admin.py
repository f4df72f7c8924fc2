"""``monitor config check``, ``monitor db upgrade``, ``monitor db backup`` and ``monitor db copy-to``."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.app import App, pass_app
from monitor.daemon.lock import instance_lock
from monitor.daemon.runtime import holder_message
from monitor.errors import AlreadyRunning
from monitor.rules import rule_paths
from monitor.store.db import Database
from monitor.store.transfer import backup, copy_database


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


@db_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def db_backup(app: App, path: Path) -> int:
    """把 SQLite 数据库备份到文件 PATH（一致的快照，守护进程运行时也可以做；不能直接 cp 数据库文件）。"""
    backup(app.database, path)
    click.echo(f"已备份到 {path}（{path.stat().st_size // 1024} KB）")
    return 0


@db_group.command("copy-to")
@click.argument("url")
@pass_app
def db_copy_to(app: App, url: str) -> int:
    """把当前数据库的全部数据复制到另一个空数据库 URL（例如从 SQLite 迁到 PostgreSQL）；复制期间守护进程须停止。

    密码不要写在命令行里：用环境变量 PGPASSWORD。
    """
    source = app.database
    lock = instance_lock(source)
    if not lock.acquire():
        raise AlreadyRunning(holder_message(source, app.config.monitor.tz) + "。请先停止守护进程再复制")
    try:
        target = Database.open(url, app.config.base_dir)
        try:
            counts = copy_database(source, target)
        finally:
            target.close()
    finally:
        lock.release()
    click.echo(f"已复制 {sum(counts.values())} 行到 {target.url}:")
    click.echo("  " + "，".join(f"{name} {n}" for name, n in counts.items() if n))
    click.echo("下一步：把配置文件中的 monitor.database 改为新地址，再启动守护进程。")
    return 0
