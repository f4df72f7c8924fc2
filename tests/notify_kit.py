"""Test kit for notices: a real in-process SMTP server (aiosmtpd), a self-signed certificate,
the fake DingTalk robot, and configurations that point at them."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from fake_dingtalk import FakeRobot

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_2AM = datetime(2026, 11, 23, 2, tzinfo=TZ)
SMTP_USER = "gkb-sender"
SMTP_PASSWORD = "s3cret-Password-xyz"
ROBOT_SECRET = "SEC0123456789abcdef-robot-secret"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Inbox:
    """The SMTP server's handler: records accepted messages; can answer 451 to the next K."""

    received: list[Received] = field(default_factory=list)
    refuse: int = 0
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Mail server temporarily rejected message"
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                      bytes(envelope.original_content or b"")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def authenticate(server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER \
        and auth_data.password.decode() == SMTP_PASSWORD
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int
    security: str
    ca_file: Path | None


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def start_smtp(security: str, certificate: tuple[Path, Path] | None) -> tuple[Controller, SmtpServer]:
    inbox = Inbox()
    port = free_port()
    # aiosmtpd only counts STARTTLS as TLS for AUTH; on an implicit-TLS (ssl) socket it must be told.
    kwargs: dict[str, Any] = {"authenticator": authenticate, "auth_require_tls": security == "starttls"}
    ca_file = None
    if security != "none":
        assert certificate is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        kwargs["ssl_context" if security == "ssl" else "tls_context"] = context
        if security == "starttls":
            kwargs["require_starttls"] = True
        ca_file = certificate[0]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SmtpServer(inbox, port, security, ca_file)


@pytest.fixture
def smtp(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; parametrize indirectly with "none", "starttls" or "ssl"."""
    security = getattr(request, "param", "none")
    controller, server = start_smtp(security, certificate)
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def robot() -> Iterator[FakeRobot]:
    fake = FakeRobot(now=MONDAY_2AM, secret=ROBOT_SECRET, keyword="巡检")
    try:
        yield fake
    finally:
        fake.close()


def notify_toml(robot: FakeRobot | None = None, smtp: SmtpServer | None = None, *,
                secret: str | None = ROBOT_SECRET) -> str:
    """The [notify.*] sections for a test config (secrets written in, as a test may)."""
    text = ""
    if robot is not None:
        text += f'\n[notify.dingtalk]\nwebhook = "{robot.webhook}"\nkeyword = "巡检"\n'
        if secret:
            text += f'secret = "{secret}"\n'
    if smtp is not None:
        text += (f'\n[notify.email]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "{smtp.security}"\n'
                 f'username = "{SMTP_USER}"\npassword = "{SMTP_PASSWORD}"\n'
                 f'sender = "示例县政务公开办 <gkb@example.gov.cn>"\ndigest_to = ["leader@example.gov.cn"]\n')
        if smtp.ca_file:
            text += f'ca_file = "{smtp.ca_file}"\n'
    return text


def county_config(tmp_path: Path, base_url: str, db_url: str, units: int, notify: str) -> Path:
    """A county of ``units`` units, each responsible for one news column ``/cNN/`` of the portal."""
    parts = [f'[monitor]\ndatabase = "{db_url}"\nrecheck_time = "09:00"\n\n[crawl]\ntimeout_s = 5\nretries = 0\n'
             "enabled = false\n"]   # the portal lists articles it does not serve; the crawl has its own tests
    parts += [f'[[units]]\nid = "u{n:02d}"\nname = "县单位{n:02d}"\ndingtalk_mobiles = ["138000000{n:02d}"]\n'
              f'emails = ["u{n:02d}@example.gov.cn"]\n' for n in range(units)]
    parts.append(f'[[sites]]\nid = "portal"\nname = "测试县人民政府"\nurl = "{base_url}/"\nunit = "u00"\n')
    parts += [f'[[columns]]\nid = "c{n:02d}"\nsite = "portal"\nname = "栏目{n:02d}"\nurl = "{base_url}/c{n:02d}/"\n'
              f'category = "news"\nunit = "u{n:02d}"\n' for n in range(units)]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(parts) + notify, encoding="utf-8")
    return path
