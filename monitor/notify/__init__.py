"""Notices, the weekly digest, and their delivery through a durable outbox (issue 4).

    alert changes ──after_apply──▶ notices.enqueue (same transaction) ──▶ outbox rows
    outbox.flush(config, database, now) ──▶ dingtalk.DingTalk / mail.Email ──▶ "notified" events
    digest.build_digest(session, config, now) ──▶ render.digest_* ──▶ outbox rows

One module per channel; ``base`` holds the tiny transport interface they share.
"""
