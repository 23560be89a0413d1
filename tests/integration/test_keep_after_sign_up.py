"""From the result page's "Keep this result" through signing up (or in): the result is kept
at once, without a second "Keep" click on the results page (issue 17)."""
from __future__ import annotations

import pytest

from services.gateway import create_app as gateway_app

from .conftest import Taker, csrf, mailed_link, seeded_config

PASSWORD = "pitkä-salasana-123"


@pytest.fixture
def suite(tmp_path):
    app = gateway_app(seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None))
    yield app
    app.extensions["taitotaso.resources"].db.dispose()


def finished_test_in(client) -> str:
    taker = Taker(client, "en")
    taker.finish()
    with client.session_transaction() as s:
        s["test"] = {"id": taker.id, "token": taker.token}
    return taker.id


def ask_sign_up(client, email):
    page = client.get("/results/en/sign-up")
    r = client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": email, "password": PASSWORD, "password_again": PASSWORD,
        "display_name": ""})
    assert r.status_code == 200 and "Check your email" in r.text
    return r


def open_link(client, app, email, follow=True):
    """The link mailed to ``email`` (here: in the outbox), opened in ``client``."""
    link = mailed_link(app, email, "/results/en/sign-up/confirm/")
    page = client.get(link)
    return client.post(link, data={"_csrf": csrf(page.text)}, follow_redirects=follow)


def sign_up(client, email, follow=True):
    """The form, then the link in the mail, in the same browser."""
    ask_sign_up(client, email)
    return open_link(client, client.application, email, follow)


def test_signing_up_from_the_result_page_keeps_the_result_at_once(suite):
    client = suite.test_client()
    session_id = finished_test_in(client)
    r = client.get("/results/en/keep")
    assert r.status_code == 302 and "/results/en/sign-up" in r.location
    page = sign_up(client, "keep-once@example.fi")
    assert page.status_code == 200 and page.request.path == "/results/en/results"
    assert "The result is now kept in your account." in page.text
    assert 'id="keep-result"' not in page.text  # nothing left to click
    from sqlalchemy import select

    from services.results.orm import OwnedResult

    with suite.extensions["taitotaso.resources"].db.session() as s:
        assert s.scalars(select(OwnedResult.session_id)).all() == [session_id]


def test_signing_up_without_coming_from_the_result_page_keeps_nothing_by_itself(suite):
    client = suite.test_client()
    finished_test_in(client)
    page = sign_up(client, "just-an-account@example.fi")
    assert page.status_code == 200 and 'id="keep-result"' in page.text  # offered, not done
    from sqlalchemy import func, select

    from services.results.orm import OwnedResult

    with suite.extensions["taitotaso.resources"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(OwnedResult)) == 0


def test_the_result_is_kept_when_the_mailed_link_is_opened_on_another_device(suite):
    laptop, phone = suite.test_client(), suite.test_client()
    session_id = finished_test_in(laptop)
    assert laptop.get("/results/en/keep").status_code == 302
    ask_sign_up(laptop, "keep-on-phone@example.fi")
    page = open_link(phone, suite, "keep-on-phone@example.fi")
    assert page.status_code == 200 and page.request.path == "/results/en/results"
    assert "The result is now kept in your account." in page.text
    from sqlalchemy import select

    from services.results.orm import OwnedResult

    with suite.extensions["taitotaso.resources"].db.session() as s:
        assert s.scalars(select(OwnedResult.session_id)).all() == [session_id]


def test_without_a_mail_server_the_sign_up_page_says_where_the_message_went(suite):
    r = ask_sign_up(suite.test_client(), "no-mail-server@example.fi")
    outbox = str(suite.extensions["taitotaso.resources"].config.var_dir / "outbox")
    assert "has no mail server" in r.text and outbox in r.text
