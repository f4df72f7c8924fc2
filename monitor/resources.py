"""Where the shipped data lives: next to the package in a wheel, at the repository top in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_SHIPPED = _PACKAGE / "_shipped"
_CHECKOUT = _PACKAGE.parent


def _find(name: str) -> Path:
    for base in (_SHIPPED, _CHECKOUT):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipped folder {name!r} not found under {_SHIPPED} or {_CHECKOUT}")


def rules_dir() -> Path:
    """The default rule files (``rules/*.toml`` and ``rules/wordlists/``)."""
    return _find("rules")


def migrations_dir() -> Path:
    """The Alembic script folder."""
    return _find("migrations")


def package_file(relative: str) -> Path:
    """A data file shipped inside the package (e.g. ``daemon/zwgk-monitor.service``)."""
    return _PACKAGE / relative


def templates_dir() -> Path:
    return _PACKAGE / "templates"
