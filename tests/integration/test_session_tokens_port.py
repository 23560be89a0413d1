"""The scoring service's port to the testing service: a job seeker's session token is
checked by the testing service (services/scoring/ports.py), in the same process or over
HTTP against the real testing app on a real socket."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from werkzeug.serving import make_server

from services.adapters.testing import InProcessSessionTokens
from services.common.errors import APIError
from services.scoring.ports import HttpSessionTokens, session_tokens_for

from .conftest import Taker


@pytest.fixture
def served(app):
    """The testing service on a real port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_session_endpoint_answers_its_bearer_only(client):
    t = Taker(client)
    r = client.get(f"/api/v1/sessions/{t.id}", headers=t.headers)
    assert r.status_code == 200 and r.json == {"id": t.id, "status": "active", "ui_language": "fi"}
    assert client.get(f"/api/v1/sessions/{t.id}").status_code == 401
    wrong = client.get(f"/api/v1/sessions/{t.id}", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404 and wrong.json["message"]


def test_http_session_tokens_ask_the_testing_service(app, client, served):
    t = Taker(client)
    tokens = HttpSessionTokens(served)
    assert tokens.matches(t.id, t.token) is True
    assert tokens.matches(t.id, "not-the-token") is False
    assert tokens.matches("no-such-session", t.token) is False
    assert tokens.matches("../../healthz", t.token) is False   # the id is one path segment
    # the in-process adapter says the same
    same = InProcessSessionTokens(app.extensions["taitotaso.resources"].db)
    assert same.matches(t.id, t.token) and not same.matches(t.id, "not-the-token")


def test_without_the_testing_service_a_token_check_is_a_clear_503(config):
    tokens = session_tokens_for(replace(config, testing_url="http://127.0.0.1:9"), None)
    with pytest.raises(APIError) as err:
        tokens.matches("some-session", "some-token")
    assert err.value.status == 503 and "try again" in err.value.message
