"""Shared fixtures. Databases: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``$MONITOR_TEST_PG`` (default: the local ``test`` database); each
test gets a fresh database created through it and dropped afterwards. When PostgreSQL is
unreachable those tests are skipped with the reason shown (``-ra``); set
``MONITOR_REQUIRE_PG=1`` (CI) to make that a failure instead.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from monitor.siteserver import SiteServer
from monitor.store.db import Database, mask
from portal_kit import Portal

PG_URL = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database file (not yet created)."""
    return f"sqlite:///{tmp_path / 'monitor.db'}"


def _create_database(admin: Engine, name: str) -> None:
    """CREATE DATABASE copies template1 and fails while another session (a parallel test run) uses it."""
    for attempt in range(20):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            return
        except SQLAlchemyError as exc:
            if "being accessed by other users" not in str(exc) or attempt == 19:
                raise
            time.sleep(0.1)


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                          connect_args={"connect_timeout": 5})
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    try:
        _create_database(admin, name)
    except SQLAlchemyError as exc:
        admin.dispose()
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        reason = f"PostgreSQL not reachable at {mask(PG_URL)}: {detail}"
        if os.environ.get("MONITOR_REQUIRE_PG") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend, by URL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def _opened(url: str, base_dir: Path) -> Iterator[Database]:
    database = Database.open(url, base_dir)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[Database]:
    """An opened database at the newest schema, on SQLite and on PostgreSQL."""
    yield from _opened(database_url, tmp_path)


@pytest.fixture
def sqlite_database(sqlite_url: str, tmp_path: Path) -> Iterator[Database]:
    """An opened SQLite database at the newest schema, for tests that need one backend only."""
    yield from _opened(sqlite_url, tmp_path)


@pytest.fixture
def portal() -> Iterator[Portal]:
    """An editable portal on a loopback port: homepage plus the columns a test publishes."""
    with SiteServer() as server:
        yield Portal(server)


from notify_kit import certificate, robot, smtp  # noqa: E402, F401  (issue 4: SMTP server, fake DingTalk robot)
