"""The database schema as SQLAlchemy models. The schema changes only through ``migrations/``.

Configured targets (``units``, ``sites``, ``columns``, ``accounts``) are copies of the
config kept so that history can name them after they leave the config: they are
deactivated, never deleted. ``rounds`` with their ``observations`` and ``findings`` are
the record of every inspection; ``page_cache`` keeps validators and bodies between
rounds for conditional requests; ``crawl_pages`` is the whole-site crawl's memory of every URL
(validators, content hash, links and content hits — no bodies) for incremental rounds.

Every timestamp goes through ``UTCDateTime``: stored as UTC, read back tz-aware in UTC,
and a naive datetime is refused (it would be ambiguous between Asia/Shanghai and UTC).
Model classes end in ``Row`` so they never clash with the domain types.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RoundKind = Literal["weekly", "recheck", "manual", "check"]
RoundStatus = Literal["running", "done", "abandoned"]
ROUND_KINDS: tuple[str, ...] = get_args(RoundKind)
ROUND_STATUSES: tuple[str, ...] = get_args(RoundStatus)

ID = String(100)         # config ids: short, indexable everywhere
KIND = String(16)


class UTCDateTime(TypeDecorator[datetime]):
    """A tz-aware UTC datetime on every backend; naive values are a bug and are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused (give it a timezone): {value!r}")
        utc = value.astimezone(UTC)
        # SQLite (and MySQL) keep no offset: store the UTC wall time.
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


# --- configured targets ------------------------------------------------------------------


class UnitRow(Base):
    __tablename__ = "units"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    dingtalk_mobiles: Mapped[list[str]] = mapped_column(JSON, default=list)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SiteRow(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("units.id"))
    hosts: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ColumnRow(Base):
    __tablename__ = "columns"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID, ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("units.id"))
    item_selector: Mapped[str | None] = mapped_column(Text)
    date_selector: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("units.id"))
    feed: Mapped[str | None] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# --- inspection record -------------------------------------------------------------------


class RoundRow(Base):
    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(_in("kind", ROUND_KINDS), name="kind"),
        CheckConstraint(_in("status", ROUND_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(KIND)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(KIND, default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    links_checked: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class ObservationRow(Base):
    """One target in one round: ``ok`` with what was seen, or not ok with the error."""

    __tablename__ = "observations"
    __table_args__ = (Index(None, "target_kind", "target_id", "round_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    target_kind: Mapped[str] = mapped_column(KIND)
    target_id: Mapped[str] = mapped_column(Text)     # a config id, or an absolute URL
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    latest: Mapped[date | None] = mapped_column(Date)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index(None, "rule", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(KIND)
    target_kind: Mapped[str] = mapped_column(KIND)
    target_id: Mapped[str] = mapped_column(Text)
    target_name: Mapped[str] = mapped_column(Text, default="")
    target_url: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[str] = mapped_column(ID)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- fetch cache -------------------------------------------------------------------------


class PageCacheRow(Base):
    """Keyed by sha256(url): URLs can exceed what PostgreSQL/MySQL will index."""

    __tablename__ = "page_cache"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[bytes | None] = mapped_column(LargeBinary)   # zlib-compressed
    reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)    # what a reader made of this body


# --- alerts (DESIGN §4) ------------------------------------------------------------------

ALERT_STATUSES = ("open", "resolved", "waived")


class AlertRow(Base):
    """One fingerprint's alert. At most one row per fingerprint is not resolved (partial unique index).

    ``version`` is bumped by every update, which is made with ``WHERE version = old``;
    ``lease_owner``/``lease_until`` let one process claim an alert for a recheck.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        CheckConstraint(_in("severity", ("yellow", "red")), name="severity"),
        Index("uq_alerts_active_fingerprint", "fingerprint", unique=True,
              sqlite_where=text("status != 'resolved'"), postgresql_where=text("status != 'resolved'")),
        Index(None, "status", "recheck_due"),
        Index(None, "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64))      # sha256 of rule|kind|id
    rule: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str] = mapped_column(KIND)
    target_id: Mapped[str] = mapped_column(Text)
    target_name: Mapped[str] = mapped_column(Text, default="")
    target_url: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[str] = mapped_column(ID)
    severity: Mapped[str] = mapped_column(KIND)
    status: Mapped[str] = mapped_column(KIND)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recheck_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    rechecks: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    lease_owner: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertEventRow(Base):
    """Append-only history: who or what changed an alert, when, and why."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(Integer, ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(KIND)                # the alert's severity after the event
    round_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rounds.id", ondelete="SET NULL"))


# --- outbox (issue 4: notices and digests, delivered at least once, never enqueued twice) -----

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")
OUTBOX_CHANNELS = ("dingtalk", "email")


class OutboxRow(Base):
    """One message to send, written in the transaction of the alert change that causes it.

    ``idempotency_key`` (sha256 of the channel, recipient and the alert events reported) is
    unique, so enqueueing the same events twice is a no-op. A sender claims a row with a
    compare-and-set ``UPDATE … WHERE status`` and a lease; ``batch`` names the one DingTalk
    message that carried it (several rows may be merged into one), which is what the
    20-a-minute pacing counts.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint(_in("channel", OUTBOX_CHANNELS), name="channel"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "channel", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(KIND)
    kind: Mapped[str] = mapped_column(KIND)                  # notice escalation digest
    unit_id: Mapped[str | None] = mapped_column(ID)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)   # addresses, or mobiles to @
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)                  # e-mail text part, or DingTalk markdown
    html: Mapped[str | None] = mapped_column(Text)
    alert_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=1)   # 0 red first
    status: Mapped[str] = mapped_column(KIND, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    batch: Mapped[str | None] = mapped_column(String(32))
    lease_owner: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- published items (monitor stats) ----------------------------------------------------

LINK_STATUSES = ("both", "one_way", "none", "exempt", "outside")


class ItemRow(Base):
    """One published item (a column entry, a policy document, an interpretation), kept across rounds.

    Upserted from every round's observations, keyed by sha256(url); counted by its own
    ``published`` date, so an item seen in many rounds counts once, in the year it came out.
    ``link_status`` is set for policy documents once judged (an interpretation's form — 图解,
    H5, 视频 — is read from its title when counting, so keyword changes apply to the past).
    """

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(f"link_status IS NULL OR {_in('link_status', LINK_STATUSES)}", name="link_status"),
        Index(None, "published"),
    )

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(32))
    column_id: Mapped[str | None] = mapped_column(ID)          # None: only linked from a policy document
    unit_id: Mapped[str] = mapped_column(ID)
    link_status: Mapped[str | None] = mapped_column(String(16))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


# --- daemon: availability probes and the running daemon (issue 5) -------------------------


class ProbeRow(Base):
    """One availability probe of a site's homepage (site.unreachable is judged from these).

    ``ok`` is False when the homepage could not be fetched at all (error, HTTP ≥ 400, no
    answer within the probe timeout); a slow answer stays ``ok`` and is judged by the rule.
    """

    __tablename__ = "probes"
    __table_args__ = (Index(None, "site_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ID, ForeignKey("sites.id"))
    url: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class DaemonRunRow(Base):
    """One life of ``monitor run``: who it is, its heartbeat, how it ended, and its jobs.

    Only the instance holding the single-instance lock writes here. ``jobs`` maps each
    job name to its schedule, next run and last outcome, for ``monitor status``.
    """

    __tablename__ = "daemon_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(32), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_reason: Mapped[str | None] = mapped_column(Text)
    jobs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- whole-site crawl (issue 6) -------------------------------------------------------------


class CrawlPageRow(Base):
    """What the last crawl saw at one URL: status, validators, content hash, links, content hits.

    No body is kept: the next round sends a conditional request and, for an unchanged
    page, takes its links and hits from here instead of parsing it again.
    ``links`` is zlib-compressed ``url\\ttext`` lines; ``hits`` the page's content
    findings' facts (ID numbers masked), null when it has none.
    """

    __tablename__ = "crawl_pages"

    url_hash: Mapped[str] = mapped_column(String(32), primary_key=True)   # blake2b-128 hex of url
    site_id: Mapped[str] = mapped_column(ID, index=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[bytes | None] = mapped_column(LargeBinary)
    hits: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
