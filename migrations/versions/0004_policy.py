"""items: published items kept across rounds for ``monitor stats`` (issue 8)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(100)
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("column_id", ID, nullable=True),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("link_status", sa.String(16), nullable=True),
        sa.Column("first_seen", UTC_DATETIME, nullable=False),
        sa.Column("last_seen", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("link_status IS NULL OR link_status IN ('both', 'one_way', 'none', 'exempt', 'outside')",
                           name=op.f("ck_items_link_status")),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_items")),
    )
    op.create_index(op.f("ix_items_published"), "items", ["published"])


def downgrade() -> None:
    op.drop_index(op.f("ix_items_published"), table_name="items")
    op.drop_table("items")
