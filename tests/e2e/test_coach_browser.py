"""A coach's day in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against `taitotaso serve` on the embedded default: sign in, the clients who shared with
them, a filter, a client's charts, the CSV export, and an uncertain written answer whose
level the coach changes with a reason.

The state is made before the server starts: the bank with `taitotaso db seed`, the coach
with `taitotaso staff add --role coach`, one finished test with the testing API, and the
clients' accounts, owned results and shares as rows.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from assessment.cefr import LEVELS
from item_bank.orm import utcnow
import services.common.accounts  # noqa: F401  (the staff table, which results refer to)
from services.common.config import Config
from services.common.db import Database
from services.results.orm import AuditEvent, JobSeeker, OwnedResult, Share
from tests.conftest import kept_result
from services.scoring.orm import ScoreReview
from services.testing.app import create_app as make_testing_app
from services.testing.orm import SessionItem
from services.testing.orm import TestSession as SessionRow

from .conftest import BIN, served, suite_env, unlabelled_controls

EMAIL, PASSWORD = "kaisa.coach@example.fi", "valmentaja-2026"
ANSWER = ("Hei! Olen työskennellyt Espoossa kaupassa kaksi vuotta. Pidän työstäni, koska "
          "asiakkaat ovat ystävällisiä.")

pytestmark = pytest.mark.e2e


def _finished_test(cfg: Config) -> str:
    """One test taken through the testing API, each item answered with its first option."""
    app = make_testing_app(cfg)
    client = app.test_client()
    r = client.post("/api/v1/sessions", json={"ui_language": "fi"})
    sid, headers = r.json["id"], {"Authorization": f"Bearer {r.json['token']}"}
    while True:
        nxt = client.get(f"/api/v1/sessions/{sid}/next", headers=headers).json
        if nxt["done"]:
            break
        item = nxt["item"]
        if item["kind"] == "writing_task":
            answer = ANSWER
        elif item.get("choices"):
            answer = item["choices"][0]["id"]
        elif item["kind"] == "sentence_building":
            answer = " ".join(item["words"])
        elif item["kind"] == "c_test":
            answer = ["x"] * sum("gap" in part for part in item["parts"])
        else:
            answer = "talo"
        a = client.post(f"/api/v1/sessions/{sid}/responses", headers=headers,
                        json={"item_id": item["id"], "answer": answer})
        assert a.status_code == 201, (item["kind"], a.json)
    app.extensions["taitotaso.resources"].db.dispose()
    return sid


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = suite_env(var)
    subprocess.run([str(BIN), "db", "seed"], env=env, check=True, capture_output=True)
    made = subprocess.run([str(BIN), "staff", "add", EMAIL, "--name", "Kaisa Coach", "--role", "coach",
                           "--password", PASSWORD], env=env, check=True, capture_output=True, text=True)
    coach_id = json.loads(made.stdout)["id"]
    other = subprocess.run([str(BIN), "staff", "add", "olli@example.fi", "--name", "Olli Other",
                            "--role", "coach,admin"], env=env, check=True, capture_output=True, text=True)
    assert json.loads(other.stdout)["roles"] == ["coach", "admin"]
    cfg = Config.from_env(database_url=f"sqlite:///{var / 'taitotaso.db'}", redis_url=None, var_dir=var,
                          secret_key="e2e-state", testing=True)
    real = _finished_test(cfg)
    db = Database(cfg.database_url)
    now = utcnow()
    state = {"real": real}
    with db.session() as s:
        original = s.get(SessionRow, real)

        def copy(days_ago: int, level: str) -> str:
            sid = str(uuid.uuid4())
            result = {**original.result, "overall": {**original.result["overall"], "cefr": level,
                                                     "theta": {"A1": -2.5, "A2": -1.5, "B1": -0.5,
                                                               "B2": 0.5, "C1": 1.5}[level],
                                                     "at_least": False}}
            s.add(SessionRow(id=sid, token_hash="0" * 64, ui_language="fi", status="finished",
                             bank_version=original.bank_version, self_assessment={},
                             created_at=now - timedelta(days=days_ago),
                             finished_at=now - timedelta(days=days_ago), result=result))
            return sid

        earlier = copy(90, "A1")
        clients = [("Amina Haddad", [earlier, real], coach_id),
                   ("Boris Ivanov", [copy(5, "C1")], coach_id),
                   ("Chen Wei", [copy(4, "B1")], json.loads(other.stdout)["id"])]
        for name, sessions, to in clients:
            seeker = JobSeeker(id=str(uuid.uuid4()), email=f"{uuid.uuid4().hex[:6]}@example.fi",
                               display_name=name)
            s.add(seeker)
            s.flush()
            state[name] = seeker.id
            for sid in sessions:
                s.add(kept_result(s, sid, seeker.id))
                s.add(Share(id=str(uuid.uuid4()), job_seeker_id=seeker.id, session_id=sid,
                            recipient_kind="coach", coach_id=to, purpose="job search",
                            credential_id=str(uuid.uuid4()), expires_at=now + timedelta(days=30),
                            show_contact=True))  # "show my name": the coach sees the names
        written = s.scalars(select(SessionItem).where(SessionItem.session_id == real,
                                                      SessionItem.item_id.like("wr-%"))).first()
        machine = LEVELS[int(written.score)]
        review = ScoreReview(kind="writing", task_id=written.item_id, session_id=real,
                             prompt="Kerro työstäsi.", answer=written.answer,
                             machine={"cefr": machine, "confidence": 0.42,
                                      "subscores": {"task": 2.0, "accuracy": 2.4}},
                             confidence=0.42, status="open")
        s.add(review)
        s.flush()
        state |= {"review": review.id, "machine": machine, "item": written.item_id}
    db.dispose()
    with served(env, var) as base:
        yield base, var, state


def test_a_coach_follows_clients_and_overrides_an_uncertain_score(server, browser, tmp_path):
    base, var, state = server
    context = browser.new_context(locale="en-US", accept_downloads=True)
    page = context.new_page()

    # signed out: the sign-in page, for coaches, then straight back
    page.goto(base + "/results/coach/")
    assert page.url.startswith(base + "/authoring/sign-in?next=")
    assert page.locator("h1").inner_text() == "Sign in to the coach pages"
    assert not unlabelled_controls(page)
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + "/results/coach/"
    assert page.locator("h1").inner_text() == "Your clients"
    assert "Kaisa Coach (coach)" in page.locator(".signed-in").inner_text()
    assert not unlabelled_controls(page)
    names = page.locator("table.clients tbody th a").all_inner_texts()
    assert sorted(names) == ["Amina Haddad", "Boris Ivanov"]  # Chen shares with another coach
    assert page.locator("#count").inner_text() == "Clients shown: 2 of 2."
    page.screenshot(path=str(tmp_path / "01-clients.png"), full_page=True)

    # filter: overall level C1 leaves Boris; the search box and Enter, with the keyboard
    page.select_option("#f-level", "C1")
    page.focus("#f-q")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#count").inner_text() == "Clients shown: 1 of 2."
    assert page.locator("table.clients tbody th a").all_inner_texts() == ["Boris Ivanov"]
    assert page.locator("#f-level").input_value() == "C1"
    with page.expect_navigation():
        page.get_by_role("link", name="Clear the filters").click()
    page.fill("#f-q", "amina")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("table.clients tbody th a").all_inner_texts() == ["Amina Haddad"]

    # the CSV of what is shown: Amina's two results, with a BOM for Excel
    with page.expect_download() as got:
        page.get_by_role("link", name="Download these clients' results as CSV (for Excel)").click()
    data = open(got.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Client", "Client id", "Result id"] and len(rows) == 3
    assert {r[0] for r in rows[1:]} == {"Amina Haddad"} and {r[5] for r in rows[1:]} >= {"A1"}

    # the client's page: the profile and the progress, each a described image with a table
    with page.expect_navigation():
        page.get_by_role("link", name="Amina Haddad").click()
    assert page.url == f"{base}/results/coach/clients/{state['Amina Haddad']}"
    charts = page.locator("svg[role=img]")
    assert charts.count() == 2
    assert page.get_by_role("img", name="Ability over time, overall and by skill").is_visible()
    assert page.locator("figure.progress circle.point").count() >= 4
    assert "Overall:" in page.locator("#progress-desc").text_content()
    assert page.locator("table.progress-table tbody tr").count() == 2
    assert not unlabelled_controls(page)
    page.screenshot(path=str(tmp_path / "02-client.png"), full_page=True)

    # the uncertain written answer: a new level without a reason is refused, then given one
    with page.expect_navigation():
        page.get_by_role("link", name=f"Written answer #{state['review']}").click()
    assert page.get_by_text(ANSWER[:40]).is_visible()
    assert not unlabelled_controls(page)
    new = "A2" if state["machine"] != "A2" else "B2"
    page.focus("#cefr")
    page.select_option("#cefr", new)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Save the decision"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    assert "Give a reason" in alert.inner_text()
    assert page.locator("#cefr").input_value() == new  # the choice is kept
    page.fill("#reason", "Vastaus on lyhyt ja yksinkertainen.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the decision").click()
    assert f"you changed the level from {state['machine']} to {new}" in page.get_by_role("status").first.inner_text()
    assert page.locator(".decision dd.level-value").inner_text() == new
    page.screenshot(path=str(tmp_path / "03-review.png"), full_page=True)

    # the server's in-process queue hands review.decided to the testing and results services
    db = Database(f"sqlite:///{var / 'taitotaso.db'}")
    target = f"score_review:{state['review']}"
    deadline = time.monotonic() + 30
    while True:
        with db.session() as s:
            events = s.scalars(select(AuditEvent).where(AuditEvent.target == target)).all()
            reviewed = s.get(SessionRow, state["real"]).result.get("reviewed_answers")
        if (events and reviewed) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [(e.actor, e.action, e.reason) for e in events] == \
        [(EMAIL, "review.override", "Vastaus on lyhyt ja yksinkertainen.")]
    assert reviewed == {state["item"]: new}
    db.dispose()

    # signing out ends the staff session
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    page.goto(base + "/results/coach/")
    assert page.url.startswith(base + "/authoring/sign-in")
    context.close()


def _sideways(page, width: int) -> list[str]:
    """Elements that stick out of a ``width`` px page (the page would scroll sideways)."""
    if page.evaluate("document.documentElement.scrollWidth") <= width:
        return []
    return page.evaluate(f"""() => [...document.querySelectorAll('body *')]
        .filter(e => {{ const r = e.getBoundingClientRect(); return r.right > {width} + 1 || r.left < -1; }})
        .filter(e => !e.closest('.skip, .visually-hidden'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className)""") or ["(the page is wider)"]


def test_the_coach_pages_fit_a_360_px_phone_and_authoring_sends_a_coach_home(server, browser):
    """A coach on a phone: sign-in, the client list, a client's charts and tables, the review
    queue and a review, none scrolling sideways (wide tables scroll inside their own box); the
    item bank's address takes the coach to the coach pages with a sentence saying why."""
    base, var, state = server
    context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 740},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    page.goto(base + "/authoring/sign-in?next=/results/coach/")
    problems += [f"sign-in: {p}" for p in _sideways(page, 360)]
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.tap()
    assert page.url == base + "/results/coach/"
    for path in ("/results/coach/", f"/results/coach/clients/{state['Amina Haddad']}",
                 "/results/coach/reviews", f"/results/coach/reviews/{state['review']}",
                 "/results/coach/sittings"):
        page.goto(base + path)
        assert page.locator("h1").count() == 1, path
        problems += [f"{path}: {p}" for p in _sideways(page, 360)]
    # the item bank is for item writers and admins: a coach lands on their own pages
    page.goto(base + "/authoring/")
    assert page.url == base + "/results/coach/?from=authoring"
    assert "for item writers and admins" in page.locator("#from-authoring").inner_text()
    assert page.locator("h1").inner_text() == "Your clients"
    problems += [f"from authoring: {p}" for p in _sideways(page, 360)]
    context.close()
    assert problems == [], "\n".join(problems)
