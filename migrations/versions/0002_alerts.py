"""alerts and their append-only event history (DESIGN §4)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(100)
KIND = sa.String(16)
UTC_DATETIME = sa.DateTime(timezone=True)
NOT_RESOLVED = sa.text("status != 'resolved'")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("target_kind", KIND, nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("target_name", sa.Text(), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("severity", KIND, nullable=False),
        sa.Column("status", KIND, nullable=False),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("recheck_due", UTC_DATETIME, nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("rechecks", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("status IN ('open', 'resolved', 'waived')", name=op.f("ck_alerts_status")),
        sa.CheckConstraint("severity IN ('yellow', 'red')", name=op.f("ck_alerts_severity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index("uq_alerts_active_fingerprint", "alerts", ["fingerprint"], unique=True,
                    sqlite_where=NOT_RESOLVED, postgresql_where=NOT_RESOLVED)
    op.create_index(op.f("ix_alerts_status_recheck_due"), "alerts", ["status", "recheck_due"])
    op.create_index(op.f("ix_alerts_unit_id_status"), "alerts", ["unit_id", "status"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("severity", KIND, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_events_alert_id_alerts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_alert_events_round_id_rounds"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(op.f("ix_alert_events_alert_id"), "alert_events", ["alert_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_events_alert_id"), table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_index(op.f("ix_alerts_unit_id_status"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_status_recheck_due"), table_name="alerts")
    op.drop_index("uq_alerts_active_fingerprint", table_name="alerts")
    op.drop_table("alerts")
