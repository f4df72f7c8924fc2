"""E-mail through a real SMTP server (aiosmtpd) in every security mode, decoded with the standard library."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.config import EmailSettings
from monitor.notify.base import Message, TransportError
from monitor.notify.mail import Email, format_address
from notify_kit import MONDAY_2AM, SMTP_PASSWORD, SMTP_USER, TZ, SmtpServer

HOSTILE = "<script>alert(1)</script>"


def settings(smtp: SmtpServer, **changes: object) -> EmailSettings:
    base = EmailSettings(host="127.0.0.1", port=smtp.port, security=smtp.security, username=SMTP_USER,
                         password=SMTP_PASSWORD, sender="示例县政务公开办 <gkb@example.gov.cn>")
    return replace(base, **changes)  # type: ignore[arg-type]


def notice() -> Message:
    return Message(id=7, key="a" * 64, kind="notice", subject="关于县发展改革局政务公开问题的红色通报",
                   body="县发展改革局：\n栏目“政务要闻”已21天未更新。",
                   html=f"<p>县发展改革局：</p><p>{HOSTILE.replace('<', '&lt;').replace('>', '&gt;')}</p>",
                   recipients=(format_address("县发展改革局", "fgj@example.gov.cn"), "fgj2@example.gov.cn"))


@pytest.mark.parametrize("smtp", ["none", "starttls", "ssl"], indirect=True)
def test_chinese_multipart_message_arrives_decodable(smtp: SmtpServer) -> None:
    transport = Email(settings(smtp), TZ, ca_file=smtp.ca_file)
    try:
        transport.send([notice()], MONDAY_2AM)
    finally:
        transport.close()
    (received,) = smtp.inbox.received
    assert received.mail_from == "gkb@example.gov.cn"
    assert received.rcpt_tos == ["fgj@example.gov.cn", "fgj2@example.gov.cn"]
    raw = received.data.decode("ascii")                      # every header encoded, every part base64
    assert "=?utf-8?" in raw
    message = received.message
    assert message["Subject"] == "关于县发展改革局政务公开问题的红色通报"
    assert message["From"].addresses[0].display_name == "示例县政务公开办"
    assert message["To"].addresses[0].display_name == "县发展改革局"
    assert message["Date"].datetime == MONDAY_2AM
    assert message["Message-ID"] == f"<{'a' * 32}.7@example.gov.cn>"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").startswith("县发展改革局：\n栏目“政务要闻”")
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html


@pytest.mark.parametrize("smtp", ["starttls"], indirect=True)
def test_wrong_password_is_permanent_and_never_shown(smtp: SmtpServer) -> None:
    transport = Email(settings(smtp, password="not-the-password-77"), TZ, ca_file=smtp.ca_file)
    with pytest.raises(TransportError) as caught:
        transport.send([notice()], MONDAY_2AM)
    assert caught.value.permanent and caught.value.channel_wide
    assert "SMTP 认证失败" in caught.value.reason and "not-the-password-77" not in caught.value.reason
    assert smtp.inbox.received == []


@pytest.mark.parametrize("smtp", ["ssl"], indirect=True)
def test_untrusted_certificate_is_a_configuration_error(smtp: SmtpServer) -> None:
    transport = Email(settings(smtp), TZ)                    # no ca_file: the self-signed cert is not trusted
    with pytest.raises(TransportError) as caught:
        transport.send([notice()], MONDAY_2AM)
    assert caught.value.permanent and "证书校验失败" in caught.value.reason


def test_refused_data_is_temporary(smtp: SmtpServer) -> None:
    smtp.inbox.refuse = 1
    transport = Email(settings(smtp), TZ)
    with pytest.raises(TransportError) as caught:
        transport.send([notice()], MONDAY_2AM)
    assert not caught.value.permanent
    transport.send([notice()], MONDAY_2AM + timedelta(minutes=1))
    transport.close()
    assert len(smtp.inbox.received) == 1


def test_unreachable_server_is_temporary() -> None:
    closed = SmtpServer(inbox=None, port=1, security="none", ca_file=None)  # type: ignore[arg-type]
    with pytest.raises(TransportError) as caught:
        Email(settings(closed), TZ, timeout_s=2).send([notice()], MONDAY_2AM)
    assert not caught.value.permanent and caught.value.channel_wide
