"""The daemon (``monitor run``) and what shows it (``monitor status``, the systemd unit).

- ``jobs``: the declarative list of jobs and the work each does;
- ``runtime``: the scheduler, one job run, catch-up at start, graceful stop, heartbeat;
- ``lock``: one daemon per database (PostgreSQL advisory lock, SQLite lock file);
- ``record`` / ``board``: the daemon's row in ``daemon_runs`` and its jobs' state;
- ``status``: ``monitor status`` assembled from small sections;
- ``logs``: key=value or JSON log lines.
"""
