"""Delivering one built message: by SMTP, or as an ``.eml`` file (the embedded default)."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage


class TransportError(Exception):
    """Delivery failed; ``permanent`` when retrying cannot help (a refused recipient)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class FileTransport:
    """Writes each message as ``<name>.eml`` in a folder, atomically (temp file, then rename)."""

    def __init__(self, folder: str):
        self.folder = folder

    def send(self, mail: EmailMessage, *, name: str) -> None:
        os.makedirs(self.folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(mail.as_bytes())
            os.replace(temp, os.path.join(self.folder, f"{name}.eml"))
        except OSError as exc:
            if os.path.exists(temp):
                os.remove(temp)
            raise TransportError(f"cannot write the message file: {exc.strerror}") from None


def message_files(folder: str) -> dict[int, list[str]]:
    """The ``.eml`` files FileTransport wrote in ``folder``, by the outbox id that starts their
    name (``000123-registration_result.eml``)."""
    found: dict[int, list[str]] = {}
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return found
    for name in names:
        number = name.split("-", 1)[0]
        if name.endswith(".eml") and number.isascii() and number.isdigit():
            found.setdefault(int(number), []).append(os.path.join(folder, name))
    return found


class SMTPTransport:
    """SMTP with STARTTLS or implicit TLS, optional login, and a timeout."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
    ):
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout

    def send(self, mail: EmailMessage, *, name: str) -> None:
        try:
            if self.security == "ssl":
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password)
                refused = client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"recipient refused: {exc.recipients}", permanent=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"SMTP {self.host}:{self.port}: {exc}") from None
        if refused:
            raise TransportError(f"recipient refused: {refused}", permanent=True)


def transport_from_config(config) -> FileTransport | SMTPTransport:
    if config.get("MAIL_SMTP_HOST"):
        return SMTPTransport(
            host=config["MAIL_SMTP_HOST"],
            port=int(config.get("MAIL_SMTP_PORT", 587)),
            security=config.get("MAIL_SMTP_SECURITY", "starttls"),
            username=config.get("MAIL_SMTP_USERNAME", ""),
            password=config.get("MAIL_SMTP_PASSWORD", ""),
            timeout=float(config.get("MAIL_SMTP_TIMEOUT", 10)),
        )
    return FileTransport(config["MAIL_FOLDER"])
