"""The ``monitor`` group: each verb found by its name, and only its own module imported."""

from __future__ import annotations

import subprocess
import sys

import click

from monitor.cli import VERBS, cli


def test_every_verb_is_found_under_its_own_name() -> None:
    context = click.Context(cli)
    assert cli.list_commands(context) == sorted(VERBS)
    assert all(cli.get_command(context, name).name == name for name in VERBS)      # type: ignore[union-attr]
    assert cli.get_command(context, "no-such-verb") is None


def test_a_check_imports_neither_the_scheduler_nor_the_notifiers() -> None:
    """Only the verb being run is imported: every command once paid for all of them."""
    code = ("import sys, click; from monitor.cli import cli; cli.get_command(click.Context(cli), 'check'); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'apscheduler', 'jinja2', 'httpx', 'alembic'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
