"""Consent: every coach and employer page and export honours the job seeker's choice of
showing the name, on SQLite and PostgreSQL.

The matrix: for each consent choice a job seeker can make with the share form (one share
with "show my name" ticked or not; two shares to the same coach that agree or disagree),
every view a recipient has is fetched and searched for the display name: the coach's client
list, the search on it, the client page, the CSV export, the review queue and an answer
under review; the employer's link page, the credential it downloads and the verification
page fed with that credential. The name must appear exactly where every active share with
that recipient allows it. The email address never appears.
"""
from __future__ import annotations

import jwt
import pytest
from sqlalchemy import select

from services.results.orm import Share
from services.scoring.orm import ScoreReview

from .conftest import csrf
from .test_results_seeker import (JobSeekerBrowser, app, config, db,  # noqa: F401
                                  employer, unique_email)

NAME = "Kaisa Salainen"
PASSWORD = "coach-password-123"

# (choices of "show my name" on the shares with the coach) -> may the coach see the name?
COACH_CHOICES = {("yes",): True, ("no",): False, ("yes", "yes"): True, ("yes", "no"): False,
                 ("no", "yes"): False}
EMPLOYER_CHOICES = {"yes": True, "no": False}


def _coach_browser(app, db):
    from services.common.accounts import create_staff

    email = unique_email("coach")
    staff_id = create_staff(db, email, "Cecilia Coach", ["coach"], PASSWORD).id
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/authoring/sign-in")
    r = client.post("/authoring/sign-in", data={"email": email, "password": PASSWORD,
                                                "_csrf": csrf(page.text)})
    assert r.status_code == 302, r.text
    return client, staff_id


def _job_seeker(app):
    b = JobSeekerBrowser(app, name=NAME)
    assert b.sign_up().status_code == 303
    b.result = b.take_test()
    assert b.keep().status_code == 303
    return b


def _seeker_id(b) -> str:
    with b.client.session_transaction() as s:
        return s["_user_id"].partition("|")[2]   # Flask-Login's "<provider>|<id>"


def coach_views(coach, seeker_id: str, review_id: int) -> dict[str, str]:
    """Every coach page and export that can name this client."""
    short = seeker_id.replace("-", "")[:8]
    views = {
        "client list": coach.get("/results/coach/").text,
        "search by name": coach.get("/results/coach/?q=salainen").text,
        "search by short id": coach.get(f"/results/coach/?q={short}").text,
        "client page": coach.get(f"/results/coach/clients/{seeker_id}").text,
        "CSV export": coach.get("/results/coach/clients.csv").data.decode("utf-8-sig"),
        "review queue": coach.get("/results/coach/reviews").text,
        "answer under review": coach.get(f"/results/coach/reviews/{review_id}").text,
    }
    assert short in views["client page"] and short in views["client list"]
    return views


def employer_views(app, path: str) -> dict[str, str]:
    boss = employer(app)
    page = boss.client.get(path + "?lang=en")
    assert page.status_code == 200
    token = boss.client.get(path + "/credential.jwt").text
    claims = jwt.decode(token, options={"verify_signature": False})
    verify = boss.client.post("/results/verify?lang=en", data={
        "credential": token, "_csrf": csrf(boss.client.get("/results/verify").text)})
    assert verify.status_code == 200, verify.text
    return {"link page": page.text, "credential": str(claims), "verification page": verify.text}


def _review(db, session_id: str) -> int:
    with db.session() as s:
        row = ScoreReview(kind="writing", task_id="wr-consent", session_id=session_id,
                          prompt="Kerro työstäsi.", answer="Minä olen siivooja.",
                          machine={"cefr": "B1", "confidence": 0.4}, confidence=0.4, status="open")
        s.add(row)
        s.flush()
        return row.id


SIZE = {"coach": len(COACH_CHOICES) * 7, "employer": len(EMPLOYER_CHOICES) * 3}


@pytest.mark.parametrize("choices", list(COACH_CHOICES), ids="-".join)
def test_coach_pages_show_the_name_only_with_consent(app, db, choices):
    b = _job_seeker(app)
    coach, staff_id = _coach_browser(app, db)
    for choice in choices:
        fields = {"coach_id": str(staff_id)} | ({"show_name": "yes"} if choice == "yes" else {})
        r = b.share(b.result, recipient="coach", **fields)
        assert r.status_code == 200, r.text
    listed = b.client.get("/results/en/shares").text
    assert listed.count("Name shown") >= len(choices)
    views = coach_views(coach, _seeker_id(b), _review(db, b.result))
    assert len(views) == 7
    allowed = COACH_CHOICES[choices]
    for where, text in views.items():
        assert b.email not in text, where
        if where == "search by name":
            # a hidden name cannot be found by searching for it either
            assert ("Clients shown: 1" in text) == allowed, where
        assert (NAME in text) == allowed, (choices, where)
    # withdrawing the share that withheld the name does not reveal it retroactively: the
    # name follows the shares that are active now
    if choices == ("yes", "no"):
        with db.session() as s:
            withheld = s.scalars(select(Share).where(Share.job_seeker_id == _seeker_id(b),
                                                     Share.show_contact.is_(False))).one()
        token = csrf(b.client.get("/results/en/shares").text)
        assert b.client.post(f"/results/en/shares/{withheld.id}/withdraw",
                             data={"_csrf": token}).status_code == 303
        assert NAME in coach.get("/results/coach/").text


@pytest.mark.parametrize("choice", list(EMPLOYER_CHOICES))
def test_employer_pages_show_the_name_only_with_consent(app, choice):
    b = _job_seeker(app)
    fields = {"show_name": "yes"} if choice == "yes" else {}
    views = employer_views(app, b.share_link(b.result, **fields))
    assert len(views) == 3
    for where, text in views.items():
        assert b.email not in text, where
        assert (NAME in text) == EMPLOYER_CHOICES[choice], (choice, where)

