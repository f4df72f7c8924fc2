"""Our exceptions, in one module.

    MonitorError                 anything the CLI prints as one line (exit 2) instead of a traceback
    ├── ConfigError              the configuration or a rule file is invalid; carries every problem
    ├── UsageError               an operator asked for something impossible (unknown alert id …)
    ├── StorageError             the database cannot be opened or upgraded
    ├── FetchError               a URL could not be fetched; ``transient`` says whether a retry may help
    ├── ExtractError             a page was fetched but is not what the target needs (not HTML, not a feed)
    ├── Interrupted              work stopped on request (SIGTERM) at a clean point; nothing half-written
    └── AlreadyRunning           another ``monitor run`` holds this database

Only bugs show a traceback.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class: the message is meant for the operator."""


class ConfigError(MonitorError):
    """One or more configuration problems, each ``key.path: what is wrong``."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(self.problems))

    def report(self) -> str:
        """Multi-line form for the terminal: one problem per line."""
        where = f"配置文件 {self.source} " if self.source else "配置"
        lines = [f"{where}有 {len(self.problems)} 处错误:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class UsageError(MonitorError):
    """The command was well-formed but asks for something that cannot be done."""


class StorageError(MonitorError):
    """The database is unreachable, locked or at an unknown schema version."""


class FetchError(MonitorError):
    """A fetch failed. ``transient`` errors (timeouts, 5xx, 429, connection resets) may be retried."""

    def __init__(self, url: str, reason: str, *, transient: bool, status: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.transient = transient
        self.status = status
        super().__init__(reason)


class ExtractError(MonitorError):
    """The page was fetched but cannot serve as this target (e.g. an HTML login wall instead of a feed)."""


class Interrupted(MonitorError):
    """The daemon is stopping: the work in progress stopped where nothing is half-written."""


class AlreadyRunning(MonitorError):
    """A second ``monitor run`` on the same database; the message names the running one."""
