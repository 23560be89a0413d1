"""The employers' verification page (/verify) in headless Chromium against `taitotaso serve`:
a job seeker shares a result with an employer; the employer checks the downloaded credential
file (chosen with the file field), a tampered copy (pasted), and, after the job seeker
withdraws the share, the same file again (dropped on the box). Screenshots of each verdict
are left in the server's var directory (printed at the end)."""
from __future__ import annotations

import base64
import json
import subprocess
import uuid

import pytest
import requests

from .conftest import (BIN, SHORT_TEST, SHORT_WRITTEN, mailed_path, served, suite_env,
                       unlabelled_controls)

PASSWORD = "kolme sanaa riittää"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = suite_env(var, **SHORT_TEST)
    subprocess.run([str(BIN), "db", "seed"], env=env, check=True, capture_output=True)
    with served(env, var) as base:
        yield base, var


def answer_until_speaking(page, base) -> None:
    """Any answer to each item (a yes/no block of words: the first choice of each word)."""
    for _ in range(12):
        if "/test" not in page.url:
            break
        if page.locator("input[type=radio][name^=w_]").count():
            names = {r.get_attribute("name") for r in page.locator("input[type=radio][name^=w_]").all()}
            for name in names:
                page.locator(f"input[type=radio][name='{name}']").first.check()
        elif page.locator("input[type=radio][name=answer]").count():
            page.locator("input[type=radio][name=answer]").first.check()
        elif page.locator("input.gap").count():
            for gap in page.locator("input.gap").all():
                gap.fill("x")
        elif page.locator("textarea#answer").count():
            page.fill("#answer", SHORT_WRITTEN)
        else:
            page.fill("#answer", "talo")
        with page.expect_navigation():
            page.click("button[type=submit]")
    assert page.url == f"{base}/en/speaking", page.url


def share_with_an_employer(page, base, var) -> str:
    """A short test, an account that keeps it (the address confirmed with the link mailed to
    var/outbox), a share with an employer: the link."""
    page.goto(base + "/en/")
    with page.expect_navigation():
        page.click("button[type=submit]")
    answer_until_speaking(page, base)
    with page.expect_navigation():
        page.click("#skip-all")
    with page.expect_navigation():
        page.click("#keep-link")
    email = f"olga-{uuid.uuid4().hex[:8]}@example.fi"
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.fill("#display_name", "Olga Petrova")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "Check your email" in page.content()   # every address is confirmed by mail
    page.goto(base + mailed_path(var, email, "/results/en/sign-up/confirm/"))
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert page.url == base + "/results/en/results"
    assert page.locator("#results-table tbody tr").count() == 1  # kept on signing up
    page.goto(base + "/results/en/share")
    page.check("#recipient-employer")
    page.fill("#employer_name", "Siivous Oy")
    page.fill("#purpose", "Job application")
    page.check("#show_name")
    with page.expect_navigation():
        page.click("#share-submit")
    return page.input_value("#share-link")


def tampered(token: str) -> str:
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for r in claims["vc"]["credentialSubject"]["result"]:
        r["value"] = "C2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


def test_an_employer_checks_a_valid_a_tampered_and_a_withdrawn_credential(server, browser, tmp_path):
    base, var = server
    seeker = browser.new_context(locale="en-US")
    page = seeker.new_page()
    link = share_with_an_employer(page, base, var)
    assert link.startswith(base + "/results/v/")
    token = requests.get(link + "/credential.jwt", timeout=10).text
    file = tmp_path / "taitotaso-credential.jwt"
    file.write_text(token)

    employer = browser.new_context(locale="fi-FI")
    emp = employer.new_page()
    # the short address, in the employer's language; the page in three languages
    emp.goto(base + "/verify")
    assert emp.url == base + "/results/verify" and emp.locator("html").get_attribute("lang") == "fi"
    for lang in ("sv", "en"):
        emp.goto(f"{base}/verify?lang={lang}")
        assert emp.locator("html").get_attribute("lang") == lang
    assert not unlabelled_controls(emp)

    # 1. the file as downloaded: chosen with the file field (the page sends it at once)
    with emp.expect_navigation():
        emp.set_input_files("#file", str(file))
    assert emp.locator("#verdict-h").get_attribute("data-state") == "valid"
    assert emp.locator("#assurance-title").inner_text() == "Finnish level: self-assessment, unsupervised"
    assert emp.locator("#subject-name").inner_text() == "Olga Petrova"
    assert emp.locator("#verified-levels tbody tr").count() >= 2
    assert "%" in emp.locator("#verified-levels tbody tr").first.inner_text()
    emp.screenshot(path=str(var / "verify-valid-en.png"), full_page=True)

    # 2. a copy with every level changed to C2, pasted as text
    emp.goto(f"{base}/verify?lang=en")
    emp.fill("#credential", tampered(token))
    with emp.expect_navigation():
        emp.click("#check")
    assert emp.locator("#verdict-h").get_attribute("data-state") == "invalid"
    assert "changed after it was issued" in emp.locator("#verdict-reason").inner_text()
    assert emp.locator("#credential-says").count() == 0
    emp.screenshot(path=str(var / "verify-tampered-en.png"), full_page=True)

    # 3. the job seeker withdraws the share; the same file, dropped on the box, in Finnish
    page.goto(base + "/results/en/shares")
    with page.expect_navigation():
        page.click("button.withdraw")
    emp.goto(f"{base}/verify?lang=fi")
    dropped = emp.evaluate_handle(
        """(text) => { const dt = new DataTransfer();
                       dt.items.add(new File([text], "taitotaso-credential.jwt"));
                       return dt; }""", token)
    with emp.expect_navigation():
        emp.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})
    assert emp.locator("#verdict-h").get_attribute("data-state") == "withdrawn"
    assert emp.locator("html").get_attribute("lang") == "fi"
    assert emp.locator("#credential-says").count() == 1
    emp.screenshot(path=str(var / "verify-withdrawn-fi.png"), full_page=True)
    print("screenshots:", var)
