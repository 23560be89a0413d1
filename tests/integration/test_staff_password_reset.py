"""Staff password reset by mail (issue 15), the same flow as the job seeker's
(services/common/password_reset.py): a real SMTP server (aiosmtpd) receives the message and
the test follows the link in it."""
from __future__ import annotations

import re

import pytest

from services.common.accounts import create_staff, set_active

from .conftest import csrf
from .test_password_reset import app, smtp  # noqa: F401  (fixtures: the suite with a mail server)

PASSWORD = "kirjoittajan salasana 7"
NEW_PASSWORD = "uusi kevät tulee pian 42"
ADDRESS = "kaisa.kirjoittaja@example.fi"


@pytest.fixture
def staff(app):  # noqa: F811
    return create_staff(app.extensions["taitotaso.resources"].db, ADDRESS, "Kaisa Kirjoittaja",
                        ["author"], PASSWORD)


def _client(app):  # noqa: F811
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _signed_in(app, password=PASSWORD):  # noqa: F811
    client = _client(app)
    page = client.get("/authoring/sign-in")
    r = client.post("/authoring/sign-in", data={"_csrf": csrf(page.text), "email": ADDRESS,
                                                "password": password})
    return client, r


def _ask(app, address, client=None):  # noqa: F811
    client = client or _client(app)
    page = client.get("/authoring/password/forgot")
    assert page.status_code == 200, page.text[:300]
    return client.post("/authoring/password/forgot", data={"_csrf": csrf(page.text), "email": address})


def _link(message) -> str:
    return re.search(r"http://localhost(/authoring/password/reset/\S+)",
                     message.get_payload(decode=True).decode()).group(1)


def test_staff_sign_in_page_leads_to_the_forgotten_password_page(app, staff):  # noqa: F811
    page = _client(app).get("/authoring/sign-in")
    assert 'href="/authoring/password/forgot"' in page.text and "Forgot your password?" in page.text


def test_a_staff_reset_link_sets_a_new_password_once_and_ends_old_sessions(app, smtp, staff):  # noqa: F811
    inbox, _port = smtp
    desk, r = _signed_in(app)
    assert r.status_code == 302 and desk.get("/authoring/items").status_code == 200
    with_account, without = _ask(app, ADDRESS.upper()), _ask(app, "nobody.staff@example.fi")
    strip = lambda r: re.sub(r'name="_csrf" value="[^"]+"', "", r.text)  # noqa: E731
    assert with_account.status_code == without.status_code == 200
    assert strip(with_account) == strip(without) and "If an account has this email" in with_account.text
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [ADDRESS] and "new password" in message["Subject"]
    link = _link(message)

    client = _client(app)
    page = client.get(link)
    assert page.status_code == 200 and "Set a new password" in page.text
    r = client.post(link, data={"_csrf": csrf(page.text), "password": NEW_PASSWORD,
                                "password_again": NEW_PASSWORD + "x"})
    assert r.status_code == 422 and "not the same" in r.text
    r = client.post(link, data={"_csrf": csrf(page.text), "password": "salasana123",
                                "password_again": "salasana123"})
    assert r.status_code == 422 and "most common" in r.text   # the password rule holds for staff
    r = client.post(link, data={"_csrf": csrf(page.text), "password": NEW_PASSWORD,
                                "password_again": NEW_PASSWORD})
    assert r.status_code == 303 and r.location.endswith("/authoring/sign-in")
    assert "Your password has been changed" in client.get(r.location).text
    # the session signed in before the reset is over; the old password no longer works
    r = desk.get("/authoring/items")
    assert r.status_code == 302 and "/sign-in" in r.location
    assert _signed_in(app)[1].status_code == 401
    assert _signed_in(app, NEW_PASSWORD)[1].status_code == 302
    # the link works once
    r = _client(app).get(link)
    assert r.status_code == 404 and "expired or has already been used" in r.text


def test_a_deactivated_staff_member_gets_no_link(app, smtp, staff):  # noqa: F811
    inbox, _port = smtp
    set_active(app.extensions["taitotaso.resources"].db, ADDRESS, False)
    r = _ask(app, ADDRESS)
    assert r.status_code == 200 and "If an account has this email" in r.text
    assert inbox.messages == []


def test_a_made_up_staff_link_is_refused_with_a_way_on(app, smtp):  # noqa: F811
    for token in ("x" * 43, "short", "A" * 200):
        r = _client(app).get(f"/authoring/password/reset/{token}")
        assert r.status_code == 404 and "Ask for a new one" in r.text
        assert 'href="/authoring/password/forgot"' in r.text


@pytest.mark.parametrize("path", ["/authoring/password/forgot", "/results/en/password/forgot"])
def test_asking_for_links_is_limited_to_ten_an_hour_per_address(app, smtp, path):  # noqa: F811
    client = _client(app)
    token = csrf(client.get(path).text)
    codes = [client.post(path, data={"_csrf": token, "email": f"n{i}@example.fi"}).status_code
             for i in range(11)]
    assert codes == [200] * 10 + [429]
    r = client.post(path, data={"_csrf": token, "email": "n@example.fi"})
    assert r.status_code == 429 and "Too many links have been asked for" in r.text
    assert 3500 <= int(r.headers["Retry-After"]) <= 3600
    other = _client(app)
    other.environ_base["REMOTE_ADDR"] = "198.51.100.44"
    r = other.post(path, data={"_csrf": csrf(other.get(path).text), "email": "n@example.fi"})
    assert r.status_code == 200


def test_a_new_password_may_not_contain_the_accounts_address_for_staff_or_job_seekers(app, smtp, staff):  # noqa: F811
    from .test_password_reset import _sign_up

    inbox, _port = smtp
    _sign_up(app, "olga.personal@example.fi", inbox)
    for forgot, address, personal in (
            ("/authoring/password/forgot", ADDRESS, "kaisa.kirjoittaja ja talvi"),
            ("/results/en/password/forgot", "olga.personal@example.fi", "olga.personal kesä 2")):
        client = _client(app)
        r = client.post(forgot, data={"_csrf": csrf(client.get(forgot).text), "email": address})
        assert r.status_code == 200
        path = re.search(r"http://localhost(/\S+/password/reset/\S+)",
                         inbox.messages[-1][1].get_payload(decode=True).decode()).group(1)
        page = client.get(path)
        r = client.post(path, data={"_csrf": csrf(page.text), "password": personal,
                                    "password_again": personal})
        assert r.status_code == 422 and "must not contain your email address" in r.text, forgot
