"""政务公开巡检 — inspection daemon for a county government's portal and new-media accounts.

The pipeline, one module each: fetch → extract → rules → alerts → notices.
"""

__version__ = "0.1.0"
