"""Deleting an account leaves nothing (issue 15): the bytes of the database files are scanned
for her email, her name and the employer's email afterwards, on SQLite and on PostgreSQL."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services.gateway import create_app as suite

from .conftest import GOOD_TEXT, KEYS, Taker, confirm_sign_up, csrf, seeded_config

SHORT = {"min_items": 4, "max_items": 4, "pretest_items": 0}
PASSWORD = "correct horse battery"
NAME = "Zoja Kuznetsova-Ylinen"
EMAIL = "zoja.kuznetsova.erasure@example.fi"
EMPLOYER = "hr.erasure.manager@siivous-example.fi"
NEEDLES = [EMAIL.encode(), NAME.encode(), EMPLOYER.encode(), b"AB1234567"]


@pytest.fixture(params=["sqlite", "postgres"])
def setup(request, tmp_path):
    if request.param == "sqlite":
        config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None, **SHORT)
    else:
        config = seeded_config(tmp_path, request.getfixturevalue("pg_url"),
                               request.getfixturevalue("redis_url"), **SHORT)
    app = suite(config)
    yield request.param, config, app
    app.extensions["taitotaso.resources"].db.dispose()


def sqlite_bytes(config) -> bytes:
    """Every file of the SQLite database: the main file, its WAL and shared memory."""
    path = Path(config.database_url.split("///", 1)[-1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def postgres_bytes(config) -> bytes:
    """The files of every table, index and TOAST table of the schema, read by the server
    (pg_read_binary_file) after a CHECKPOINT has written every changed page to them."""
    schema = re.search(r"search_path%3D(\w+)", config.database_url).group(1)
    engine = create_engine(config.database_url.split("?")[0], isolation_level="AUTOCOMMIT")
    out = []
    with engine.connect() as c:
        c.execute(text("CHECKPOINT"))
        rels = c.execute(text("""
            SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = :schema AND c.relkind IN ('r', 'i', 't')
            UNION SELECT c.reltoastrelid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = :schema AND c.reltoastrelid <> 0
            UNION SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            WHERE c.oid IN (SELECT reltoastrelid FROM pg_class c2 JOIN pg_namespace n2
                            ON n2.oid = c2.relnamespace WHERE n2.nspname = :schema)"""),
                         {"schema": schema}).scalars().all()
        for oid in rels:
            path = c.execute(text("SELECT pg_relation_filepath(:oid)"), {"oid": oid}).scalar()
            if path is None:
                continue
            size = c.execute(text("SELECT pg_relation_size(:oid)"), {"oid": oid}).scalar()
            if size:
                out.append(c.execute(text("SELECT pg_read_binary_file(:p)"), {"p": path}).scalar())
    engine.dispose()
    return b"".join(bytes(b) for b in out)


def db_bytes(kind, config) -> bytes:
    return sqlite_bytes(config) if kind == "sqlite" else postgres_bytes(config)


def _her_data(app) -> tuple:
    """A job seeker with a kept test (her name in a written answer), a recording with its
    transcript, a review with a coach's identity note, and a share with an employer."""
    from services.results.orm import AuditEvent
    from services.scoring.orm import ScoreReview, SpeechJob

    client = app.test_client()
    page = client.get("/results/en/sign-up")
    assert client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": EMAIL, "password": PASSWORD, "password_again": PASSWORD,
        "display_name": NAME}).status_code == 200
    assert confirm_sign_up(client, app, EMAIL).status_code == 303   # the link in the mail
    taker = Taker(client, "en")
    taker.finish(lambda item: (GOOD_TEXT + " " + NAME) if KEYS[item["id"]] == GOOD_TEXT else KEYS[item["id"]])
    with client.session_transaction() as s:
        s["test"] = {"id": taker.id, "token": taker.token}
    page = client.get("/results/en/results")
    assert client.post("/results/en/results/keep", data={"_csrf": csrf(page.text)}).status_code in (302, 303)
    db = app.extensions["taitotaso.resources"].db
    with db.session() as s:
        s.add(SpeechJob(id=str(uuid.uuid4()), task="open_speaking", session_id=taker.id, text="Kerro.",
                        ui_language="en", audio=b"RIFF" + NAME.encode() * 10, duration_s=3.0,
                        status="done", stage="done", progress=1.0, attempts=1,
                        result={"cefr": "B1", "transcript": f"Minun nimeni on {NAME}"}))
        review = ScoreReview(kind="writing", session_id=taker.id, prompt="Kerro.",
                             answer=f"Olen {NAME}", machine={"cefr": "B1"}, confidence=0.3)
        s.add(review)
        s.flush()
        s.add(AuditEvent(actor="coach@example.fi", action="review.override",
                         target=f"score_review:{review.id}", detail={"session_id": taker.id},
                         reason=f"Checked passport AB1234567 of {NAME}"))
    page = client.get("/results/en/share")
    r = client.post("/results/en/share", follow_redirects=True, data={
        "_csrf": csrf(page.text), "result": taker.id, "recipient": "employer",
        "purpose": "job application", "days": "30", "employer_name": "Siivous Oy",
        "employer_email": EMPLOYER})
    assert r.status_code == 200, r.text[:500]
    link = re.search(r'id="share-link" value="([^"]+)"', r.text).group(1)
    path = "/results/v/" + link.rsplit("/v/", 1)[1]
    assert app.test_client().get(path).status_code == 200   # the employer looks once
    return client, taker, path


def test_the_export_holds_her_answers_recordings_transcripts_reviews_and_notes(setup):
    import base64
    import json

    _kind, _config, app = setup
    client, taker, _link = _her_data(app)
    r = client.get("/results/en/account/export")
    assert r.status_code == 200
    data = json.loads(r.data)
    assert data["account"]["email"] == EMAIL and data["shares"][0]["employer_email"] == EMPLOYER
    assert any(NAME in str(a["answer"]) for a in data["answers"] if a["test"] == taker.id)
    (spoken,) = data["spoken_answers"]
    assert spoken["transcript"] == f"Minun nimeni on {NAME}"
    assert NAME.encode() in base64.b64decode(spoken["recording_wav_base64"])
    assert f"Olen {NAME}" in [rv["answer"] for rv in data["reviews"]]
    assert any("AB1234567" in (n["note"] or "") for n in data["notes"])


def test_deleting_an_account_leaves_none_of_her_bytes_in_the_database_files(setup):
    kind, config, app = setup
    client, taker, link = _her_data(app)
    before = db_bytes(kind, config)
    assert all(needle in before for needle in NEEDLES), \
        [n for n in NEEDLES if n not in before]   # the scan sees what is there
    page = client.get("/results/en/account/delete")
    r = client.post("/results/en/account/delete", data={"_csrf": csrf(page.text), "confirm": "yes"})
    assert r.status_code == 303
    after = db_bytes(kind, config)
    left = [n.decode() for n in NEEDLES if n in after]
    assert left == [], f"{kind}: still in the database files: {left}"
    # her test's token returns nothing, the employer's link is gone
    assert taker.result().status_code == 404
    assert app.test_client().get(link).status_code == 404
