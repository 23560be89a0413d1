"""Mail to people (password reset and sign-up links), sent through SMTP (``TAITOTASO_SMTP_*``).

Without ``TAITOTASO_SMTP_HOST`` (the embedded default, ``make run``) no message is lost: each
is written as an ``.eml`` file (readable by its owner only) to the outbox folder,
``$TAITOTASO_VAR_DIR/outbox`` (``var/outbox``), and the log says where, without the message's
link: a reset link in a log would be a way into the account. Pages that send mail say so
plainly when the suite has no mail server (:func:`outbox_dir`).
"""
from __future__ import annotations

import logging
import os
import secrets
import smtplib
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

log = logging.getLogger(__name__)


SENT, SAVED, FAILED = "sent", "saved", "failed"


def outbox_dir(config) -> Path | None:
    """Where messages go when no mail server is configured; None when one is."""
    if getattr(config, "smtp_host", None):
        return None
    return Path(config.var_dir) / "outbox"


def _message(config, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="taitotaso")
    message.set_content(body)
    return message


def _save(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(message))
    return path


def send_mail(config, to: str, subject: str, body: str) -> str:
    """Send a plain-text message: ``SENT``, ``SAVED`` (no mail server: written to the outbox)
    or ``FAILED`` (the server refused or could not be reached; logged)."""
    message = _message(config, to, subject, body)
    folder = outbox_dir(config)
    if folder is not None:
        path = _save(folder, message)
        log.warning("mail is not configured (TAITOTASO_SMTP_HOST): a message was written to %s",
                    path)
        return SAVED
    host = config.smtp_host
    try:
        with smtplib.SMTP(host, config.smtp_port, timeout=10) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as err:
        log.error("could not send mail through %s: %s", host, type(err).__name__)
        return FAILED
    return SENT


__all__ = ["FAILED", "SAVED", "SENT", "outbox_dir", "send_mail"]
