"""initial schema: configured targets, rounds, observations, findings, page cache

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(100)
KIND = sa.String(16)
UTC_DATETIME = sa.DateTime(timezone=True)   # monitor.store.tables.UTCDateTime's storage


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("dingtalk_mobiles", sa.JSON(), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_table(
        "sites",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_sites_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "columns",
        sa.Column("id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("item_selector", sa.Text(), nullable=True),
        sa.Column("date_selector", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_columns_site_id_sites")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_columns_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_columns")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", ID, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("feed", sa.Text(), nullable=True),
        sa.Column("page", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_accounts_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("status", KIND, nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("links_checked", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.CheckConstraint("kind IN ('weekly', 'recheck', 'manual', 'check')",
                           name=op.f("ck_rounds_kind")),
        sa.CheckConstraint("status IN ('running', 'done', 'abandoned')",
                           name=op.f("ck_rounds_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", KIND, nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("latest", sa.Date(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_observations_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
    )
    op.create_index(op.f("ix_observations_round_id"), "observations", ["round_id"])
    op.create_index(op.f("ix_observations_target_kind_target_id_round_id"), "observations",
                    ["target_kind", "target_id", "round_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("severity", KIND, nullable=False),
        sa.Column("target_kind", KIND, nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("target_name", sa.Text(), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_findings_round_id_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_round_id"), "findings", ["round_id"])
    op.create_index(op.f("ix_findings_rule_target_kind_target_id"), "findings",
                    ["rule", "target_kind", "target_id"])
    op.create_table(
        "page_cache",
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("fetched_at", UTC_DATETIME, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_page_cache")),
    )


def downgrade() -> None:
    op.drop_table("page_cache")
    op.drop_index(op.f("ix_findings_rule_target_kind_target_id"), table_name="findings")
    op.drop_index(op.f("ix_findings_round_id"), table_name="findings")
    op.drop_table("findings")
    op.drop_index(op.f("ix_observations_target_kind_target_id_round_id"),
                  table_name="observations")
    op.drop_index(op.f("ix_observations_round_id"), table_name="observations")
    op.drop_table("observations")
    op.drop_table("rounds")
    op.drop_table("accounts")
    op.drop_table("columns")
    op.drop_table("sites")
    op.drop_table("units")
