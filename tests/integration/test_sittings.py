"""Supervised sittings (services.results.sittings), on SQLite and PostgreSQL: a coach opens
one before the test with the identity checked in person and gets a one-time code; the test
started with that code, and only it, gives a supervised result; codes are single-use and
expire; neither the code nor a document number is stored in clear; both steps are audited."""
from __future__ import annotations

import re
from datetime import timedelta

import jwt
from sqlalchemy import select, update

from services.results.orm import AuditEvent, OwnedResult, SupervisedSitting

from .conftest import Taker, csrf
from .test_consent import _coach_browser
from .test_results_seeker import JobSeekerBrowser, app, config, db, employer  # noqa: F401


def open_sitting(coach, **fields):
    page = coach.get("/results/coach/sittings")
    assert page.status_code == 200
    data = {"_csrf": csrf(page.text), "identity_method": "passport", "checked": "yes",
            "document_number": "XP1234567"} | fields
    return coach.post("/results/coach/sittings", data=data)


def code_of(page) -> str:
    return re.search(r'<code id="code">([A-Z0-9-]+)</code>', page.text).group(1)


def start_test(b: JobSeekerBrowser, code: str):
    page = b.client.get("/en/")
    return b.client.post("/en/start", data={"_csrf": csrf(page.text), "supervision_code": code})


def finish_browser_test(b: JobSeekerBrowser) -> str:
    with b.client.session_transaction() as s:
        test = s["test"]
    taker = Taker.__new__(Taker)
    taker.client, taker.id, taker.token = b.client, test["id"], test["token"]
    taker.headers = {"Authorization": f"Bearer {taker.token}"}
    taker.finish()
    return taker.id


def test_a_sitting_opened_before_the_test_makes_its_result_supervised(app, db):
    coach, staff_id = _coach_browser(app, db)
    refused = open_sitting(coach, identity_method="")
    assert refused.status_code == 422 and "how you checked" in refused.text
    unticked = open_sitting(coach, checked="")
    assert unticked.status_code == 422 and "checked the identity in person" in unticked.text
    made = open_sitting(coach)
    assert made.status_code == 200
    code = code_of(made)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    with db.session() as s:
        row = s.scalars(select(SupervisedSitting).where(SupervisedSitting.coach_id == staff_id)).one()
        stored = " ".join(str(v) for v in (row.code_hash, row.document_hmac, row.identity_method))
        assert code.replace("-", "") not in stored and "1234567" not in stored
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.open",
                                                   AuditEvent.target == f"sitting:{row.id}")).one()
        assert "1234567" not in str(event.detail) and event.detail["identity_method"] == "passport"

    b = JobSeekerBrowser(app, name="Olga Petrova")
    wrong = start_test(b, "ABCD-EFGH")
    assert wrong.status_code == 422 and "does not work" in wrong.text
    assert start_test(b, code.lower().replace("-", " ")).status_code == 302  # typed loosely
    session_id = finish_browser_test(b)
    # the code was used up: another browser cannot start with it
    other = JobSeekerBrowser(app)
    assert start_test(other, code).status_code == 422
    assert b.sign_up().status_code == 303 and b.keep().status_code == 303
    with db.session() as s:
        owned = s.get(OwnedResult, session_id)
        assert (owned.assurance, owned.supervised_by) == ("supervised", staff_id)
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.start")).first()
    # employers see it plainly, in the page and in the signed credential
    path = b.share_link(session_id)
    page = employer(app).client.get(path + "?lang=en").text
    assert "Finnish level: supervised test" in page and "unsupervised" not in page.lower()
    token = employer(app).client.get(path + "/credential.jwt").text
    vc = jwt.decode(token, options={"verify_signature": False})["vc"]
    assert vc["evidence"][0]["assurance"] == "supervised" and "supervised" in vc["name"]
    # the coach's list of sittings shows it used
    assert "Test started" in coach.get("/results/coach/sittings").text


def test_a_test_without_a_code_is_an_unsupervised_self_assessment(app, db):
    b = JobSeekerBrowser(app)
    assert start_test(b, "").status_code == 302
    session_id = finish_browser_test(b)
    assert b.sign_up().status_code == 303 and b.keep().status_code == 303
    with db.session() as s:
        assert s.get(OwnedResult, session_id).assurance == "unsupervised"
    page = employer(app).client.get(b.share_link(session_id) + "?lang=en").text
    assert "Finnish level: self-assessment, unsupervised" in page


def test_an_expired_code_is_refused_before_the_test_starts(app, db):
    coach, staff_id = _coach_browser(app, db)
    code = code_of(open_sitting(coach))
    with db.session() as s:
        row = s.scalars(select(SupervisedSitting).where(SupervisedSitting.coach_id == staff_id)).one()
        s.execute(update(SupervisedSitting).where(SupervisedSitting.id == row.id)
                  .values(expires_at=row.created_at - timedelta(minutes=1)))
    b = JobSeekerBrowser(app)
    r = start_test(b, code)
    assert r.status_code == 422 and "expired" in r.text and 'aria-invalid="true"' in r.text
    with b.client.session_transaction() as s:
        assert "test" not in s


def test_the_sittings_page_is_for_coaches_only(app, db):
    anonymous = app.test_client()
    assert anonymous.get("/results/coach/sittings").status_code == 302
    assert anonymous.post("/results/coach/sittings", data={}).status_code in (302, 400)
