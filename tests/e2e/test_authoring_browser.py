"""A reviewer's day in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
the authoring app served by werkzeug under /authoring, as the gateway mounts it."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from item_bank.content import load_content
from item_bank.repository import ItemRepository
from services.authoring.app import create_app
from services.common.accounts import create_staff
from services.common.config import Config
from services.common.db import Database

from .conftest import unlabelled_controls

EMAIL, PASSWORD = "riikka.reviewer@example.fi", "hyvä-salasana-42"


pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("authoring")
    cfg = Config.from_env(database_url=f"sqlite:///{var / 'tt.db'}", redis_url=None, var_dir=var,
                          secret_key="e2e-secret", testing=True)
    db = Database(cfg.database_url)
    db.upgrade()
    with db.session() as s:
        ItemRepository(s).seed(load_content())  # without audio: listening items stay unserved
    create_staff(db, EMAIL, "Riikka Reviewer", ["reviewer"], PASSWORD)
    db.dispose()
    app = create_app(cfg)
    wsgi = DispatcherMiddleware(NotFound(), {"/authoring": app})
    httpd = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/authoring", var
    httpd.shutdown()
    app.extensions["taitotaso.resources"].db.dispose()


def test_a_reviewer_signs_in_reviews_writes_an_item_and_makes_it_live(server, browser, tmp_path):
    base, _var = server
    shots = tmp_path
    context = browser.new_context(locale="en-US")
    page = context.new_page()

    # every page needs a staff member: the list sends us to the sign-in page
    page.goto(base + "/items")
    assert page.url.startswith(base + "/sign-in?next=")
    assert page.locator("h1").inner_text() == "Sign in to the item bank"
    assert not unlabelled_controls(page)
    # keyboard only: the email field has the focus, Tab to the password, Enter signs in
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + "/items"
    assert page.locator("h1").inner_text() == "Items"
    assert "Riikka Reviewer (reviewer)" in page.locator(".signed-in").inner_text()
    assert not unlabelled_controls(page)
    page.screenshot(path=str(shots / "01-items.png"), full_page=True)

    # filter the list: vocabulary, A1, real-word-or-not items
    page.select_option("#f-skill", "vocabulary")
    page.select_option("#f-cefr", "A1")
    page.select_option("#f-kind", "yes_no")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    count = page.locator("#count").inner_text()
    n = int(re.match(r"Items found: (\d+)\.", count).group(1))
    rows = page.locator("table.list tbody tr")
    assert n > 0 and rows.count() == n
    assert set(page.locator("table.list tbody td:nth-child(4)").all_inner_texts()) == {"Vocabulary"}
    assert set(page.locator("table.list tbody td:nth-child(5)").all_inner_texts()) == {"A1"}
    page.screenshot(path=str(shots / "02-filtered.png"), full_page=True)

    # open an item: metadata, versions, the information curve
    first = rows.first.locator("th a")
    item_id = first.inner_text()
    with page.expect_navigation():
        first.click()
    assert page.url == f"{base}/items/{item_id}"
    assert item_id in page.locator("h1").inner_text() and "Live" in page.locator("h1").inner_text()
    curve = page.locator("figure.curve svg[role=img]")
    assert curve.is_visible()
    assert "Item information curve of " + item_id in curve.locator("title").first.text_content()
    assert "measures best at ability" in curve.locator("desc").text_content()
    assert curve.locator("polyline.info").count() == 1 and curve.locator("line.cut").count() >= 4
    assert page.get_by_role("button", name="Retire").is_visible()
    page.screenshot(path=str(shots / "03-item.png"), full_page=True)

    # the job seeker's view of it, without its key
    with page.expect_navigation():
        page.get_by_role("link", name="Preview", exact=True).click()
    assert "/preview" in page.url
    banner = page.locator(".preview-banner")
    assert "PREVIEW" in banner.inner_text().upper() and item_id in banner.inner_text()
    assert page.get_by_text("Is this a Finnish word?").is_visible()
    assert page.locator("#c_yes").is_visible() and page.locator("#c_no").is_visible()
    assert not unlabelled_controls(page)
    page.screenshot(path=str(shots / "04-preview.png"), full_page=True)
    page.focus("#c_yes")
    page.keyboard.press("Space")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"This answer scores [01] of 1\.", page.locator("main").inner_text())

    # a new draft through the YAML form
    with page.expect_navigation():
        page.get_by_role("link", name="New item").first.click()
    page.select_option("#choose-kind", "cloze")
    with page.expect_navigation():
        page.get_by_role("button", name="Use this kind").click()
    assert "accept:" in page.input_value("#fields")
    assert not unlabelled_controls(page)
    page.fill("#id", "st-a2-selain-kirjasto")
    page.select_option("#skill", "structure")
    page.select_option("#cefr", "A2")
    page.select_option("#topic", "city_services")
    page.fill("#fields", "text: Lainaan kirjoja ___.\nhint: kirjasto\naccept: []\n")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as a draft").click()
    errors = page.locator("#fields-errors")
    assert errors.is_visible() and "accept" in errors.inner_text()
    page.screenshot(path=str(shots / "05-form-error.png"), full_page=True)
    page.fill("#fields", "text: Lainaan kirjoja ___.\nhint: kirjasto\naccept: [kirjastosta]\n")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as a draft").click()
    assert page.url == f"{base}/items/st-a2-selain-kirjasto"
    assert "Draft st-a2-selain-kirjasto saved." in page.locator("[role=status]").first.inner_text()
    assert "Draft" in page.locator("h1").inner_text()

    # review it and make it live
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as reviewed").click()
    assert "Reviewed" in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Make live").click()
    assert "Live" in page.locator("h1").inner_text()
    assert "Version 1 is now: Live." in page.locator("[role=status]").first.inner_text()
    history = page.locator("section[aria-labelledby=history-h]").inner_text()
    assert "Riikka Reviewer" in history and "created" in history
    page.screenshot(path=str(shots / "06-live.png"), full_page=True)

    # the new item is found in the list of live structure items
    page.goto(base + "/items?status=live&q=selain")
    assert page.locator("#count").inner_text().startswith("Items found: 1.")

    # sign out: the list needs signing in again
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.url.startswith(base + "/sign-in")
    assert "You have signed out." in page.locator("[role=status]").inner_text()
    page.goto(base + "/items")
    assert page.url.startswith(base + "/sign-in")
    page.screenshot(path=str(shots / "07-signed-out.png"), full_page=True)
    context.close()
    for name in ("01-items", "03-item", "04-preview", "06-live"):
        assert (shots / f"{name}.png").stat().st_size > 5000
    print("screenshots:", shots)


def test_the_item_bank_pages_fit_a_360_px_phone(server, browser):
    """Sign-in, the item list, an item (with its preview) and the new-item form at 360 px:
    nothing makes the page scroll sideways (a wide table scrolls inside its own box)."""
    base, _var = server
    context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 740},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()

    def sideways() -> list[str]:
        if page.evaluate("document.documentElement.scrollWidth") <= 360:
            return []
        return [page.url + ": " + str(page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => { const r = e.getBoundingClientRect(); return r.right > 361 || r.left < -1; })
            .filter(e => !e.closest('.skip, .visually-hidden'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""))]

    problems = []
    page.goto(base + "/sign-in")
    problems += sideways()
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.tap()
    item = load_content()[0].id
    for path in ("/items", "/items?skill=reading", f"/items/{item}", f"/items/{item}/preview",
                 "/items/new", "/packages"):
        response = page.goto(base + path)
        assert response.status == 200, path
        problems += sideways()
    context.close()
    assert problems == [], "\n".join(problems)
