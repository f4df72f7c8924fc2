"""Homepage availability probes (DESIGN §3, site.unreachable): one timed GET per site.

A probe is the State Council's measure, not a crawl: no retry (a retry would hide the
very failure the measure counts), no page cache (a 304 proves less than a page), any
content type, and 15 seconds at most. Every result is stored; the rule judges the history.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from monitor.config import Config, CrawlSettings, Site
from monitor.domain import Probe
from monitor.errors import FetchError
from monitor.fetch import Fetcher
from monitor.stopping import until_stopped
from monitor.store.db import Database
from monitor.store.probes import SiteProbe, record_probes

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 15.0


def run_probes(config: Config, database: Database, now: datetime,
               stop: threading.Event | None = None) -> list[SiteProbe]:
    """Probe every configured site's homepage now and store the results."""
    results = asyncio.run(until_stopped(probe_sites(config.sites, config.crawl, now), stop))
    with database.session() as session:
        record_probes(session, results)
    return results


async def probe_sites(sites: Sequence[Site], crawl: CrawlSettings, now: datetime) -> list[SiteProbe]:
    settings = replace(crawl, timeout_s=PROBE_TIMEOUT_S, retries=0)
    async with Fetcher(settings) as fetcher:
        return list(await asyncio.gather(*(probe_site(fetcher, site, now) for site in sites)))


async def probe_site(fetcher: Fetcher, site: Site, now: datetime) -> SiteProbe:
    """GET the homepage once; an error, HTTP ≥ 400 or no answer within the timeout is a failure."""
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            response = await fetcher.get(site.url, conditional=False, accept=("any",))
        status = response.status
    except TimeoutError:
        error = f"{PROBE_TIMEOUT_S:g} 秒内无响应"
    except FetchError as exc:
        status, error = exc.status, exc.reason
    seconds = round(time.monotonic() - started, 3)
    if error:
        log.info("probe failed site=%s seconds=%.1f error=%s", site.id, seconds, error)
    return SiteProbe(site.id, site.url, Probe(now, error is None, seconds, status, error))
