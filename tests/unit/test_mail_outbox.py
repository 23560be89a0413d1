"""Without a mail server (the embedded default) no message is lost: it is written to the
outbox as an .eml file only its owner can read, and the log names the file, not the link."""
import email
import logging
import stat
from types import SimpleNamespace

from services.common.mail import SAVED, outbox_dir, send_mail


def _config(tmp_path, **kw):
    return SimpleNamespace(smtp_host=None, smtp_from="Taitotaso <no-reply@localhost>",
                           var_dir=tmp_path, **kw)


def test_without_a_mail_server_the_message_is_written_to_the_outbox(tmp_path, caplog):
    config = _config(tmp_path)
    with caplog.at_level(logging.WARNING, logger="services.common.mail"):
        assert send_mail(config, "olga@example.fi", "Set a new password",
                         "Open http://localhost/reset/SECRET-TOKEN") == SAVED
    (path,) = (tmp_path / "outbox").glob("*.eml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == "olga@example.fi" and message["Subject"] == "Set a new password"
    assert "SECRET-TOKEN" in message.get_payload(decode=True).decode()
    assert str(path) in caplog.text and "SECRET-TOKEN" not in caplog.text
    assert outbox_dir(config) == tmp_path / "outbox"


def test_two_messages_are_two_files_and_a_mail_server_means_no_outbox(tmp_path):
    config = _config(tmp_path)
    send_mail(config, "a@example.fi", "One", "1")
    send_mail(config, "a@example.fi", "Two", "2")
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert outbox_dir(SimpleNamespace(smtp_host="smtp.example.fi", var_dir=tmp_path)) is None
