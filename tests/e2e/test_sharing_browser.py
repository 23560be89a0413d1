"""The job seeker's sharing pages and the employer's link in headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright) against `taitotaso serve` on the embedded default:
a short test, an account, keeping the result, a share with an employer, the employer's
page in another browser context, withdrawal, and the link refused afterwards."""
from __future__ import annotations

import re
import subprocess
import uuid

import jwt
import pytest

from .conftest import (BIN, SHORT_TEST, answer_items_until_speaking, mailed_path, served, suite_env,
                       unlabelled_controls, wait_until)

PASSWORD = "kolme sanaa riittää"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = suite_env(var, **SHORT_TEST)
    subprocess.run([str(BIN), "db", "seed"], env=env, check=True, capture_output=True)
    with served(env, var) as base:
        yield base, var


def press_enter_on(page, selector: str) -> None:
    """Focus a control and press Enter, as a keyboard user does; waits for the next page."""
    page.focus(selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_job_seeker_keeps_shares_and_withdraws_a_result(server, browser):
    base, var = server
    seeker = browser.new_context(locale="en-US")
    page = seeker.new_page()
    page.goto(base + "/en/")
    with page.expect_navigation():
        page.click("button[type=submit]")
    answer_items_until_speaking(page, base, "en")
    with page.expect_navigation():
        page.click("#skip-all")
    assert page.url == base + "/en/result"
    level = page.locator(".overall .level").inner_text()

    # the result page leads to an account; the new account keeps the result
    press_enter_on(page, "#keep-link")
    assert page.url.startswith(base + "/results/en/sign-up")
    assert "will be kept in your account" in page.locator("#test-waiting").inner_text()
    assert not unlabelled_controls(page)
    email = f"anna-{uuid.uuid4().hex[:8]}@example.fi"
    page.focus("#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type("Anna Virtanen")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # the address is confirmed by mail: the embedded suite writes the message to var/outbox
    # and the page says so
    assert "Check your email" in page.content() and "has no mail server" in page.content()
    page.goto(base + mailed_path(var, email, "/results/en/sign-up/confirm/"))
    press_enter_on(page, "form button[type=submit]")
    assert page.url == base + "/results/en/results"
    statuses = " ".join(page.locator("[role=status]").all_inner_texts())
    # kept at once: coming from the result page, signing up keeps the result (issue 17)
    assert "Your account has been created" in statuses and "now kept in your account" in statuses
    assert page.locator("#keep-result").count() == 0
    rows = page.locator("#results-table tbody tr")
    assert rows.count() == 1
    assert rows.first.locator(".overall-cell").inner_text() == level
    assert page.locator(".progress-chart svg[role=img]").count() == 1
    page.screenshot(path=str(var / "results-history-en.png"), full_page=True)

    # share with an employer, with the keyboard
    page.get_by_role("link", name="Share a result").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + "/results/en/share"
    assert not unlabelled_controls(page)
    page.focus("#recipient-employer")
    page.keyboard.press("Space")
    assert page.is_checked("#recipient-employer")
    page.focus("#employer_name")
    page.keyboard.type("Siivous Oy")
    page.focus("#purpose")
    page.keyboard.type("Job application: cleaner")
    assert page.input_value("#days") == "30"
    assert not page.is_checked("#show_name")
    press_enter_on(page, "#share-submit")
    assert page.locator("h1").inner_text() == "The result is shared"
    assert not unlabelled_controls(page)
    link = page.input_value("#share-link")
    assert re.fullmatch(re.escape(base) + r"/results/v/[A-Za-z0-9_-]{43}", link), link
    page.click("#copy-link")
    wait_until(page, "document.getElementById('copy-status').textContent.length > 0")
    assert page.locator("#copy-status").inner_text() == "Copied"
    page.screenshot(path=str(var / "share-created-en.png"), full_page=True)

    # the employer opens the link in a browser of their own
    employer = browser.new_context(locale="fi-FI")
    emp = employer.new_page()
    response = emp.goto(link + "?lang=en")
    assert response.status == 200
    assert emp.locator("h1").inner_text() == "Finnish level: self-assessment, unsupervised"
    assert level in emp.locator("#overall-level").inner_text()
    assert emp.locator("#skill-levels tbody tr").count() >= 1
    assert "Unsupervised" in emp.locator("#assurance").inner_text()
    text = emp.locator("main").inner_text()
    for private in (email, "Anna Virtanen", "Job application", "Siivous Oy"):
        assert private not in text, private
    assert emp.locator("form").count() == 0 and emp.locator("nav").count() == 0
    emp.screenshot(path=str(var / "employer-view-en.png"), full_page=True)
    # the signed credential verifies against the published keys
    cred = employer.request.get(base + emp.locator("#credential-link").get_attribute("href"))
    keys = jwt.PyJWKSet.from_dict(employer.request.get(base + "/.well-known/jwks.json").json())
    kid = jwt.get_unverified_header(cred.text())["kid"]
    claims = jwt.decode(cred.text(), key=next(k for k in keys.keys if k.key_id == kid),
                        algorithms=["EdDSA"])
    assert claims["vc"]["credentialSubject"]["result"][0]["value"] == level.rstrip("+")
    # in Finnish without ?lang: the browser's language
    emp.goto(link)
    assert emp.locator("html").get_attribute("lang") == "fi"

    # the job seeker sees the views and withdraws the share with the keyboard
    page.goto(base + "/results/en/shares")
    assert not unlabelled_controls(page)
    card = page.locator("#active-shares article.share")
    assert card.count() == 1
    assert card.locator(".view-count").inner_text() == "3"  # the page, the credential, the page
    # the employer's page on a phone (360 × 740): nothing scrolls sideways
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    small = phone.new_page()
    assert small.goto(link + "?lang=fi").status == 200
    small.screenshot(path=str(var / "employer-view-360.png"), full_page=True)
    wide = small.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 361)
        .map(e => e.tagName + '.' + e.getAttribute('class') + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert small.evaluate("document.documentElement.scrollWidth") <= 360, wide
    phone.close()
    withdraw = page.get_by_role("button", name=re.compile(r"^Withdraw"))
    assert withdraw.count() == 1
    withdraw.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "withdrawn" in page.locator("[role=status]").inner_text()
    assert page.locator("#active-shares article.share").count() == 0
    ended = page.locator("#ended-shares article.share")
    assert ended.count() == 1 and "Withdrawn" in ended.locator(".state").inner_text()
    page.screenshot(path=str(var / "shares-en.png"), full_page=True)

    # the link no longer works: the same page as an unknown link
    gone = emp.goto(link + "?lang=en")
    assert gone.status == 404
    gone_body = gone.body()
    assert emp.locator("h1").inner_text() == "Link not found"
    assert not unlabelled_controls(emp)
    unknown = emp.goto(base + "/results/v/" + "x" * 43 + "?lang=en")
    assert unknown.status == 404 and unknown.body() == gone_body
    employer.close()
    seeker.close()
