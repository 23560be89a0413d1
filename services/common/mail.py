"""Mail to people (password reset links), sent through SMTP (``TAITOTASO_SMTP_*``).

Without ``TAITOTASO_SMTP_HOST`` (the embedded default) nothing is sent and the log says so,
without the message's link: a reset link in a log would be a way into the account.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

log = logging.getLogger(__name__)


def send_mail(config, to: str, subject: str, body: str) -> bool:
    """Send a plain-text message; False when mail is not configured or the server refused."""
    host = getattr(config, "smtp_host", None)
    if not host:
        log.warning("mail is not configured (TAITOTASO_SMTP_HOST): a message was not sent")
        return False
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(host, config.smtp_port, timeout=10) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as err:
        log.error("could not send mail through %s: %s", host, type(err).__name__)
        return False
    return True


__all__ = ["send_mail"]
