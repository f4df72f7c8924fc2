"""The database: schema, opening and migrations, config sync, page cache, round records.

Everything durable lives here (DESIGN §8): SQLite (WAL) by default, PostgreSQL when
configured. Other modules take a ``Session`` (from ``Database.session()``) and a ``now``.
"""

from monitor.store.db import Database, head_revision, mask
from monitor.store.pagecache import DbPageCache
from monitor.store.rounds import (
    abandon_stale_rounds,
    consecutive_failures,
    finish_round,
    start_round,
)
from monitor.store.sync import sync_config
from monitor.store.tables import RoundKind

__all__ = [
    "Database",
    "DbPageCache",
    "RoundKind",
    "abandon_stale_rounds",
    "consecutive_failures",
    "finish_round",
    "head_revision",
    "mask",
    "start_round",
    "sync_config",
]
