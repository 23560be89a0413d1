"""The validity page in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): 30 simulated job seekers take tests through the testing service, coaches'
reviews and a calibration run are stored, and an admin opens the page from the item
bank's navigation; an author is refused with a message. The authoring app is served by
werkzeug under /authoring, as the gateway mounts it. A full-page screenshot goes to
``$TAITOTASO_SHOTS`` or /tmp/taitotaso-validity-shots."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from item_bank.content import load_content
from services import calibration
from services.authoring.app import create_app
from services.calibration_loop import (AnswerBook, Simulee, make_world, open_database,
                                       seed_database, take_test, service_for_simulees)
from services.common.accounts import create_staff
from services.common.config import Config
from services.scoring.orm import ScoreReview

from .conftest import unlabelled_controls

PASSWORD = "hyvä-salasana-42"
SHOTS = Path(os.environ.get("TAITOTASO_SHOTS", "/tmp/taitotaso-validity-shots"))

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from scoring.adapters.voikko import VoikkoAnalyzer

    var = tmp_path_factory.mktemp("validity")
    world = make_world(load_content(), seed=4, truth={"b_sd": 0.4, "a_logsd": 0.2, "shift": 0.2},
                       anchors=0.2, pretest=0.05, block_sd=0.3)
    seed_database(var / "tt.db", world)
    analyzer = VoikkoAnalyzer()
    book = AnswerBook(world.items, analyzer)
    db = open_database(var / "tt.db")
    svc = service_for_simulees(db, var, analyzer)
    rng = np.random.default_rng(4)
    for n, theta in enumerate(rng.normal(0, 1, 30)):
        take_test(svc, Simulee(float(theta), world, book, np.random.default_rng([4, n])))
    with db.session() as s:
        for kind, machine, coach in [("writing", "B1", "B1"), ("writing", "A2", "B1"),
                                     ("writing", "B2", "B2"), ("speech", "A2", "A2"),
                                     ("speech", "B1", "A2")]:
            s.add(ScoreReview(kind=kind, answer="…", machine={"cefr": machine}, confidence=0.4,
                              status="reviewed", reviewed_cefr=coach, reviewer="coach@example.fi"))
    calibration.run(db, min_n=5, apply=True)
    create_staff(db, "anna.admin@example.fi", "Anna Admin", ["admin"], PASSWORD)
    create_staff(db, "aino.author@example.fi", "Aino Author", ["author"], PASSWORD)
    cfg = Config.from_env(database_url=db.url, redis_url=None, var_dir=var,
                          secret_key="e2e-secret", testing=True)
    app = create_app(cfg)
    wsgi = DispatcherMiddleware(NotFound(), {"/authoring": app})
    httpd = make_server("127.0.0.1", 0, wsgi, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/authoring"
    httpd.shutdown()
    app.extensions["taitotaso.resources"].db.dispose()
    db.dispose()


def sign_in(browser, base, email):
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(base + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    return context, page


def test_an_admin_reads_the_validity_page(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = sign_in(browser, server, "anna.admin@example.fi")
    with page.expect_navigation():
        page.get_by_role("link", name="Validity").click()
    assert page.url == server + "/validity"
    assert page.locator("h1").inner_text() == "Validity report"
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["Machine and coach agreement", "Latest calibration", "Exposure",
                        "Test length", "What the tests are made of", "Precision", "Provisional items"]
    rows = page.locator("#agreement tbody tr").all_inner_texts()
    assert rows[0].split("\t")[:4] == ["Writing", "3", "66.7 %", "100.0 %"]
    assert rows[1].split("\t")[:4] == ["Speaking", "2", "50.0 %", "100.0 %"]
    facts = page.locator("#calibration").inner_text()
    assert "anchored" in facts and re.search(r"30 tests, \d+ item versions", facts), facts
    assert page.locator("#sem tbody tr").count() == 5
    kinds = dict(r.split("\t")[:2] for r in page.locator("#kind-share tbody tr").all_inner_texts())
    assert {"Real word or not", "C-test", "Dictation", "Writing task", "Text with its questions"} <= set(kinds)
    assert all(share != "0.0 %" for share in kinds.values()), kinds   # every kind was served
    assert page.locator("#never-served").count() == 0
    assert page.locator("#exposure tbody tr").count() == 10
    assert "Over 30 finished tests" in page.locator("#exposure-h + p").inner_text()
    assert not unlabelled_controls(page)
    serious = [v for v in Axe().run(page).response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["nodes"][0]["target"]) for v in serious]
    page.screenshot(path=str(SHOTS / "validity.png"), full_page=True)
    context.close()


def test_an_author_is_told_who_may_see_it(server, browser):
    context, page = sign_in(browser, server, "aino.author@example.fi")
    assert page.get_by_role("link", name="Validity").count() == 0
    response = page.goto(server + "/validity")
    assert response.status == 403
    assert "Only an admin can see the validity report" in page.locator("[role=alert]").inner_text()
    context.close()
