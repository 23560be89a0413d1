"""From the result page's "Keep this result" through signing up (or in): the result is kept
at once, without a second "Keep" click on the results page (issue 17)."""
from __future__ import annotations

import pytest

from services.gateway import create_app as gateway_app

from .conftest import Taker, csrf, seeded_config

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


def sign_up(client, email, follow=True):
    page = client.get("/results/en/sign-up")
    return client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": email, "password": PASSWORD, "password_again": PASSWORD,
        "display_name": ""}, follow_redirects=follow)


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
