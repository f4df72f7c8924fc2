"""page_cache.reading: what a reader made of a cached body, so an unchanged page is not parsed again

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("page_cache", sa.Column("reading", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page_cache") as batch:
        batch.drop_column("reading")
