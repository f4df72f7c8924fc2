"""Escaping, signing, error classification, merging and the notice's wording — no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.alerts.lifecycle import AlertState, Change
from monitor.alerts.store import Applied
from monitor.config import parse_config
from monitor.domain import TargetRef
from monitor.notify.base import Message, redact
from monitor.notify.dingtalk import MAX_BYTES, classify, pack, part_text, sign
from monitor.notify.notices import PART_BYTES, build_notices, drafts_for, render_markdown_parts
from monitor.notify.render import escape_md, md_link, safe_url

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, tzinfo=TZ)
CONFIG = parse_config({
    "units": [{"id": "fgj", "name": "县发改局", "dingtalk_mobiles": ["13800000002"], "emails": ["fgj@example.gov.cn"]}],
    "notify": {"dingtalk": {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=t"},
               "email": {"host": "smtp.example.gov.cn", "sender": "示例县政务公开办 <gkb@example.gov.cn>"}}},
    base_dir=Path("."), env={})


@pytest.mark.parametrize(("text", "expected"), [
    ("**粗体**", "＊＊粗体＊＊"),
    ("](javascript:alert(1))", "］（javascript:alert（1））"),
    ("<script>x</script>", "＜script＞x＜/script＞"),
    ("# 标题\n- 列表", "＃ 标题 - 列表"),
    ("@13800000000 请看", "＠13800000000 请看"),
    ("2026-11-05 政务要闻", "2026-11-05 政务要闻"),
])
def test_markdown_escaping_makes_crawled_text_inert(text: str, expected: str) -> None:
    assert escape_md(text) == expected


def test_links_only_for_http_and_percent_encoded() -> None:
    assert md_link("栏目", "http://a.gov.cn/x (1)/") == "[栏目](http://a.gov.cn/x%20%281%29/)"
    assert md_link("点我", "javascript:alert(1)") == "点我"
    assert safe_url("JAVASCRIPT:alert(1)") is None and safe_url("https://a.gov.cn/") == "https://a.gov.cn/"


def test_sign_matches_dingtalks_recipe() -> None:
    expected = base64.b64encode(hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()).decode()
    assert sign("SECabc", 1700000000000) == expected


@pytest.mark.parametrize(("code", "message", "permanent", "channel_wide", "words"), [
    (130101, "send too fast", False, True, "限流"),
    (310000, "sign not match", True, True, "签名不匹配"),
    (310000, "keywords not in content", True, True, "关键词"),
    (310000, "ip 1.2.3.4 not in whitelist", True, True, "白名单"),
    (310000, "invalid timestamp", True, True, "时间戳"),
    (460101, "message too long, exceed 20000 bytes", True, False, "20000字节"),
    (300001, "token is not exist", True, True, "access_token"),
    (999999, "something new", False, False, "999999"),
])
def test_errcodes_are_classified(code: int, message: str, permanent: bool, channel_wide: bool, words: str) -> None:
    error = classify(code, message)
    assert (error.permanent, error.channel_wide) == (permanent, channel_wide)
    assert words in error.reason


def test_redact_hides_tokens() -> None:
    assert redact("POST https://x/robot/send?access_token=abc&timestamp=1&sign=zz%3D") == \
        "POST https://x/robot/send?access_token=***&timestamp=1&sign=***"


def test_pack_keeps_order_and_size() -> None:
    messages = [Message(i, f"k{i}", "notice", f"s{i}", "字" * 1900, recipients=("13800000000",)) for i in range(10)]
    batches = pack(messages)
    assert [m.id for b in batches for m in b] == list(range(10))
    assert all(sum(len(part_text(m).encode()) for m in b) <= MAX_BYTES for b in batches)
    assert len(batches) == 4                     # 5,700 bytes each: three fit under 18,000


def alert(n: int, severity: str, *, overdue: bool = False, title: str = "最新一条") -> AlertState:
    due = NOW + (timedelta(days=1, hours=7) if severity == "red" else timedelta(days=7, hours=7))
    return AlertState("column.stale", TargetRef("column", f"c{n}", f"栏目{n}", f"http://www.example.gov.cn/c{n}/"),
                      "fgj", severity, "open", NOW, due, f"栏目“栏目{n}”已21天未更新（红线14天）",  # type: ignore[arg-type]
                      {"latest": "2026-11-02", "days": 21, "yellow_days": 10, "red_days": 14, "latest_title": title,
                       "latest_url": f"http://www.example.gov.cn/c{n}/1.html"}, overdue=overdue)


def test_notice_red_first_overdue_marked_deadlines_in_words() -> None:
    applied = [Applied(1, Change(None, alert(1, "yellow"), (), "opened")),
               Applied(2, Change(None, alert(2, "red"), (), "opened")),
               Applied(3, Change(None, alert(3, "red", overdue=True), (), "overdue"))]
    (notice,) = build_notices(CONFIG, applied, NOW, "巡检")
    assert notice.subject == "关于县发改局政务公开问题的红色通报"
    assert [i.alert_id for i in notice.items] == [3, 2, 1]
    dingtalk, email = drafts_for(CONFIG, notice)
    text = email.body
    assert text.index("一、红色通报（2项）") < text.index("二、黄色预警（1项）")
    assert "栏目“栏目3”已21天未更新（红线14天）【逾期未整改】" in text
    assert "整改时限：次日复查，2026年11月24日（星期二）09:00前完成整改" in text
    assert "整改时限：次周复查，2026年11月30日（星期一）前完成整改" in text
    assert "最新信息日期：2026年11月2日（距今21天）" in text
    assert "特此通报。" in text and "示例县政务公开办" in text
    assert dingtalk.recipients == ("13800000002",) and email.recipients == ("县发改局 <fgj@example.gov.cn>",)
    assert dingtalk.priority == 0 and dingtalk.key != email.key


def test_yellow_only_and_escalation_subjects() -> None:
    (yellow,) = build_notices(CONFIG, [Applied(1, Change(None, alert(1, "yellow"), (), "opened"))], NOW, "巡检")
    assert yellow.subject == "关于县发改局政务公开问题的黄色预警"
    escalated = alert(1, "red")
    (notice,) = build_notices(CONFIG, [Applied(1, Change(alert(1, "yellow"), escalated, (), "escalated"))], NOW,
                              "复查")
    assert notice.subject == "关于县发改局黄色预警升级为红色通报的通知"
    assert "现升级为**红色通报**" in render_markdown_parts(notice)[0]


def test_many_items_are_split_into_parts_under_the_limit() -> None:
    applied = [Applied(n, Change(None, alert(n, "red", title="很长的标题" * 60), (), "opened")) for n in range(80)]
    (notice,) = build_notices(CONFIG, applied, NOW, "巡检")
    parts = render_markdown_parts(notice)
    assert len(parts) > 1 and all(len(p.encode()) <= PART_BYTES for p in parts)
    assert f"（第1/{len(parts)}部分）" in parts[0]
    drafts = [d for d in drafts_for(CONFIG, notice) if d.channel == "dingtalk"]
    assert len({d.key for d in drafts}) == len(parts) == len(drafts)
    assert sum(p.count("**整改时限**") for p in parts) == 80
