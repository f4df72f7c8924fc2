"""One daemon per database: the lock on SQLite (lock file) and PostgreSQL (advisory lock)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.cli import main
from monitor.daemon import record
from monitor.daemon.lock import FileLock, PgLock, instance_lock
from monitor.errors import StorageError
from monitor.store.db import Database
from portal_kit import write_config

HOLD = """
import sys
from pathlib import Path
from monitor.daemon.lock import instance_lock
from monitor.store.db import Database
lock = instance_lock(Database.open(sys.argv[1], Path(sys.argv[2])))
print("locked" if lock.acquire() else "refused", flush=True)
sys.stdin.read()
"""


def test_a_second_lock_on_the_same_database_is_refused(database: Database, database_url: str,
                                                       tmp_path: Path) -> None:
    other = Database.open(database_url, tmp_path)
    try:
        first, second = instance_lock(database), instance_lock(other)
        assert first.acquire() and first.held()
        assert not second.acquire() and not second.held()
        first.release()
        assert not first.held()
        assert second.acquire()
        second.release()
    finally:
        other.close()


def test_kind_of_lock_follows_the_backend(database: Database) -> None:
    lock = instance_lock(database)
    if database.dialect == "sqlite":
        assert isinstance(lock, FileLock)
        assert lock.path == Path(f"{database.engine.url.database}.lock")
        assert lock.acquire()
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()      # who holds it, for people
        lock.release()
        assert lock.path.read_text() == ""
    else:
        assert isinstance(lock, PgLock)


def test_a_killed_holder_leaves_no_lock_behind(database: Database, database_url: str, tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, database_url, str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        lock = instance_lock(database)
        assert not lock.acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        assert _eventually(lock.acquire)          # PostgreSQL notices the closed connection at once
        lock.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def _eventually(attempt: Callable[[], bool], tries: int = 50) -> bool:
    for _ in range(tries):
        if attempt():
            return True
        time.sleep(0.1)
    return False


def test_postgresql_lock_lost_with_its_connection_is_noticed(postgresql_url: str, tmp_path: Path) -> None:
    database = Database.open(postgresql_url, tmp_path)
    other = Database.open(postgresql_url, tmp_path)
    try:
        lock = instance_lock(database)
        assert lock.acquire()
        with other.engine.connect() as conn:           # the server drops the holder's session
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                              "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"))
            conn.commit()
        assert not lock.held()
        successor = instance_lock(other)
        assert successor.acquire()
        assert not lock.acquire()
        successor.release()
    finally:
        database.close()
        other.close()


def test_memory_sqlite_cannot_host_a_daemon(tmp_path: Path) -> None:
    database = Database.open("sqlite://", tmp_path)
    try:
        with pytest.raises(StorageError, match="数据库文件"):
            instance_lock(database)
    finally:
        database.close()


def test_second_run_is_refused_naming_the_running_one(database: Database, database_url: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    lock = instance_lock(database)
    assert lock.acquire()
    started = datetime(2026, 11, 23, 1, 59, 30, tzinfo=UTC)
    with database.session() as session:
        record.register(session, host="county-server", pid=4242, version="0.1.0", now=started, jobs={})
    config = write_config(tmp_path, "http://127.0.0.1:9", database_url)
    try:
        code = main(["--config", str(config), "run"])
    finally:
        lock.release()
    err = capsys.readouterr().err
    assert code == 2
    assert "守护进程已在运行" in err
    assert "主机 county-server，进程 4242，自 2026-11-23 09:59:30 起运行" in err
