"""Every service's OpenAPI document, checked with Schemathesis: no 5xx, and every answer
matches the document (status codes, content types, bodies, headers)."""
from __future__ import annotations

import pytest

from services.common.accounts import create_staff
from services.gateway import create_app as gateway_app

from .conftest import Taker, csrf, seeded_config
from .openapi_fuzz import fuzz

PASSWORD = "kalibrointi-ovi-7319"


@pytest.fixture
def suite_with_state(tmp_path):
    config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'f.db'}", None)
    app = gateway_app(config)
    db = app.extensions["taitotaso.resources"].db
    create_staff(db, "fuzz@example.fi", "Fuzz Admin", ["reviewer", "admin"], PASSWORD)
    client = app.test_client()
    page = client.get("/authoring/sign-in")
    r = client.post("/authoring/sign-in", data={"email": "fuzz@example.fi", "password": PASSWORD,
                                                "_csrf": csrf(page.text)})
    assert r.status_code == 302
    cookie = client.get_cookie("taitotaso_staff")
    taker = Taker(app.test_client())
    yield app, {"session_id": taker.id, "token": taker.token,
                "staff_cookie": cookie.value}
    db.dispose()


def test_every_api_matches_its_openapi_document_and_never_fails_with_5xx(suite_with_state, capsys):
    app, state = suite_with_state
    report = fuzz(app, examples=15, state=state)
    with capsys.disabled():
        print(f"\nSchemathesis: {report.total} requests ({dict(report.requests)}), "
              f"status codes {dict(sorted(report.statuses.items()))}, {len(report.failures)} failures")
    assert report.total > 300
    assert not any(code >= 500 for code in report.statuses)
    assert report.failures == []
    assert report.statuses[200] + report.statuses[201] > 20      # it reached real state too
