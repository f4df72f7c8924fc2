"""crawl_pages: what the whole-site crawl saw at each URL, for incremental rounds (issue 6)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crawl_pages",
        sa.Column("url_hash", sa.String(32), nullable=False),
        sa.Column("site_id", sa.String(100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(32), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("links", sa.LargeBinary(), nullable=True),
        sa.Column("hits", sa.JSON(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_crawl_pages")),
    )
    op.create_index(op.f("ix_crawl_pages_site_id"), "crawl_pages", ["site_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_crawl_pages_site_id"), table_name="crawl_pages")
    op.drop_table("crawl_pages")
