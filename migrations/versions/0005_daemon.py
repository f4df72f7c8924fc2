"""daemon: homepage availability probes and the record of each ``monitor run``

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(100)
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "probes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_probes_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probes")),
    )
    op.create_index(op.f("ix_probes_site_id_at"), "probes", ["site_id", "at"])
    op.create_table(
        "daemon_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("heartbeat_at", UTC_DATETIME, nullable=False),
        sa.Column("stopped_at", UTC_DATETIME, nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("jobs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daemon_runs")),
    )


def downgrade() -> None:
    op.drop_table("daemon_runs")
    op.drop_index(op.f("ix_probes_site_id_at"), table_name="probes")
    op.drop_table("probes")
