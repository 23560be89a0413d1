"""What operators rely on, on every service of the suite: request ids in answers and
logs, liveness and readiness, Prometheus metrics, security headers, and a clean 503 (with
nothing half saved) when the database or Redis is out of reach."""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy.exc import OperationalError

from services.common.observability import RequestIdFilter
from services.gateway import create_app as gateway_app

from .conftest import KEYS, Taker, seeded_config

SERVICE_PATHS = ["/healthz", "/authoring/healthz", "/results/healthz", "/katso/healthz",
                 "/api/v1/scoring/jobs/none"]


@pytest.fixture
def suite(tmp_path):
    app = gateway_app(seeded_config(tmp_path, f"sqlite:///{tmp_path / 'o.db'}", None))
    yield app
    app.extensions["taitotaso.resources"].db.dispose()


def test_every_answer_carries_a_request_id_and_keeps_a_good_incoming_one(suite):
    client = suite.test_client()
    for path in SERVICE_PATHS + ["/katso/fi/", "/fi/start"]:
        r = client.get(path)
        assert len(r.headers["X-Request-ID"]) >= 8, path
    r = client.get("/katso/fi/", headers={"X-Request-ID": "gateway-1234abcd"})
    assert r.headers["X-Request-ID"] == "gateway-1234abcd"
    r = client.get("/katso/fi/", headers={"X-Request-ID": "<script>" * 30})
    assert r.headers["X-Request-ID"] != "<script>" * 30 and len(r.headers["X-Request-ID"]) == 32


def test_log_lines_written_during_a_request_carry_its_id(suite, caplog):
    caplog.handler.addFilter(RequestIdFilter("test"))

    @suite.get("/log-something")
    def log_something():
        logging.getLogger("taitotaso.test").warning("inside the request")
        return {"ok": True}

    with caplog.at_level(logging.WARNING):
        suite.test_client().get("/log-something", headers={"X-Request-ID": "trace-me-0001"})
        logging.getLogger("taitotaso.test").warning("outside any request")
    ids = {rec.getMessage(): getattr(rec, "request_id", None) for rec in caplog.records
           if rec.name == "taitotaso.test"}
    assert ids == {"inside the request": "trace-me-0001", "outside any request": "-"}


def test_json_logs_are_one_object_a_line_with_the_request_id(monkeypatch, capsys):
    from pythonjsonlogger.json import JsonFormatter

    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s",
                              rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    record = logging.LogRecord("taitotaso.test", logging.INFO, __file__, 1, "scored %s", ("x",), None)
    from services.common.observability import request_id_var

    token = request_id_var.set("abc12345")
    try:
        RequestIdFilter("scoring").filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(formatter.format(record))
    assert line["message"] == "scored x" and line["request_id"] == "abc12345"
    assert line["service"] == "scoring" and line["level"] == "INFO"


def test_readiness_names_what_is_down(suite, monkeypatch):
    client = suite.test_client()
    assert client.get("/readyz").json == {"status": "ready"}
    assert client.get("/authoring/readyz").status_code == 200
    res = suite.extensions["taitotaso.resources"]

    def broken():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(res.db.engine, "connect", broken)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json["down"] == {"database": "OperationalError"}
    assert client.get("/healthz").status_code == 200   # alive, only not ready


def test_metrics_show_request_latency_per_route_and_the_queue(suite):
    client = suite.test_client()
    Taker(client)          # a test session: POST /api/v1/sessions
    client.get("/katso/fi/")
    text = client.get("/metrics").text
    assert 'taitotaso_http_request_duration_seconds_bucket{' in text
    assert 'route="/api/v1/sessions"' in text and 'route="/<lang>/"' in text
    assert 'taitotaso_queue_depth{queue="jobs"} 0.0' in text
    assert "taitotaso_scoring_seconds" in text


def test_security_headers_on_pages_and_api(suite):
    client = suite.test_client()
    for path in ["/fi/start", "/katso/fi/", "/api/v1/openapi.json", "/authoring/sign-in"]:
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
    svg = client.get("/katso/pictograms/candle.svg")
    assert "sandbox" in svg.headers["Content-Security-Policy"]        # its own, stricter one


def _answered(db, session_id) -> int:
    from services.testing.orm import SessionItem

    with db.session() as s:
        return s.query(SessionItem).filter(SessionItem.session_id == session_id,
                                           SessionItem.answer.is_not(None)).count()


def test_a_connection_lost_at_commit_answers_503_and_nothing_is_half_saved(suite, monkeypatch):
    """The answer's unit of work loses its connection as it commits: the person is told
    to try again, the database holds no part of the answer, and the retry is taken."""
    from sqlalchemy import event

    client = suite.test_client()
    taker = Taker(client)
    item = taker.next().json["item"]
    db = suite.extensions["taitotaso.resources"].db
    real_session = db.session

    class LosesConnectionOnWrite:
        def __init__(self):
            self.inner = real_session()

        def __enter__(self):
            s = self.inner.__enter__()
            event.listen(s, "after_flush", lambda session, ctx: session.info.update(wrote=True))
            event.listen(s, "do_orm_execute", lambda state: state.session.info.update(
                wrote=True) if (state.is_update or state.is_insert or state.is_delete) else None)
            commit = s.commit

            def dropped():
                if s.info.get("wrote") or s.new or s.dirty or s.deleted:
                    raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
                return commit()

            s.commit = dropped
            return s

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

    monkeypatch.setattr(db, "session", LosesConnectionOnWrite)
    r = taker.answer(item["id"], KEYS[item["id"]])
    assert r.status_code == 503 and "try again" in r.json["message"], r.json
    assert r.headers["Retry-After"] == "5"
    monkeypatch.setattr(db, "session", real_session)
    assert _answered(db, taker.id) == 0
    assert taker.answer(item["id"], KEYS[item["id"]]).status_code == 201   # the same answer, retried
    assert _answered(db, taker.id) == 1


def test_postgresql_connections_killed_between_requests_are_replaced(tmp_path, pg_url, redis_url):
    """Every connection of the service is terminated on the server (a failover, a restart):
    the next requests get fresh connections from the pool and the test goes on."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"tt-kill-{uuid.uuid4().hex[:8]}"          # only this app's connections are killed
    app = gateway_app(seeded_config(tmp_path, f"{pg_url}&application_name={name}", redis_url))
    client = app.test_client()
    taker = Taker(client)
    item = taker.next().json["item"]
    assert taker.answer(item["id"], KEYS[item["id"]]).status_code == 201
    admin = create_engine(pg_url.split("?")[0], isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        killed = c.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE application_name = :name"), {"name": name}).scalar()
    admin.dispose()
    assert killed >= 1
    for _ in range(3):
        r = taker.next()
        assert r.status_code == 200, r.json
        if r.json["done"]:
            break
        item = r.json["item"]
        assert taker.answer(item["id"], KEYS[item["id"]]).status_code == 201
    assert _answered(app.extensions["taitotaso.resources"].db, taker.id) >= 2
    app.extensions["taitotaso.resources"].db.dispose()


def test_starting_tests_is_rate_limited_per_client_address_behind_the_proxy(tmp_path):
    config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'r.db'}", None,
                           session_starts_per_minute=2, trusted_proxies=1)
    app = gateway_app(config)
    client = app.test_client()

    def start(address):
        return client.post("/api/v1/sessions", json={"ui_language": "fi"},
                           headers={"X-Forwarded-For": address})

    assert [start("203.0.113.7").status_code for _ in range(2)] == [201, 201]
    r = start("203.0.113.7")
    assert r.status_code == 429 and "Wait a moment" in r.json["message"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert start("198.51.100.2").status_code == 201          # another office is not held up
    page = client.get("/fi/", headers={"X-Forwarded-For": "203.0.113.7"})
    assert page.status_code == 200
    app.extensions["taitotaso.resources"].db.dispose()


def test_odd_form_field_names_get_a_422_not_a_500(suite):
    """Found by Schemathesis: a multipart form with fields the API does not know, named with
    control characters, made the error's field map unwritable as JSON."""
    import io

    client = suite.test_client()
    taker = Taker(client)
    r = client.post(f"/api/v1/sessions/{taker.id}/speaking", headers=taker.headers,
                    data={"\ns": '{"a": null}', "\x04á": "[]", "item_id": "name",
                          "audio": (io.BytesIO(b"t\x17|"), "audio")},
                    content_type="multipart/form-data")
    assert r.status_code in (409, 422) and r.json["message"]
