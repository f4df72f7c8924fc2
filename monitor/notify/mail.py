"""E-mail over SMTP (``ssl`` / ``starttls`` / ``none``): multipart text + HTML, Chinese headers encoded.

``Message-ID`` is derived from the outbox row's idempotency key, so a message resent
after a crash carries the same id and mail systems that de-duplicate on it show it
once. One SMTP connection is kept for a whole flush. SMTP answers 4xx (try later)
and 5xx (refused) map to temporary and permanent errors.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from monitor.config import EmailSettings
from monitor.notify.base import Message, Transport, TransportError

log = logging.getLogger(__name__)

TIMEOUT_S = 20.0


def format_address(name: str, address: str) -> str:
    """``县发改局 <fgj@example.gov.cn>``; the header policy encodes the Chinese name (RFC 2047)."""
    return str(Address(display_name=name, addr_spec=address)) if name else address


def build_email(message: Message, settings: EmailSettings, now: datetime, tz: ZoneInfo) -> EmailMessage:
    """The MIME message: UTF-8 text part, optional HTML alternative, Date and a stable Message-ID."""
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = message.subject
    mail["From"] = settings.sender
    mail["To"] = ", ".join(message.recipients)
    mail["Date"] = format_datetime(now.astimezone(tz))
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = f"<{message.key[:32]}.{message.id}@{domain}>"
    mail.set_content(message.body, cte="base64")
    if message.html:
        mail.add_alternative(message.html, subtype="html", cte="base64")
    return mail


class Email(Transport):
    channel: ClassVar[str] = "email"
    label: ClassVar[str] = "邮件"

    def __init__(self, settings: EmailSettings, tz: ZoneInfo, *, ca_file: Path | None = None,
                 timeout_s: float = TIMEOUT_S) -> None:
        self.settings = settings
        self.tz = tz
        self.ca_file = ca_file
        self.timeout_s = timeout_s
        self._smtp: smtplib.SMTP | None = None

    def send(self, batch: list[Message], now: datetime) -> None:
        for message in batch:
            self._send_one(message, now)

    def _send_one(self, message: Message, now: datetime) -> None:
        mail = build_email(message, self.settings, now, self.tz)
        to = [address for _, address in getaddresses(list(message.recipients))]
        try:
            smtp = self._connection()
            refused = smtp.send_message(mail, from_addr=parseaddr(self.settings.sender)[1], to_addrs=to)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise _translate(exc, self.settings) from None
        if refused:
            log.warning("email some recipients refused id=%s refused=%s", message.id, ",".join(refused))

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        smtp: smtplib.SMTP
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout_s)
            if s.security == "starttls":
                smtp.starttls(context=context)
        if s.username:
            smtp.login(s.username, s.password or "")
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _translate(exc: smtplib.SMTPException | OSError, settings: EmailSettings) -> TransportError:
    """SMTP failures in the operator's words; 4xx retries, 5xx does not. Never includes the password."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TransportError(f"SMTP 认证失败（{exc.smtp_code}）：请核对 [notify.email] username / password",
                              permanent=True, channel_wide=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        return TransportError(f"收件人被拒绝（{', '.join(f'{a} {c}' for a, (c, _) in exc.recipients.items())}）",
                              permanent=permanent)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return TransportError(f"发件人 {exc.sender} 被拒绝（{exc.smtp_code}）：请核对 [notify.email] sender",
                              permanent=exc.smtp_code >= 500, channel_wide=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return TransportError(f"SMTP 服务器 {where} 拒绝（{exc.smtp_code} {text[:120]}）",
                              permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TransportError(f"SMTP 服务器 {where} 不支持所需功能（{exc}）：请核对 security",
                              permanent=True, channel_wide=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(f"SMTP 服务器 {where} 的证书校验失败（{exc.verify_message}）：可用 ca_file 指定内网 CA",
                              permanent=True, channel_wide=True)
    return TransportError(f"无法连接 SMTP 服务器 {where}：{type(exc).__name__} {exc}", channel_wide=True)
