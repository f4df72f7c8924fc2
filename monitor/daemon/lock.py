"""One daemon per database.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection
  kept for the daemon's life. The server drops it when that connection ends, however
  the process dies, so a SIGKILLed daemon never blocks its successor.
- SQLite: an exclusive ``flock`` on ``<database file>.lock`` next to the database. The
  kernel drops it when the process dies. The file holds the owner for people to read
  and is never deleted (deleting a lock file lets two processes lock different inodes).
  Not for databases on network file systems, where ``flock`` may not be shared.

Who holds the lock is read from ``daemon_runs`` (see ``monitor.daemon.record``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import StorageError
from monitor.store.db import Database

log = logging.getLogger(__name__)

PG_DAEMON_LOCK = 0x7A67_6B6D_6461_656D   # "zgkmdaem"; the migration lock uses another key


class InstanceLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock if nobody holds it; False if another process does."""

    def held(self) -> bool:
        """Whether the lock is still ours (a PostgreSQL connection can drop)."""

    def release(self) -> None: ...


def instance_lock(database: Database) -> InstanceLock:
    if database.dialect == "postgresql":
        return PgLock(database.engine)
    if database.dialect == "sqlite":
        path = database.engine.url.database
        if not path or path == ":memory:":
            raise StorageError("守护进程需要一个数据库文件（内存数据库无法与命令行共用）")
        return FileLock(Path(f"{path}.lock"))
    raise StorageError(f"守护进程不支持数据库类型 {database.dialect}（支持 SQLite 与 PostgreSQL）")


class FileLock:
    """``flock`` on a file next to the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        try:
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise StorageError(f"无法打开锁文件 {self.path}: {exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        owner = {"host": socket.gethostname(), "pid": os.getpid(), "since": datetime.now(UTC).isoformat()}
        handle.write(json.dumps(owner) + "\n")
        handle.flush()
        self._file = handle
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.truncate(0)        # while still locked: never erases a successor's line
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class PgLock:
    """A PostgreSQL advisory lock held by one dedicated connection (autocommit: never idle in a transaction)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            raise StorageError(f"无法连接数据库以取得守护进程锁: {type(exc).__name__}") from exc
        try:
            won = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_DAEMON_LOCK}).scalar()
        except SQLAlchemyError as exc:
            connection.close()
            raise StorageError(f"无法取得守护进程锁: {type(exc).__name__}") from exc
        if not won:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            log.warning("lost the database connection that holds the daemon lock")
            self._connection.invalidate()
            self._connection = None
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_DAEMON_LOCK})
        except SQLAlchemyError:
            log.warning("could not unlock the daemon lock; the server drops it with the connection")
        finally:
            self._connection.close()
            self._connection = None
