"""The coach pages (``/results/coach``) through the whole suite, on SQLite and PostgreSQL:
who may see what (every route refuses a client who does not share with this coach now),
the view log, the CSV export, supervised sittings, and the review of uncertain scores.

The state is built in the database: staff accounts with ``create_staff``, one finished
test made with the ``Taker`` and copies of it for the other clients, owned results and
coach shares as the job seeker's pages would make them.
"""
from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from assessment.cefr import LEVELS
from item_bank.orm import utcnow
from services.common.accounts import create_staff
from services.common.db import Database
from services.gateway import create_app as gateway_app
from services.results.orm import AuditEvent, JobSeeker, OwnedResult, Share, ShareView
from services.scoring.orm import ScoreReview, SpeechJob
from services.testing.app import create_app as make_testing_app
from services.testing.orm import SessionItem
from services.testing.orm import TestSession as SessionRow

from tests.conftest import kept_result

from .conftest import Taker, csrf
from .queued import run_queued_jobs

PASSWORD = "tarkistaja-sana-2468"
COACH, OTHER_COACH = "cecilia.coach@example.fi", "otto.other@example.fi"
AUTHOR, REVIEWER = "aino.author@example.fi", "riku.reviewer@example.fi"
WAV = b"RIFF" + b"\x24\x00\x00\x00" + b"WAVEfmt " + bytes(28)  # a stand-in recording
EVIL_NAME = "=HYPERLINK(\"http://evil.example\",\"x\")"


class World:
    """Clients of the coach ``cecilia``: Aino (two results, shared now) and a client named
    like a formula (shared now); Bertta shares with another coach, Cyril withdrew his
    share, Dmitri's share expired."""

    def __init__(self, config):
        self.db = Database(config.database_url)
        testing = make_testing_app(config)
        taker = Taker(testing.test_client())
        taker.finish()
        testing.extensions["taitotaso.resources"].db.dispose()
        self.real_session = taker.id
        self.staff = {email: create_staff(self.db, email, name, roles, PASSWORD).id
                      for email, name, roles in [
                          (COACH, "Cecilia Coach", ["coach"]),
                          (OTHER_COACH, "Otto Other", ["coach"]),
                          (AUTHOR, "Aino Author", ["author"]),
                          (REVIEWER, "Riku Reviewer", ["reviewer"])]}
        now = utcnow()
        coach, other = self.staff[COACH], self.staff[OTHER_COACH]
        self.clients = {}
        self.sessions = {}
        self.shares = {}
        with self.db.session() as s:
            original = s.get(SessionRow, taker.id)
            # Aino's earlier result: a copy of the real one, two months before, lower
            earlier = self._copy(s, original, now - timedelta(days=60), shift=-1.0)
            spec = [("aino", "Aino Asiakas", [earlier, taker.id], coach, None, 30),
                    ("evil", EVIL_NAME, [self._copy(s, original, now - timedelta(days=3))], coach, None, 30),
                    ("bertta", "Bertta Muu", [self._copy(s, original, now - timedelta(days=2))], other, None, 30),
                    ("cyril", "Cyril Peruttu", [self._copy(s, original, now - timedelta(days=2))], coach, now, 30),
                    ("dmitri", "Dmitri Vanha", [self._copy(s, original, now - timedelta(days=50))], coach, None, -1)]
            for key, name, sessions, to, revoked, days in spec:
                seeker = JobSeeker(id=str(uuid.uuid4()), email=f"{key}@example.fi", display_name=name)
                s.add(seeker)
                s.flush()
                self.clients[key] = seeker.id
                self.sessions[key] = sessions
                for sid in sessions:
                    s.add(kept_result(s, sid, seeker.id))
                    share = Share(id=str(uuid.uuid4()), job_seeker_id=seeker.id, session_id=sid,
                                  recipient_kind="coach", coach_id=to, purpose="työnhaku",
                                  credential_id=str(uuid.uuid4()), expires_at=now + timedelta(days=days),
                                  revoked_at=revoked, show_contact=True)  # "show my name"
                    s.add(share)
                    self.shares.setdefault(key, []).append(share.id)
            s.flush()
            # uncertain scores: Aino's written answer of the real test and a spoken answer;
            # a spoken answer of Bertta's and of Cyril's (not for this coach's eyes)
            written = s.scalars(select(SessionItem).where(SessionItem.session_id == taker.id,
                                                          SessionItem.item_id.like("wr-%"))).first()
            self.writing_item = written.item_id
            self.machine_level = LEVELS[int(written.score)]
            self.reviews = {
                "aino_writing": self._review(s, "writing", taker.id, written.item_id, written.answer,
                                             self.machine_level),
                "aino_speech": self._speech_review(s, taker.id, "B1"),
                "bertta_speech": self._speech_review(s, self.sessions["bertta"][0], "A2"),
                "cyril_speech": self._speech_review(s, self.sessions["cyril"][0], "A2"),
                "dmitri_speech": self._speech_review(s, self.sessions["dmitri"][0], "A2"),
            }

    @staticmethod
    def _copy(s, original: SessionRow, finished_at, shift: float = 0.0) -> str:
        result = dict(original.result)
        if shift:
            result["overall"] = {**result["overall"], "theta": result["overall"]["theta"] + shift,
                                 "cefr": "B2", "at_least": False}
        sid = str(uuid.uuid4())
        s.add(SessionRow(id=sid, token_hash="0" * 64, ui_language="fi", status="finished",
                          bank_version=original.bank_version, self_assessment={},
                          created_at=finished_at, finished_at=finished_at, result=result))
        return sid

    @staticmethod
    def _review(s, kind, session_id, task_id, answer, level, extra=None) -> int:
        machine = {"cefr": level, "confidence": 0.41, "subscores": {"task": 2.2, "accuracy": 1.6},
                   "feedback": []} | (extra or {})
        row = ScoreReview(kind=kind, task_id=task_id, session_id=session_id, prompt="Kerro työstäsi.",
                          answer=answer, machine=machine, confidence=0.41, status="open")
        s.add(row)
        s.flush()
        return row.id

    def _speech_review(self, s, session_id, level) -> int:
        job = SpeechJob(id=str(uuid.uuid4()), task="open_speaking", item_id="sp-x", session_id=session_id,
                        text="Kerro työstäsi.", audio=WAV, duration_s=12.0, status="done", stage="done",
                        progress=1.0, result={"cefr": level, "confidence": 0.4, "task": "open_speaking",
                                              "recognised_as": "speech", "transcript": "minä teen töitä"})
        s.add(job)
        s.flush()
        return self._review(s, "speech", session_id, "sp-x", "minä teen töitä", level,
                            {"job_id": job.id, "task": "open_speaking", "transcript": "minä teen töitä"})


@pytest.fixture
def world(config):
    w = World(config)
    yield w
    w.db.dispose()


@pytest.fixture
def suite(config):
    app = gateway_app(config)
    yield app
    app.extensions["taitotaso.resources"].db.dispose()


def english(suite):
    """A browser that asks for English pages (the strings the tests look for)."""
    client = suite.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def signed_in(suite, email):
    client = english(suite)
    page = client.get("/authoring/sign-in")
    r = client.post("/authoring/sign-in", data={"email": email, "password": PASSWORD,
                                                "_csrf": csrf(page.text)})
    assert r.status_code == 302, r.text
    return client


def as_utc(when):
    """SQLite gives back naive datetimes (UTC), PostgreSQL aware ones."""
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def count(db, model, *where) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def coach_routes(w, key):
    """Every coach route that names a client, a result or an answer of client ``key``."""
    seeker, session_id = w.clients[key], w.sessions[key][0]
    review = w.reviews[f"{key}_speech"]
    return {"get": [f"/results/coach/clients/{seeker}", f"/results/coach/reviews/{review}",
                    f"/results/coach/reviews/{review}/audio"],
            "post": [(f"/results/coach/clients/{seeker}/results/{session_id}/identity",
                      {"confirm": "yes", "note": "passi"}),
                     (f"/results/coach/reviews/{review}", {"cefr": "C1", "reason": "kuulin itse"})]}


# -- who may come in ---------------------------------------------------------------------
def test_signed_out_visitors_are_sent_to_sign_in_and_brought_back(suite, world):
    client = english(suite)
    for path in ("/results/coach/", "/results/coach/clients.csv?level=B1",
                 f"/results/coach/clients/{world.clients['aino']}", "/results/coach/reviews",
                 f"/results/coach/reviews/{world.reviews['aino_speech']}/audio"):
        r = client.get(path)
        assert r.status_code == 302, path
        assert r.headers["Location"] == "/authoring/sign-in?next=" + quote(path, safe="/"), path
    page = client.get("/authoring/sign-in?next=/results/coach/")
    assert "Sign in to the coach pages" in page.text
    r = client.post("/authoring/sign-in", data={"email": COACH, "password": PASSWORD,
                                                "next": "/results/coach/", "_csrf": csrf(page.text)})
    assert r.status_code == 302 and r.headers["Location"] == "/results/coach/"
    assert client.get("/results/coach/").status_code == 200
    # without a next page, a coach lands on the coach pages, and the item bank is closed
    other = english(suite)
    page = other.get("/authoring/sign-in")
    r = other.post("/authoring/sign-in", data={"email": COACH, "password": PASSWORD,
                                               "_csrf": csrf(page.text)})
    assert r.headers["Location"] == "/results/coach/"
    items = other.get("/authoring/items")
    assert items.status_code == 303 and items.headers["Location"] == "/results/coach/?from=authoring"
    # an outside address is never the next page
    page = other.get("/authoring/sign-in?next=//evil.example/results/coach/")
    assert "evil.example" not in page.text


def test_a_coach_who_opens_authoring_is_taken_to_the_coach_pages_with_a_reason(suite, world):
    coach = signed_in(suite, COACH)
    for path in ("/authoring/", "/authoring/items"):
        r = coach.get(path)
        assert r.status_code == 303, path
        assert r.headers["Location"] == "/results/coach/?from=authoring", path
    page = coach.get("/authoring/", follow_redirects=True)
    assert page.status_code == 200
    assert "Something went wrong" not in page.text
    assert "is for item writers and admins" in page.text and "Your clients" in page.text
    # the sentence is there only when coming from the item bank
    assert "is for item writers and admins" not in coach.get("/results/coach/").text
    # in Finnish too
    fi = coach.get("/results/coach/?from=authoring&lang=fi")
    assert "on tehtävien laatijoille ja ylläpitäjille" in fi.text
    # the API still answers 403 with a reason, never a redirect
    api = coach.get("/authoring/api/v1/items")
    assert api.status_code in (401, 403) and api.headers.get("Location") is None
    # an author reaches the item bank as before
    assert signed_in(suite, AUTHOR).get("/authoring/items").status_code == 200


def test_staff_without_the_coach_role_are_refused_with_a_reason(suite, world):
    author = signed_in(suite, AUTHOR)
    for path in ("/results/coach/", "/results/coach/clients.csv",
                 f"/results/coach/clients/{world.clients['aino']}", "/results/coach/reviews"):
        r = author.get(path)
        assert r.status_code == 403, path
        assert "role" in r.text and "Aino Asiakas" not in r.text
    # a reviewer may use the review queue but has no clients
    reviewer = signed_in(suite, REVIEWER)
    assert reviewer.get("/results/coach/").status_code == 403
    assert reviewer.get("/results/coach/reviews").status_code == 200
    # a signed cookie that was tampered with counts as signed out
    tampered = english(suite)
    tampered.set_cookie("taitotaso_staff", "eyJzdGFmZiI6eyJ1c2VyX2lkIjoxfX0.bad.sig", domain="localhost")
    assert tampered.get("/results/coach/").status_code == 302


def test_a_coach_sees_only_the_clients_who_share_with_them_now(suite, world):
    coach = signed_in(suite, COACH)
    page = coach.get("/results/coach/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Aino Asiakas" in page.text and "HYPERLINK" in page.text
    for hidden in ("Bertta Muu", "Cyril Peruttu", "Dmitri Vanha"):
        assert hidden not in page.text
    assert "Clients shown: 2 of 2." in page.text
    assert "(2 results)" in page.text
    # filter by level and skill, and search by name
    assert "Clients shown: 0 of 2." in coach.get("/results/coach/?level=A1").text
    with world.db.session() as s:
        latest = s.get(SessionRow, world.real_session).result
    reading = latest["skills"]["reading"]["cefr"]
    found = coach.get(f"/results/coach/?skill=reading&level={reading}").text
    assert "Clients shown: 2 of 2." in found
    searched = coach.get("/results/coach/?q=aino").text
    assert "Clients shown: 1 of 2." in searched and "Aino Asiakas" in searched
    assert "HYPERLINK" not in searched
    # the job seeker's own pages name the coach; the coach's pages a client without a name
    with world.db.session() as s:
        s.get(JobSeeker, world.clients["aino"]).display_name = None
    nameless = coach.get("/results/coach/").text
    assert "Client #" + world.clients["aino"].replace("-", "")[:8] in nameless


def test_every_view_of_a_shared_result_is_logged_for_the_job_seeker(suite, world):
    coach = signed_in(suite, COACH)
    aino_latest = world.shares["aino"][1]
    assert count(world.db, ShareView, ShareView.share_id == aino_latest) == 0
    coach.get("/results/coach/")
    coach.get(f"/results/coach/clients/{world.clients['aino']}")
    with world.db.session() as s:
        views = s.scalars(select(ShareView).where(ShareView.share_id == aino_latest)).all()
        assert [v.viewer for v in views] == [COACH, COACH]
        assert s.get(Share, aino_latest).view_count == 2
        # the client page showed the earlier result too
        assert s.get(Share, world.shares["aino"][0]).view_count == 1
        # never a view of what was not shown
        for key in ("bertta", "cyril", "dmitri"):
            assert s.get(Share, world.shares[key][0]).view_count == 0


def test_every_coach_route_answers_404_for_a_client_who_does_not_share_with_this_coach(suite, world):
    coach = signed_in(suite, COACH)
    for key in ("bertta", "cyril", "dmitri"):
        routes = coach_routes(world, key)
        for path in routes["get"]:
            r = coach.get(path)
            assert r.status_code == 404, (key, path)
            assert "Muu" not in r.text and "Peruttu" not in r.text and "Vanha" not in r.text
            assert "minä teen töitä" not in r.text
        token = csrf(coach.get("/results/coach/").text)
        for path, form in routes["post"]:
            r = coach.post(path, data=form | {"_csrf": token})
            assert r.status_code == 404, (key, path)
        csv_text = coach.get("/results/coach/clients.csv").data.decode("utf-8-sig")
        assert world.clients[key].replace("-", "")[:8] not in csv_text
        assert world.sessions[key][0] not in csv_text
        assert key.capitalize() not in csv_text
        assert world.sessions[key][0] not in coach.get("/results/coach/reviews").text
    # nothing changed, nothing was logged (nor queued to be)
    run_queued_jobs(suite)
    with world.db.session() as s:
        for key in ("bertta", "cyril", "dmitri"):
            assert s.get(OwnedResult, world.sessions[key][0]).assurance == "unsupervised"
            assert s.get(ScoreReview, world.reviews[f"{key}_speech"]).status == "open"
            assert s.get(Share, world.shares[key][0]).view_count == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
    # a client and a result that do not match each other, and ids that do not exist
    token = csrf(coach.get("/results/coach/").text)
    mixed = (f"/results/coach/clients/{world.clients['aino']}/results/"
             f"{world.sessions['bertta'][0]}/identity")
    assert coach.post(mixed, data={"confirm": "yes", "_csrf": token}).status_code == 404
    assert coach.get(f"/results/coach/clients/{uuid.uuid4()}").status_code == 404
    assert coach.get("/results/coach/clients/x%00y").status_code == 404
    assert coach.get("/results/coach/reviews/999999").status_code == 404
    # the other coach sees Bertta, and not Aino
    other = signed_in(suite, OTHER_COACH)
    assert other.get(f"/results/coach/clients/{world.clients['bertta']}").status_code == 200
    assert other.get(f"/results/coach/clients/{world.clients['aino']}").status_code == 404
    assert other.get(f"/results/coach/reviews/{world.reviews['aino_writing']}").status_code == 404


def test_the_whole_review_queue_is_for_reviewers_and_admins_only(suite, world):
    coach = signed_in(suite, COACH)
    queue = coach.get("/results/coach/reviews").text
    # the reviews of Aino's results: the two made here, and any the test itself queued
    # (a written answer the scorer was unsure of goes to review on submission)
    with world.db.session() as s:
        mine = set(s.scalars(select(ScoreReview.id).where(ScoreReview.session_id.in_(world.sessions["aino"]))))
    assert {world.reviews["aino_writing"], world.reviews["aino_speech"]} <= mine
    shown = {int(n) for n in re.findall(r'/results/coach/reviews/(\d+)"', queue)}
    assert shown == mine
    # the scoring API's queue (every answer) is closed to coaches
    api = coach.get("/api/v1/scoring/reviews")
    assert api.status_code == 403 and "/results/coach/reviews" in api.json["message"]
    assert coach.get(f"/api/v1/scoring/reviews/{world.reviews['bertta_speech']}/audio").status_code == 403
    # a reviewer sees every answer, but no name of a job seeker who did not share with them
    reviewer = signed_in(suite, REVIEWER)
    everything = reviewer.get("/results/coach/reviews").text
    with world.db.session() as s:
        every_review = set(s.scalars(select(ScoreReview.id)))
    assert set(world.reviews.values()) <= every_review
    assert {int(n) for n in re.findall(r'/results/coach/reviews/(\d+)"', everything)} == every_review
    assert "Bertta" not in everything and "Aino" not in everything
    page = reviewer.get(f"/results/coach/reviews/{world.reviews['bertta_speech']}")
    assert page.status_code == 200 and "not shared with you" in page.text


# -- the client's page -------------------------------------------------------------------
def test_the_client_page_shows_the_profile_progress_and_answers_under_review(suite, world):
    coach = signed_in(suite, COACH)
    page = coach.get(f"/results/coach/clients/{world.clients['aino']}").text
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([\w-]+) ([\w-]+)"', page)
    assert len(charts) == 2
    for title, desc in charts:
        assert f'<title id="{title}">' in page and f'<desc id="{desc}">' in page
    assert "Ability over time, overall and by skill" in page
    assert page.count('class="point"') >= 2 * 2  # overall and skills, at two dates
    assert 'class="list progress-table"' in page and 'class="list profile-table"' in page
    assert page.count(">Unsupervised<") >= 2
    assert f'/results/coach/reviews/{world.reviews["aino_writing"]}"' in page
    assert f'/results/coach/reviews/{world.reviews["aino_speech"]}"' in page
    assert "Written answer" in page and "Spoken answer" in page
    assert "<dt>Cut-score version</dt><dd>2026-11-provisional</dd>" in page


def test_the_coachs_progress_chart_colours_each_skill_as_the_job_seekers_chart_does(suite, world):
    """Listening and vocabulary (and every skill) keep one colour across the pages: the
    coach's series are classed by skill, and coach.css gives each the colour of results.css."""
    from pathlib import Path

    coach = signed_in(suite, COACH)
    page = coach.get(f"/results/coach/clients/{world.clients['aino']}").text
    classes = re.findall(r'<g class="series series-([\w-]+)', page)
    assert classes and "overall" in classes and not any(c.isdigit() for c in classes)
    static = Path(__file__).resolve().parents[2] / "services" / "results"
    seeker = dict(re.findall(r"\.series-(\w+) \{ stroke:(#[0-9a-f]{6});", (static / "static" / "results.css").read_text()))
    coach_css = dict(re.findall(r"\.series-(\w+) \.line[^{]*\{ stroke:(#[0-9a-f]{6});",
                                (static / "coach_static" / "coach.css").read_text()))
    skills = {"overall", "reading", "listening", "vocabulary", "structure", "writing", "speaking"}
    assert set(seeker) >= skills and set(coach_css) >= skills
    assert {k: coach_css[k] for k in skills} == {k: seeker[k] for k in skills}
    assert len({seeker[k] for k in skills}) == len(skills)  # no two skills share a colour
    # the CEFR level lines look like no skill's line: a colour of their own and no dashes
    cut = re.search(r"\.chart\.progress \.cut \{([^}]*)\}", (static / "coach_static" / "coach.css").read_text()).group(1)
    assert "dasharray" not in cut
    assert re.search(r"stroke:(#[0-9a-f]{6})", cut).group(1) not in set(seeker.values()) | set(coach_css.values())


def test_the_csv_export_in_finnish_and_swedish_uses_semicolons_and_decimal_commas(suite, world):
    """Excel under a Finnish or Swedish locale splits at ';': a comma file opens as one column."""
    coach = signed_in(suite, COACH)
    for lang in ("fi", "sv"):
        r = coach.get(f"/results/coach/clients.csv?lang={lang}")
        assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
        assert len(rows[0]) >= 9 and len(rows) == 4
        assert all(re.fullmatch(r"0,\d\d", row[6]) for row in rows[1:])
    r = coach.get("/results/coach/clients.csv?lang=en")
    assert ";" not in r.data.decode("utf-8-sig").splitlines()[0]


def test_the_csv_export_has_one_row_per_shared_result_and_is_safe_in_excel(suite, world):
    coach = signed_in(suite, COACH)
    r = coach.get("/results/coach/clients.csv")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="taitotaso-clients-')
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:7] == ["Client", "Client id", "Result id", "Date", "Assurance", "Overall level",
                          "Overall SEM"]
    assert "Reading level" in header and "Reading SEM" in header and header[-1] == "Shared until"
    assert len(body) == 3  # Aino's two results and the other client's one
    assert {row[2] for row in body} == set(world.sessions["aino"]) | set(world.sessions["evil"])
    evil = next(row for row in body if row[2] == world.sessions["evil"][0])
    assert evil[0] == "'" + EVIL_NAME  # a formula becomes text
    aino = [row for row in body if row[0] == "Aino Asiakas"]
    assert [row[3] for row in aino] == sorted((row[3] for row in aino), reverse=True)
    assert all(re.fullmatch(r"0\.\d\d", row[6]) for row in body)
    assert all(row[4] == "Unsupervised" for row in body)
    # the same filters as the page
    only_aino = list(csv.reader(io.StringIO(coach.get("/results/coach/clients.csv?q=asiakas")
                                            .data.decode("utf-8-sig"))))
    assert len(only_aino) == 3 and {row[0] for row in only_aino[1:]} == {"Aino Asiakas"}
    # the export counts as a view of every shared result in it
    assert count(world.db, ShareView, ShareView.share_id.in_(world.shares["aino"])) == 4


def test_speaking_level_and_certainty_are_on_the_client_page_the_list_and_the_csv(suite, world):
    """Aino's latest sitting has a spoken answer scored B1 with confidence 0.4."""
    coach = signed_in(suite, COACH)
    page = coach.get(f"/results/coach/clients/{world.clients['aino']}").text
    row = re.search(r'<tr id="profile-speaking">(.*?)</tr>', page, re.S)
    assert row, "no speaking row in the profile table"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1))
    assert cells == ["Speaking", "B1", "–", "40 %"]
    assert 'id="speaking-note"' in page and "Speaking: B1. " in page  # the chart's description
    # the list shows the speaking column and filters by it
    listing = coach.get("/results/coach/?skill=speaking&level=B1").text
    assert "Aino Asiakas" in listing and "Clients shown: 1 of 2." in listing
    # the CSV: level and probability for speaking, no SEM; Finnish decimal commas
    r = coach.get("/results/coach/clients.csv?lang=fi")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    level, sem, prob = (header.index(f"Puhuminen: {x}") if f"Puhuminen: {x}" in header else None
                        for x in ("taso", "keskivirhe", "tason todennäköisyys"))
    assert None not in (level, sem, prob), header
    latest = next(row for row in rows[1:] if row[2] == world.real_session)
    assert (latest[level], latest[sem], latest[prob]) == ("B1", "", "0,40")
    earlier = next(row for row in rows[1:] if row[2] == world.sessions["aino"][0])
    assert earlier[level] == "" and earlier[prob] == ""
    # every other skill has its probability too, as a decimal between 0 and 1
    assert header[7] == "Kokonaistason todennäköisyys"
    assert all(re.fullmatch(r"0,\d\d|1,00", row[7]) for row in rows[1:])


def test_the_speaking_level_is_the_lower_of_the_latest_spoken_answers():
    from types import SimpleNamespace as Job

    from services.results.coaching import speaking_estimate

    def job(item, cefr, confidence=0.7, status="done", recognised="speech", **extra):
        return Job(item_id=item, status=status, result={"cefr": cefr, "confidence": confidence,
                                                        "recognised_as": recognised, **extra})

    assert speaking_estimate([]) is None
    assert speaking_estimate([job("sp-1", None, recognised="unclear")]) is None
    assert speaking_estimate([job("sp-1", "B1", status="failed")]) is None
    est = speaking_estimate([job("sp-1", "B2", 0.8), job("sp-2", "A2", 0.55)])
    assert (est["cefr"], est["certainty"], est["sem"], est["n_items"]) == ("A2", 0.55, None, 2)
    # a later recording of the same task replaces the earlier one
    assert speaking_estimate([job("sp-1", "A1", 0.9), job("sp-1", "B1", 0.6)])["cefr"] == "B1"
    # an answer that got no level does not pull the level down
    assert speaking_estimate([job("sp-1", "B1", 0.6), job("sp-2", None, recognised="other_language")])["cefr"] == "B1"
    # a level a coach set has no machine certainty
    reviewed = speaking_estimate([job("sp-1", "B2", 0.3, reviewed={"cefr": "B2"})])
    assert reviewed["certainty"] is None and reviewed["reviewed"] is True


def test_csv_cells_that_start_like_formulas_become_text():
    from services.results.coaching import csv_cell

    assert [csv_cell(v) for v in ("=1+1", "+358", "-5", "@SUM(A1)", "\tx", "B1", "", None, 0.43)] == \
        ["'=1+1", "'+358", "'-5", "'@SUM(A1)", "'\tx", "B1", "", "", "0.43"]


# -- a supervised sitting ------------------------------------------------------------------
def test_no_result_can_be_marked_supervised_after_the_fact(suite, world):
    """The after-the-fact checkbox is gone: its address answers 404 even for a client who
    shares with this coach, and the client page offers no such form."""
    coach = signed_in(suite, COACH)
    aino, session_id = world.clients["aino"], world.real_session
    page = coach.get(f"/results/coach/clients/{aino}").text
    assert "/identity" not in page and "I supervised this test" not in page
    assert "cannot be marked supervised afterwards" in page
    r = coach.post(f"/results/coach/clients/{aino}/results/{session_id}/identity",
                   data={"_csrf": csrf(page), "confirm": "yes", "note": "passi"})
    assert r.status_code == 404
    with world.db.session() as s:
        assert s.get(OwnedResult, session_id).assurance == "unsupervised"
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_forms_without_the_csrf_token_are_refused(suite, world):
    coach = signed_in(suite, COACH)
    aino = world.clients["aino"]
    r = coach.post(f"/results/coach/reviews/{world.reviews['aino_writing']}",
                   data={"cefr": "B1", "reason": "x"})
    assert r.status_code == 400 and "form has expired" in r.text
    r = coach.post(f"/results/coach/reviews/{world.reviews['aino_speech']}",
                   data={"cefr": "B1", "_csrf": "forged"})
    assert r.status_code == 400
    with world.db.session() as s:
        assert s.get(OwnedResult, world.real_session).assurance == "unsupervised"
        assert s.get(ScoreReview, world.reviews["aino_speech"]).status == "open"


# -- the review of uncertain scores --------------------------------------------------------
def test_overriding_a_written_answer_needs_a_reason_is_audited_and_changes_the_result(suite, world):
    coach = signed_in(suite, COACH)
    review_id = world.reviews["aino_writing"]
    page = coach.get(f"/results/coach/reviews/{review_id}")
    assert page.status_code == 200
    assert 'id="cefr"' in page.text and 'for="reason"' in page.text
    assert "<audio" not in page.text  # a written answer has no recording
    assert coach.get(f"/results/coach/reviews/{review_id}/audio").status_code == 404
    new = "A1" if world.machine_level != "A1" else "C1"
    with world.db.session() as s:
        before = s.get(SessionRow, world.real_session).result
    refused = coach.post(f"/results/coach/reviews/{review_id}",
                         data={"cefr": new, "reason": "  ", "_csrf": csrf(page.text)})
    assert refused.status_code == 422 and "Give a reason" in refused.text
    assert count(world.db, AuditEvent) == 0
    bad = coach.post(f"/results/coach/reviews/{review_id}", data={"cefr": "D9", "_csrf": csrf(page.text)})
    assert bad.status_code == 422 and "Choose the level" in bad.text
    done = coach.post(f"/results/coach/reviews/{review_id}",
                      data={"cefr": new, "reason": "Vastaus on lyhyt ja ohi aiheen.",
                            "_csrf": csrf(page.text)})
    assert done.status_code == 302
    # scoring committed the review; testing and results do their parts on review.decided
    run_queued_jobs(suite)
    with world.db.session() as s:
        row = s.get(ScoreReview, review_id)
        assert (row.status, row.reviewed_cefr, row.reviewer, row.note) == \
            ("reviewed", new, COACH, "Vastaus on lyhyt ja ohi aiheen.")
        event = s.scalars(select(AuditEvent)).one()
        assert (event.actor, event.action, event.target) == (COACH, "review.override", f"score_review:{review_id}")
        assert event.detail["old_cefr"] == world.machine_level and event.detail["new_cefr"] == new
        assert event.detail["effect"] == "session_result_queued" and event.reason == "Vastaus on lyhyt ja ohi aiheen."
        assert as_utc(event.at) == as_utc(row.reviewed_at)  # dated when the coach decided
        # the result reflects it: the answer's score and the estimate from it
        assert s.get(SessionItem, (world.real_session, world.writing_item)).score == LEVELS.index(new)
        after = s.get(SessionRow, world.real_session).result
        assert after["reviewed_answers"] == {world.writing_item: new}
        assert after["skills"]["writing"]["theta"] != before["skills"]["writing"]["theta"]
        assert after["skills"]["reading"] == before["skills"]["reading"]
        assert after["bank_version"] == before["bank_version"]
    shown = coach.get(f"/results/coach/reviews/{review_id}").text
    assert "you changed the level" in shown and "Vastaus on lyhyt ja ohi aiheen." in shown
    again = coach.post(f"/results/coach/reviews/{review_id}",
                       data={"cefr": "B1", "reason": "x", "_csrf": csrf(shown)})
    assert again.status_code == 409


def test_confirming_a_spoken_answer_shows_the_reviewed_level_to_the_job_seeker(suite, world):
    coach = signed_in(suite, COACH)
    review_id = world.reviews["aino_speech"]
    page = coach.get(f"/results/coach/reviews/{review_id}")
    assert f'src="/results/coach/reviews/{review_id}/audio"' in page.text
    assert "minä teen töitä" in page.text and "41 %" in page.text
    audio = coach.get(f"/results/coach/reviews/{review_id}/audio")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav" and audio.data == WAV
    r = coach.post(f"/results/coach/reviews/{review_id}", data={"cefr": "B1", "reason": "",
                                                              "_csrf": csrf(page.text)})
    assert r.status_code == 302
    run_queued_jobs(suite)
    with world.db.session() as s:
        event = s.scalars(select(AuditEvent)).one()
        assert event.action == "review.confirm" and event.reason is None
        assert event.detail["effect"] == "speech_job"
        job_id = s.get(ScoreReview, review_id).machine["job_id"]
        result = s.get(SpeechJob, job_id).result
        assert result["cefr"] == "B1" and result["reviewed"]["review_id"] == review_id
        assert result["machine_cefr"] == "B1"
    # an override of another spoken answer through the API, by a reviewer, also needs a reason
    reviewer = signed_in(suite, REVIEWER)
    other = world.reviews["bertta_speech"]
    no_reason = reviewer.post(f"/api/v1/scoring/reviews/{other}", json={"cefr": "B2"})
    assert no_reason.status_code == 422 and "note" in no_reason.json["errors"]
    ok = reviewer.post(f"/api/v1/scoring/reviews/{other}", json={"cefr": "B2", "note": "selkeä puhe"})
    assert ok.status_code == 200 and ok.json["reviewed_cefr"] == "B2"
    # the spoken answer's level changed with the review; the audit follows the event
    assert (ok.json["effect"], ok.json["events"]) == ("speech_job", ["review.decided"])
    run_queued_jobs(suite)
    with world.db.session() as s:
        job = s.get(SpeechJob, s.get(ScoreReview, other).machine["job_id"])
        assert job.result["cefr"] == "B2" and job.result["machine_cefr"] == "A2"
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.target == f"score_review:{other}")) \
            == "review.override"


class RecordingQueue:
    """Passes jobs on to the app's queue and keeps them, to deliver them once more."""

    def __init__(self, queue):
        self.queue, self.jobs = queue, []

    def enqueue(self, path, *args, **kwargs):
        self.jobs.append((path, args, kwargs))
        self.queue.enqueue(path, *args, **kwargs)


def test_review_decided_delivered_twice_leaves_one_audit_row_and_the_same_result(suite, world):
    """Each subscriber is idempotent: a second delivery of the same event (a retry after a
    failure, an event published again) neither audits the decision twice nor moves the result."""
    from services.common.events import SUBSCRIBERS
    from services.scoring.handlers import ScoringService

    res = suite.extensions["taitotaso.resources"]
    queue = RecordingQueue(res.queue)
    new = "A1" if world.machine_level != "A1" else "C1"
    out = ScoringService(world.db, res.config, queue=queue).review(
        world.reviews["aino_writing"], new, COACH, "Liian lyhyt vastaus.")
    assert (out["status"], out["effect"], out["events"]) == ("reviewed", "session_result_queued",
                                                             ["review.decided"])
    assert [path for path, _, _ in queue.jobs] == list(SUBSCRIBERS["review.decided"])
    run_queued_jobs(suite)

    def state():
        with world.db.session() as s:
            return (s.get(SessionItem, (world.real_session, world.writing_item)).score,
                    s.get(SessionRow, world.real_session).result,
                    [(e.actor, e.action, e.target, e.detail, e.reason) for e in s.scalars(select(AuditEvent))])

    once = state()
    assert once[0] == LEVELS.index(new) and once[1]["reviewed_answers"] == {world.writing_item: new}
    kept_in_step(world, once[1])
    assert [a[:3] for a in once[2]] == [(COACH, "review.override", f"score_review:{world.reviews['aino_writing']}")]
    for path, args, kwargs in queue.jobs:  # the same event, delivered again to both services
        res.queue.enqueue(path, *args, **kwargs)
    run_queued_jobs(suite)
    assert state() == once


@pytest.mark.parametrize("config", ["postgres"], indirect=True)
def test_with_redis_the_decision_waits_in_rq_until_a_worker_runs_both_services_parts(suite, world):
    """Production: the coach's POST commits the review and queues one RQ job per subscriber;
    the session's result and the audit change only when a worker runs them."""
    from rq import Queue

    from services.common.events import SUBSCRIBERS
    from services.common.queue import QUEUE_NAME

    res = suite.extensions["taitotaso.resources"]
    assert res.redis is not None
    run_queued_jobs(suite)  # what making the test queued (its item statistics)
    coach = signed_in(suite, COACH)
    review_id = world.reviews["aino_writing"]
    page = coach.get(f"/results/coach/reviews/{review_id}")
    new = "A1" if world.machine_level != "A1" else "C1"
    with world.db.session() as s:
        before = s.get(SessionRow, world.real_session).result
    done = coach.post(f"/results/coach/reviews/{review_id}",
                      data={"cefr": new, "reason": "Vastaus on lyhyt.", "_csrf": csrf(page.text)})
    assert done.status_code == 302
    waiting = Queue(QUEUE_NAME, connection=res.redis).jobs
    assert sorted(job.args[0] for job in waiting) == sorted(SUBSCRIBERS["review.decided"])
    assert all(job.args[1]["review_id"] == review_id and job.args[1]["cefr"] == new for job in waiting)
    with world.db.session() as s:
        assert s.get(ScoreReview, review_id).status == "reviewed"          # scoring's part: committed
        assert s.get(SessionRow, world.real_session).result == before      # testing's: not yet
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0  # results': not yet
    run_queued_jobs(suite)  # a worker, as `taitotaso worker` runs them
    with world.db.session() as s:
        assert s.get(SessionItem, (world.real_session, world.writing_item)).score == LEVELS.index(new)
        assert s.get(SessionRow, world.real_session).result["reviewed_answers"] == {world.writing_item: new}
        event = s.scalars(select(AuditEvent)).one()
        assert (event.action, event.target, event.reason) == ("review.override", f"score_review:{review_id}",
                                                              "Vastaus on lyhyt.")
        result = s.get(SessionRow, world.real_session).result
    kept_in_step(world, result)


def kept_in_step(world, result: dict) -> None:
    """The results service's copy of the reviewed test took its new result, through the
    event ``test.result_changed`` the testing service published after committing it."""
    with world.db.session() as s:
        kept = s.get(OwnedResult, world.real_session)
        finished = s.get(SessionRow, world.real_session).finished_at
    assert kept.result == {k: result[k] for k in kept.result}
    assert "reviewed_answers" not in kept.result and kept.result["overall"] == result["overall"]
    stamp = kept.result_changed_at if kept.result_changed_at.tzinfo else kept.result_changed_at.replace(tzinfo=timezone.utc)
    was = finished if finished.tzinfo else finished.replace(tzinfo=timezone.utc)
    assert stamp > was   # changed by the event, not the copy made when it was kept
    # stamped as the testing service stamped the new result: reads of the test say the same
    assert stamp == datetime.fromisoformat(result["result_changed_at"])


def test_replaying_a_finished_test_gives_back_its_result(world):
    """The re-estimate after a review changes nothing but the reviewed answer's score."""
    from services.testing.estimates import apply_reviewed_level

    with world.db.session() as s:
        before = s.get(SessionRow, world.real_session).result
        after = apply_reviewed_level(s, world.real_session, world.writing_item, world.machine_level)
        assert after["overall"] == before["overall"] and after["skills"] == before["skills"]
        assert apply_reviewed_level(s, world.real_session, "no-such-item", "B1") is None


# -- staff accounts ------------------------------------------------------------------------
def test_an_admin_makes_a_coach_account_and_the_coach_signs_in_to_the_coach_pages(config, suite):
    db = Database(config.database_url)
    create_staff(db, "ada.admin@example.fi", "Ada Admin", ["admin"], PASSWORD)
    create_staff(db, REVIEWER, "Riku Reviewer", ["reviewer"], PASSWORD)
    db.dispose()
    assert signed_in(suite, REVIEWER).get("/authoring/staff").status_code == 403
    admin = signed_in(suite, "ada.admin@example.fi")
    page = admin.get("/authoring/staff")
    assert page.status_code == 200 and "Riku Reviewer" in page.text
    token = csrf(page.text)
    none = admin.post("/authoring/staff", data={"email": "uusi@example.fi", "name": "Uusi", "_csrf": token})
    assert none.status_code == 422 and "at least one role" in none.text
    odd = admin.post("/authoring/staff", data={"email": "uusi@example.fi", "name": "Uusi", "roles": ["root"],
                                               "_csrf": token})
    assert odd.status_code == 422 and "author, reviewer, coach, curator, panelist, admin" in odd.text
    made = admin.post("/authoring/staff", data={"email": "uusi@example.fi", "name": "Ulla Uusi",
                                                "roles": ["coach"], "_csrf": token})
    assert made.status_code == 200 and "Account made for Ulla Uusi" in made.text
    password = re.search(r'<code class="password">([^<]+)</code>', made.text).group(1)
    again = admin.post("/authoring/staff", data={"email": "uusi@example.fi", "name": "Ulla Uusi",
                                                 "roles": ["coach"], "_csrf": token})
    assert again.status_code == 422 and "already exists" in again.text
    coach = english(suite)
    sign_in_page = coach.get("/authoring/sign-in")
    r = coach.post("/authoring/sign-in", data={"email": "uusi@example.fi", "password": password,
                                               "_csrf": csrf(sign_in_page.text)})
    assert r.headers["Location"] == "/results/coach/"
    assert "No job seeker shares a result with you" in coach.get("/results/coach/").text
