"""Copy the configured targets into the database.

History (observations, findings, alerts) refers to units, sites, columns and accounts by
id, so a target that leaves the config is only deactivated, never deleted; one that
comes back is reactivated with the config's current values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.tables import AccountRow, ColumnRow, SiteRow, UnitRow

if TYPE_CHECKING:
    from monitor.config import Config

TargetRow = TypeVar("TargetRow", UnitRow, SiteRow, ColumnRow, AccountRow)


def sync_config(session: Session, config: Config) -> None:
    """Upsert units, sites, columns and accounts from ``config``; deactivate those not in it."""
    # Parents first, flushing between kinds: foreign keys are checked row by row.
    _sync(session, UnitRow, {
        u.id: {"name": u.name, "dingtalk_mobiles": list(u.dingtalk_mobiles),
               "emails": list(u.emails)}
        for u in config.units
    })
    _sync(session, SiteRow, {
        s.id: {"name": s.name, "url": s.url, "unit_id": s.unit, "hosts": list(s.hosts)}
        for s in config.sites
    })
    _sync(session, ColumnRow, {
        c.id: {"site_id": c.site, "name": c.name, "url": c.url, "category": c.category,
               "unit_id": c.unit, "item_selector": c.item_selector,
               "date_selector": c.date_selector}
        for c in config.columns
    })
    _sync(session, AccountRow, {
        a.id: {"platform": a.platform, "name": a.name, "unit_id": a.unit, "feed": a.feed,
               "page": a.page}
        for a in config.accounts
    })


def _sync(
    session: Session, model: type[TargetRow], wanted: Mapping[str, Mapping[str, Any]]
) -> None:
    existing = {row.id: row for row in session.scalars(select(model))}
    for target_id, values in wanted.items():
        row = existing.get(target_id)
        if row is None:
            session.add(model(id=target_id, active=True, **values))
            continue
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
        row.active = True
    for target_id, row in existing.items():
        if target_id not in wanted and row.active:
            row.active = False
    session.flush()
