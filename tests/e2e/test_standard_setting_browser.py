"""A small standard-setting panel in headless Chromium (Debian's /usr/bin/chromium, driven
by Playwright): an admin makes a study, two panelists bookmark the ordered item booklet in
two rounds and see each round's feedback with its impact data, the admin publishes the cut
scores. The authoring app is served by werkzeug under /authoring, as the gateway mounts it.
Screenshots of the bookmark panel (desktop and a 360 px phone) go to
``$TAITOTASO_SHOTS`` or /tmp/taitotaso-standard-setting-shots."""
from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from item_bank.content import load_content
from item_bank.orm import utcnow
from item_bank.repository import ItemRepository
from services.authoring.app import create_app
from services.authoring.orm import StandardSettingStudy
from services.common.accounts import create_staff
from services.common.config import Config
from services.common.db import Database
from services.testing.orm import TestSession

from .conftest import unlabelled_controls

PASSWORD = "hyvä-salasana-42"
STAFF = {"admin": ("anna.admin@example.fi", "Anna Admin", ["admin"]),
         "pia": ("pia.panelist@example.fi", "Pia Panelist", ["panelist"]),
         "riku": ("riku.reviewer@example.fi", "Riku Reviewer", ["reviewer"])}
SHOTS = Path(os.environ.get("TAITOTASO_SHOTS", "/tmp/taitotaso-standard-setting-shots"))
PHONE = {"width": 360, "height": 780}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("standard-setting")
    cfg = Config.from_env(database_url=f"sqlite:///{var / 'tt.db'}", redis_url=None, var_dir=var,
                          secret_key="e2e-secret", testing=True, bank_check_seconds=0)
    db = Database(cfg.database_url)
    db.upgrade()
    with db.session() as s:
        ItemRepository(s).seed(load_content())  # without audio: listening items stay unserved
        # 60 tests finished in the last weeks: the impact data of each round
        thetas = np.random.default_rng(14).normal(0.1, 1.1, 60)
        for n, theta in enumerate(thetas):
            s.add(TestSession(id=str(uuid.UUID(int=n + 1)), token_hash="x" * 64, ui_language="fi",
                              self_assessment={}, bank_version="seed", status="finished",
                              finished_at=utcnow() - timedelta(days=n % 30),
                              result={"overall": {"theta": round(float(theta), 3)}}))
    for email, name, roles in STAFF.values():
        create_staff(db, email, name, roles, PASSWORD)
    app = create_app(cfg)
    wsgi = DispatcherMiddleware(NotFound(), {"/authoring": app})
    httpd = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/authoring", db
    httpd.shutdown()
    app.extensions["taitotaso.resources"].db.dispose()
    db.dispose()


def sign_in(browser, base, who, **context_args):
    context = browser.new_context(locale="en-US", **context_args)
    page = context.new_page()
    page.goto(base + "/sign-in")
    page.fill("#email", STAFF[who][0])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    return context, page


def no_sideways_scroll(page) -> bool:
    """Nothing on the page is wider than the phone's screen (a mobile browser would zoom
    out to fit wider content, so compare with the screen's width, not the window's)."""
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > screen.width + 1)
        .map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 12)""")
    assert not wide, wide
    return page.evaluate("() => document.documentElement.scrollWidth <= screen.width")


def page_for(locations, theta):
    """The bookmark page whose cut (the page before it) is nearest ``theta``."""
    return min(range(2, len(locations) + 1), key=lambda k: abs(locations[k - 2] - theta))


def place(page, marks: dict[str, int], submit: bool = True):
    for level, n in marks.items():
        page.fill(f"#bm-{level}", str(n))
    with page.expect_navigation():
        page.get_by_role("button", name="Submit my bookmarks" if submit else "Save").click()


def test_a_panel_of_two_sets_the_cut_scores_in_two_rounds(server, browser):
    base, db = server
    SHOTS.mkdir(parents=True, exist_ok=True)

    # the admin makes the study
    admin_ctx, admin = sign_in(browser, base, "admin")
    with admin.expect_navigation():
        admin.get_by_role("link", name="Standard setting").first.click()
    assert admin.locator("h1").inner_text() == "Standard setting"
    assert not unlabelled_controls(admin)
    admin.fill("#st-name", "Autumn panel 2026")
    admin.uncheck("#st-b-C1")
    admin.get_by_label("Pia Panelist").check()
    admin.get_by_label("Riku Reviewer").check()
    admin.fill("#st-pages", "30")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Make the study").click()
    assert "Round 1 is open" in admin.locator("[role=status]").first.inner_text()
    study_url = admin.url
    with db.session() as s:
        study = s.get(StandardSettingStudy, int(study_url.rsplit("/", 1)[-1]))
        locations = [p["location"] for p in study.booklet]
    # each panelist near the shipped cuts, Pia lower and Riku higher
    pia1 = {lvl: page_for(locations, t - 0.25) for lvl, t in (("A2", -1.5), ("B1", -0.5), ("B2", 0.5))}
    riku1 = {lvl: page_for(locations, t + 0.25) for lvl, t in (("A2", -1.5), ("B1", -0.5), ("B2", 0.5))}

    # Pia signs in and lands on her studies; she reads a page of the booklet and bookmarks it
    pia_ctx, pia = sign_in(browser, base, "pia")
    assert pia.url == base + "/standard-setting/"
    assert pia.get_by_role("link", name="Items").count() == 0  # no item bank for a panelist
    with pia.expect_navigation():
        pia.get_by_role("link", name="Autumn panel 2026").click()
    assert pia.url == study_url
    with pia.expect_navigation():
        pia.get_by_role("link", name=f"Page {pia1['A2']}", exact=True).click()
    assert pia.locator("h1").inner_text() == f"Booklet page {pia1['A2']} of 30"
    assert pia.locator("dd.key").inner_text().strip()
    assert pia.locator(".seen-frame form").count() == 1  # the job seeker's own item page
    assert not unlabelled_controls(pia)
    pia.screenshot(path=str(SHOTS / "01-booklet-page.png"), full_page=True)
    with pia.expect_navigation():
        pia.get_by_role("button", name="A1/A2 bookmark here").click()
    assert f"Your A1/A2 bookmark is on page {pia1['A2']}" in pia.locator("[role=status]").first.inner_text()
    with pia.expect_navigation():
        pia.get_by_role("link", name="Back to the study").click()
    assert pia.input_value("#bm-A2") == str(pia1["A2"])
    # out of order: the panel says what to fix
    place(pia, {"B1": pia1["A2"], "B2": pia1["B2"]})
    assert "must come after the A1/A2 bookmark" in pia.locator("#bm-B1-error").inner_text()
    place(pia, {"B1": pia1["B1"], "B2": pia1["B2"]})
    assert "submitted for round 1" in pia.locator("[role=status]").first.inner_text()
    assert not unlabelled_controls(pia)
    pia.locator("#bookmarks").screenshot(path=str(SHOTS / "02-round-1-bookmark-panel.png"))
    pia.screenshot(path=str(SHOTS / "03-round-1-view.png"), full_page=True)

    riku_ctx, riku = sign_in(browser, base, "riku")
    riku.goto(study_url)
    place(riku, riku1)

    # the admin sees both submitted and closes the round
    admin.reload()
    assert "2 of 2 panelists have submitted in round 1." in admin.locator("main").inner_text()
    with admin.expect_navigation():
        admin.get_by_role("button", name="Close round 1").click()

    # the feedback: anonymised bookmarks, the median and spread, the impact on 60 tests
    pia.reload()
    feedback = pia.locator("#round-1")
    text = feedback.inner_text()
    assert "Round 1: where the panel placed its bookmarks" in text
    assert f"Panelist 1 (you): page {pia1['B1']}" in text and f"Panelist 2: page {riku1['B1']}" in text
    assert "Riku" not in text and "SD " in text and "IQR " in text
    assert "Share of the 60 tests finished in the last 365 days" in text
    assert feedback.locator("figure.impact svg rect.bar-new:not(.legend)").count() == 6
    assert feedback.locator("figure.strip svg circle.dot.mine").count() == 3
    assert feedback.locator("table.impact-table tbody tr").count() == 6
    pia.locator("#bookmarks").scroll_into_view_if_needed()
    feedback.screenshot(path=str(SHOTS / "04-round-1-feedback.png"))
    pia.screenshot(path=str(SHOTS / "05-round-1-closed-view.png"), full_page=True)

    # the same on a phone: nothing wider than the screen
    phone_ctx, phone = sign_in(browser, base, "pia", viewport=PHONE, is_mobile=True)
    phone.goto(study_url)
    assert phone.evaluate("() => screen.width") == PHONE["width"]
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(SHOTS / "06-phone-round-1-feedback.png"), full_page=True)
    phone.locator("#round-1").screenshot(path=str(SHOTS / "06b-phone-round-1-feedback-only.png"))
    phone.goto(f"{study_url}/booklet/{pia1['B1']}")
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(SHOTS / "07-phone-booklet-page.png"), full_page=True)

    # round 2 starts from the round-1 bookmarks; Pia moves her B1 bookmark up to Riku's
    with admin.expect_navigation():
        admin.get_by_role("button", name="Open round 2").click()
    pia.reload()
    assert pia.locator("#bookmarks-h").inner_text() == "Your bookmarks, round 2"
    assert [pia.input_value(f"#bm-{lvl}") for lvl in ("A2", "B1", "B2")] == \
        [str(pia1[lvl]) for lvl in ("A2", "B1", "B2")]
    assert "Not submitted yet." in pia.locator("#bookmarks").inner_text()
    place(pia, {"B1": riku1["B1"]})
    phone.goto(study_url)
    assert no_sideways_scroll(phone)
    phone.locator("#bookmarks").screenshot(path=str(SHOTS / "08-phone-round-2-bookmark-panel.png"))
    riku.reload()
    place(riku, {})
    admin.reload()
    with admin.expect_navigation():
        admin.get_by_role("button", name="Close round 2").click()
    round2 = admin.locator("#round-2").inner_text()
    assert "SD 0.00, IQR 0.00" in round2  # both B1 bookmarks on one page now
    admin.screenshot(path=str(SHOTS / "09-admin-round-2-closed.png"), full_page=True)

    # publish: a new cut-score version that tests started from now on use
    admin.fill("#pub-version", "2026-12-autumn-panel")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Publish the cut scores of round 2").click()
    assert "Published" in admin.locator("h1").inner_text()
    assert "published as 2026-12-autumn-panel" in admin.locator(".study-facts").inner_text()
    with admin.expect_navigation():
        admin.get_by_role("link", name="Standard setting").first.click()
    assert "Tests started now use: 2026-12-autumn-panel" in admin.locator("main").inner_text()
    admin.screenshot(path=str(SHOTS / "10-cut-score-versions.png"), full_page=True)
    phone.goto(base + "/standard-setting/")
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(SHOTS / "11-phone-studies.png"), full_page=True)

    for ctx in (admin_ctx, pia_ctx, riku_ctx, phone_ctx):
        ctx.close()
    for name in ("02-round-1-bookmark-panel", "04-round-1-feedback", "06-phone-round-1-feedback"):
        assert (SHOTS / f"{name}.png").stat().st_size > 5000
    print("screenshots:", SHOTS)
