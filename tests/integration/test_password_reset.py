"""Password reset by mail (issue 15): a real SMTP server (aiosmtpd) receives the message and
the test follows the link in it; the same answer whether or not an account exists."""
from __future__ import annotations

import email
import re
import socket

import pytest

from services.gateway import create_app as suite

from .conftest import csrf, seeded_config

PASSWORD = "correct horse battery"
NEW_PASSWORD = "seitsemän kuusta kevääseen"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def app(request, tmp_path, smtp):
    _inbox, port = smtp
    if request.param == "sqlite":
        url, redis_url = f"sqlite:///{tmp_path / 'tt.db'}", None
    else:
        url, redis_url = request.getfixturevalue("pg_url"), request.getfixturevalue("redis_url")
    config = seeded_config(tmp_path, url, redis_url, smtp_host="127.0.0.1", smtp_port=port,
                           smtp_from="Taitotaso <no-reply@taitotaso.example.fi>",
                           public_url="http://localhost")
    application = suite(config)
    application.config["TEST_INBOX"] = _inbox
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


def _link(message, path) -> str:
    return re.search(r"http://localhost(" + re.escape(path) + r"\S*)",
                     message.get_payload(decode=True).decode()).group(1)


def _ask_sign_up(app, address, password=PASSWORD):
    client = app.test_client()
    page = client.get("/results/en/sign-up")
    return client, client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": address, "password": password, "password_again": password})


def _sign_up(app, address, inbox=None):
    """Sign up through the mail: the form, the message, the link, the button."""
    inbox = inbox or app.config["TEST_INBOX"]
    before = len(inbox.messages)
    client, r = _ask_sign_up(app, address)
    assert r.status_code == 200 and "Check your email" in r.text
    assert len(inbox.messages) == before + 1
    link = _link(inbox.messages[-1][1], "/results/en/sign-up/confirm/")
    page = client.get(link)
    assert page.status_code == 200 and "Finish creating my account" in page.text
    r = client.post(link, data={"_csrf": csrf(page.text)})
    assert r.status_code == 303 and client.get("/results/en/results").status_code == 200
    inbox.messages.pop()
    return client


def _ask(app, address):
    client = app.test_client()
    page = client.get("/results/en/password/forgot")
    return client.post("/results/en/password/forgot", data={"_csrf": csrf(page.text), "email": address})


def _sign_in(app, address, password):
    client = app.test_client()
    page = client.get("/results/en/sign-in")
    return client.post("/results/en/sign-in", data={"_csrf": csrf(page.text), "email": address,
                                                    "password": password})


def test_a_reset_link_by_mail_sets_a_new_password_once(app, smtp):
    inbox, _port = smtp
    address = "olga.reset@example.fi"
    phone = _sign_up(app, address, inbox)
    with_account, without = _ask(app, address), _ask(app, "nobody.here@example.fi")
    # the same answer whether or not the address has an account
    assert with_account.status_code == without.status_code == 200
    strip = lambda r: re.sub(r'name="_csrf" value="[^"]+"', "", r.text)  # noqa: E731
    assert strip(with_account) == strip(without) and "If an account has this email" in with_account.text
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [address] and "Taitotaso" in message["Subject"]
    link = re.search(r"http://localhost(/results/en/password/reset/\S+)",
                     message.get_payload(decode=True).decode())
    link = link.group(1)

    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200 and "Set a new password" in page.text
    r = client.post(link, data={"_csrf": csrf(page.text), "password": "salasana123",
                                "password_again": "salasana123"})
    assert r.status_code == 422 and "most common" in r.text   # the rule still holds
    r = client.post(link, data={"_csrf": csrf(page.text), "password": NEW_PASSWORD,
                                "password_again": NEW_PASSWORD})
    assert r.status_code == 303 and r.location.endswith("/results/en/sign-in")
    assert _sign_in(app, address, PASSWORD).status_code == 401
    assert _sign_in(app, address, NEW_PASSWORD).status_code == 303
    # the link works once, and the sessions the account had are ended
    again = app.test_client()
    r = again.get(link)
    assert r.status_code == 404 and "expired or has already been used" in r.text
    r = phone.get("/results/en/results")
    assert r.status_code == 302 and "/sign-in" in r.location


def test_a_made_up_or_tampered_link_is_refused(app, smtp):
    client = app.test_client()
    for token in ("x" * 43, "short", "A" * 200):
        r = client.get(f"/results/en/password/reset/{token}")
        assert r.status_code == 404 and "Ask for a new one" in r.text


def test_reset_links_expire(app, smtp):
    """The token is kept with the configured lifetime (and the store forgets it then)."""
    from services.common.onetime import OneTimeTokens

    tokens = OneTimeTokens(app.extensions["taitotaso.resources"])
    token = tokens.issue("password-reset", {"seeker": "x"}, 1)
    import time

    deadline = time.monotonic() + 10
    while tokens.peek("password-reset", token) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tokens.peek("password-reset", token) is None
    assert tokens.consume("password-reset", token) is None


def test_sign_up_answers_alike_for_new_and_taken_addresses(app, smtp):
    inbox, _port = smtp
    _sign_up(app, "taken.address@example.fi")
    _c1, taken = _ask_sign_up(app, "taken.address@example.fi")
    _c2, new = _ask_sign_up(app, "brand.new@example.fi")
    strip = lambda r: re.sub(r'name="_csrf" value="[^"]+"|[\w.]+@example\.fi', "", r.text)  # noqa: E731
    assert taken.status_code == new.status_code == 200 and strip(taken) == strip(new)
    assert "already exists" not in taken.text
    (to_taken, note), (to_new, confirm) = inbox.messages[-2:]
    assert to_taken == ["taken.address@example.fi"] and "already has one" in note.get_payload(decode=True).decode()
    assert to_new == ["brand.new@example.fi"] and "/sign-up/confirm/" in confirm.get_payload(decode=True).decode()
    # the account exists only after its owner opened the link, and the link works once
    assert _sign_in(app, "brand.new@example.fi", PASSWORD).status_code == 401
    link = _link(confirm, "/results/en/sign-up/confirm/")
    client = app.test_client()
    page = client.get(link)
    assert client.post(link, data={"_csrf": csrf(page.text)}).status_code == 303
    assert _sign_in(app, "brand.new@example.fi", PASSWORD).status_code == 303
    again = app.test_client()
    assert again.get(link).status_code == 404
