"""Whole-database copies: an online backup of SQLite, and moving from SQLite to PostgreSQL.

``backup`` uses ``VACUUM INTO``: one read transaction, so it is consistent and safe while the
daemon writes (WAL readers never block writers), and the copy is compact. Copying the file
with ``cp`` is not: the newest changes may still sit in ``-wal``.

``copy_database`` goes table by table in foreign-key order through our own models, so values
keep their meaning across backends (SQLite keeps UTC wall times without an offset; a generic
tool would read them as local times), then moves PostgreSQL's id sequences past the copied ids.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, Integer, Table, func, insert, select, text

from monitor.errors import StorageError
from monitor.store.db import Database
from monitor.store.tables import Base

log = logging.getLogger(__name__)

BATCH = 500


def backup(database: Database, path: Path) -> None:
    """Write a consistent, compacted copy of a SQLite database to ``path`` (which must not exist)."""
    if database.dialect != "sqlite":
        raise StorageError(f"monitor db backup 只用于 SQLite；{database.dialect} 请用 pg_dump 备份")
    if path.exists():
        raise StorageError(f"{path} 已存在：请换一个文件名（备份不会覆盖已有文件）")
    with database.engine.connect() as connection:
        connection.exec_driver_sql("VACUUM INTO ?", (str(path),))


def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target`` (both at the newest schema); rows per table."""
    tables = Base.metadata.sorted_tables
    with target.engine.connect() as connection:
        filled = [t.name for t in tables if connection.scalar(select(func.count()).select_from(t))]
    if filled:
        raise StorageError(f"目标数据库 {target.url} 不是空的（{', '.join(filled)} 已有数据）")
    counts: dict[str, int] = {}
    with source.engine.connect() as reader, target.engine.begin() as writer:
        for table in tables:
            rows = reader.execution_options(yield_per=BATCH).execute(select(table))
            counts[table.name] = 0
            for batch in rows.mappings().partitions():
                writer.execute(insert(table), [dict(row) for row in batch])
                counts[table.name] += len(batch)
            if target.dialect == "postgresql":
                _move_sequence(writer, table)
    log.info("database copied", extra={"rows": sum(counts.values()), "target": target.url})
    return counts


def _move_sequence(writer: Connection, table: Table) -> None:
    """After explicit ids were inserted, the next generated id must come after them."""
    if "id" not in table.c or not isinstance(table.c.id.type, Integer):
        return
    name = table.name
    writer.execute(text(
        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
        f'FROM "{name}"'))
