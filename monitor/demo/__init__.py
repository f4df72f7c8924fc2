"""The bundled demo portal (示例县人民政府) that ``monitor demo`` serves and inspects."""

from monitor.demo.site import (
    DEMO_COLUMNS,
    DEMO_UNITS,
    HOMEPAGE_NEWEST_AGE,
    NEWEST_AGE,
    SITE_ID,
    SITE_NAME,
    DemoColumn,
    DemoUnit,
    build_site,
    demo_config_text,
    expected_findings,
    publish,
)

__all__ = [
    "DEMO_COLUMNS",
    "DEMO_UNITS",
    "HOMEPAGE_NEWEST_AGE",
    "NEWEST_AGE",
    "SITE_ID",
    "SITE_NAME",
    "DemoColumn",
    "DemoUnit",
    "build_site",
    "demo_config_text",
    "expected_findings",
    "publish",
]
