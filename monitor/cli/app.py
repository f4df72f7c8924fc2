"""What every verb needs: the configuration, the clock, the database — loaded lazily, once."""

from __future__ import annotations

import logging
import os
import socket
import sys
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

import click

from monitor.clock import parse_now, system_clock
from monitor.config import Config, load_config
from monitor.errors import UsageError
from monitor.rules import RuleSet, load_config_rules
from monitor.store.db import Database

log = logging.getLogger(__name__)


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


@dataclass
class App:
    config_path: Path
    fixed_now: datetime | None = None
    _database: Database | None = field(default=None, repr=False)

    @classmethod
    def create(cls, config_path: str, now_text: str | None) -> App:
        fixed = None
        if now_text:
            try:
                fixed = parse_now(now_text)
            except ValueError as exc:
                raise UsageError(f"--now: {exc}") from None
        return cls(Path(config_path), fixed)

    def now(self) -> datetime:
        return self.fixed_now or system_clock()

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    @cached_property
    def rules(self) -> RuleSet:
        return load_config_rules(self.config)

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database.open(self.config.monitor.database, self.config.base_dir)
        return self._database


    def owner(self) -> str:
        """This process, as named on the leases it takes (a second process sees who holds them)."""
        return f"{socket.gethostname()}:{os.getpid()}"


pass_app = click.make_pass_decorator(App)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
