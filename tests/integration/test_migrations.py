"""The migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from monitor.errors import StorageError
from monitor.store.db import Database, head_revision
from monitor.store.tables import Base


def test_empty_database_is_upgraded_to_head_matching_the_models(
    database_url: str, tmp_path: Path
) -> None:
    database = Database.open(database_url, tmp_path, upgrade=False)
    try:
        assert database.current_revision() is None
        database.upgrade()
        assert database.current_revision() == head_revision()
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        database.upgrade()                      # at head already: nothing to do
    finally:
        database.close()


def test_open_upgrades_a_new_database(database: Database) -> None:
    assert database.current_revision() == head_revision()


def test_unknown_newer_revision_is_refused(database_url: str, tmp_path: Path) -> None:
    database = Database.open(database_url, tmp_path)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    database.close()
    with pytest.raises(StorageError, match=r"9999.*请升级 monitor"):
        Database.open(database_url, tmp_path)


def test_concurrent_opens_of_a_new_database_both_succeed(
    database_url: str, tmp_path: Path
) -> None:
    def open_and_close() -> str | None:
        database = Database.open(database_url, tmp_path)
        try:
            return database.current_revision()
        finally:
            database.close()

    with ThreadPoolExecutor(max_workers=3) as pool:
        revisions = list(pool.map(lambda _: open_and_close(), range(3)))
    assert revisions == [head_revision()] * 3


def test_foreign_keys_are_on_after_an_upgrade(sqlite_url: str, tmp_path: Path) -> None:
    database = Database.open(sqlite_url, tmp_path)
    try:
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.close()


def test_schema_head_is_the_newest_migration() -> None:
    from monitor.store.db import _script

    assert _script().get_current_head() == head_revision()


def test_a_database_at_head_opens_without_alembic(tmp_path: Path) -> None:
    """Every command opens the database; importing Alembic costs each one half a second."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    Database.open(url, tmp_path).close()
    code = ("import sys; from pathlib import Path; from monitor.store.db import Database; "
            f"Database.open({url!r}, Path('.')).close(); print(sorted(m for m in sys.modules if 'alembic' in m))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
