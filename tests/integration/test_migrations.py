"""The migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

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
