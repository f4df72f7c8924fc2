"""Opening the database and keeping its schema at the head of ``migrations/``.

``Database.open`` is the one way in: it resolves a relative SQLite path against the
config's folder, tunes SQLite for a daemon and CLI sharing one file (WAL, busy timeout,
foreign keys), checks the connection, refuses a schema newer than this program, and
upgrades an older or empty one. Every failure is a ``StorageError`` whose message names
the database with its password masked.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StorageError
from monitor.resources import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
WAL_SWITCH_TRIES = 100          # × 50 ms; see _sqlite_wal
PG_CONNECT_TIMEOUT_S = 10
_PG_MIGRATION_LOCK = 0x7A67_6B6D  # "zgkm": serialises concurrent upgrades on PostgreSQL
# The newest revision in migrations/ (a test holds the two together). A database already
# there is opened without importing Alembic, which costs every command half a second.
SCHEMA_HEAD = "0007"
VERSION_TABLE = "alembic_version"


def mask(url: str | URL) -> str:
    """The URL as it may be shown to a person or logged: password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<无法解析的数据库地址>"


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json_dumps(value: Any) -> str:
    # Chinese stays readable in the database; dates in evidence/facts become ISO strings.
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def resolve_url(url: str, base_dir: Path) -> URL:
    """Parse ``url``; a relative SQLite path is taken relative to ``base_dir`` and its folder made."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"数据库地址无法解析: {url!r}") from exc
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return parsed
    path = Path(parsed.database)
    if not path.is_absolute():
        path = base_dir / path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"无法创建数据库文件夹 {path.parent}: {exc}") from exc
    return parsed.set(database=str(path))


def _create_engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    engine = create_engine(
        url,
        json_serializer=_json_dumps,
        pool_pre_ping=backend != "sqlite",   # server connections die; a file does not
        connect_args=connect_args,
    )
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        _sqlite_wal(cursor)
    finally:
        cursor.close()


def _sqlite_wal(cursor: Any) -> None:
    """Switch the file to WAL (it stays so). The switch answers "locked" at once, without
    waiting for busy_timeout, when another connection opens the new file at the same moment,
    so it is retried briefly."""
    for attempt in range(WAL_SWITCH_TRIES):
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if mode in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError:
            if attempt == WAL_SWITCH_TRIES - 1:
                raise
            time.sleep(0.05)


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def head_revision() -> str:
    """The newest schema revision this program knows."""
    return SCHEMA_HEAD


def _read_revision(connection: Connection) -> str | None:
    """The revision Alembic stored; None for an empty database."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revisions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(revisions) > 1:
        raise StorageError(f"数据库 {VERSION_TABLE} 表有多个版本 {revisions}，无法判断结构版本")
    return revisions[0] if revisions else None


class Database:
    """An engine and its session factory. Use ``Database.open``; close with ``close()``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, base_dir: Path, *, upgrade: bool = True) -> Database:
        """Connect, refuse an unknown (newer) schema, and bring an older one to head if ``upgrade``."""
        database = cls(_create_engine(resolve_url(url, base_dir)))
        try:
            if upgrade:
                database.upgrade()
            else:
                database.check_revision()
        except BaseException:
            database.close()
            raise
        return database

    @property
    def url(self) -> str:
        """The masked URL, for messages."""
        return mask(self.engine.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block succeeds and rolls back when it raises."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection for schema work; driver errors become StorageError naming the database."""
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as exc:
            raise StorageError(f"无法连接数据库 {self.url}: {_reason(exc)}") from exc
        try:
            with connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StorageError(f"数据库 {self.url} 出错: {_reason(exc)}") from exc

    def current_revision(self) -> str | None:
        """The schema revision stored in the database; None for an empty database."""
        with self._connect() as connection:
            return _read_revision(connection)

    def check_revision(self) -> str | None:
        """The current revision; StorageError if this program does not know it."""
        current = self.current_revision()
        self._refuse_unknown(current)
        return current

    def _refuse_unknown(self, revision: str | None) -> None:
        if revision is not None and not _is_known(revision):
            raise StorageError(
                f"数据库 {self.url} 的结构版本 {revision} 比本程序认识的最新版本 "
                f"{head_revision()} 更新：请升级 monitor 程序后再使用此数据库"
            )

    def upgrade(self) -> None:
        """Run the migrations up to head (a no-op when already there).

        Safe against a second process upgrading at the same moment: the revision is read
        again under a lock (PostgreSQL advisory lock; SQLite write lock).
        """
        if self.check_revision() == head_revision():
            return
        with self._connect() as connection:
            if self.dialect == "sqlite":
                self._upgrade_sqlite(connection)
                return
            with connection.begin():
                if self.dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": _PG_MIGRATION_LOCK})
                self._migrate(connection)

    def _upgrade_sqlite(self, connection: Connection) -> None:
        # SQLite's own recipe for schema changes: foreign keys off (possible only outside a
        # transaction) so batch table rebuilds work, one write-locked transaction, and
        # foreign_key_check before commit.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                self._migrate(connection)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise StorageError(f"数据库 {self.url} 升级后外键不一致: {broken[:5]}")
        finally:
            self._restore_foreign_keys(connection)

    @staticmethod
    def _restore_foreign_keys(connection: Connection) -> None:
        try:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
        except SQLAlchemyError:
            connection.invalidate()   # never pool a connection whose foreign keys are off
            raise

    def _migrate(self, connection: Connection) -> None:
        before = _read_revision(connection)   # again, now under the lock
        self._refuse_unknown(before)
        if before == head_revision():
            return
        log.info("upgrading database schema", extra={"url": self.url, "from": before})
        from alembic import command

        command.upgrade(_alembic_config(connection), "head")

    def close(self) -> None:
        self.engine.dispose()


def _is_known(revision: str) -> bool:
    return revision == SCHEMA_HEAD or any(script.revision == revision for script in _script().walk_revisions())


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own first line, without SQLAlchemy's statement dump and help link."""
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__
