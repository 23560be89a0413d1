"""A whole test in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against `taitotaso serve` on the embedded default."""
from __future__ import annotations

import json
import subprocess

import pytest

from .conftest import BIN, served, suite_env, unlabelled_controls, wait_until

WRITTEN = ("Hei! Olen työskennellyt Espoossa kaupassa kaksi vuotta. Pidän työstäni, koska "
           "asiakkaat ovat ystävällisiä ja työkaverit auttavat minua aina. Haluaisin oppia "
           "lisää ja saada vakituisen työpaikan. Terveisin Olga")


pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = suite_env(var)
    subprocess.run([str(BIN), "db", "seed"], env=env, check=True, capture_output=True)
    keys = {}
    out = subprocess.run([str(BIN), "items", "export", "--with-keys"], env=env, check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        row = json.loads(line)
        keys[row["id"]] = row["key"] if row["key"] is not None else WRITTEN

    with served(env, var) as base:
        yield base, keys, var


def test_a_job_seeker_takes_a_whole_test_with_the_keyboard_and_reads_the_result(server, browser):
    base, keys, var = server
    page = browser.new_page()
    page.goto(base + "/")
    # keyboard only: tab to "Suomeksi" and press Enter
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Suomeksi":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/fi/")
    assert page.locator("h1").inner_text() == "Suomen kielen taitotesti"
    assert not unlabelled_controls(page)
    # self-assessment with the keyboard: reading B1 (third statement)
    page.focus("#sa_reading_A1")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.is_checked("#sa_reading_B1")
    page.locator("button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + "/fi/test"

    answered = heard_audio = 0
    while "/result" not in page.url and "/speaking" not in page.url and answered < 40:
        assert page.locator("progress").count() == 1
        assert not unlabelled_controls(page)
        item_id = page.locator("input[name=item_id]").input_value()
        key = keys[item_id]
        if isinstance(key, list):  # a C-test: complete each damaged word
            for i, part in enumerate(key):
                page.focus(f"#answer_{i}")
                page.keyboard.type(part)
        elif page.locator("#answer").count():  # a typed word or sentence
            page.focus("#answer")
            page.keyboard.type(key)
        else:
            page.focus(f"#c_{key}")
            page.keyboard.press("Space")
        if page.locator("audio").count():  # listening: the recording loads and has sound
            wait_until(page, "document.querySelector('audio').readyState >= 1", timeout=10000)
            assert page.evaluate("document.querySelector('audio').duration") > 0.5
            heard_audio += 1
        page.focus("button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        answered += 1
    assert page.url == base + "/fi/speaking"   # the optional speaking part comes next
    with page.expect_navigation():
        page.click("#skip-all")
    assert page.url == base + "/fi/result"
    assert 15 <= answered <= 32  # up to 30 scored items and 2 pretest items
    assert heard_audio >= 1
    assert page.locator("h1").inner_text() == "Tuloksesi"
    overall = page.locator(".overall .level").inner_text()
    assert overall == "C1+"  # all right: the top of what the bank measures
    skills = page.locator(".skill-result h3").all_inner_texts()
    # reading, listening, vocabulary, structure, and writing from the one writing task
    assert page.locator("svg[role=img] rect.bar").count() == len(skills) == 5
    objective = [s for s in skills if not s.startswith("Kirjoittaminen")]
    assert all(s.split(": ")[1] in ("B2", "C1", "C1+") for s in objective)
    page.screenshot(path=str(var / "result-fi.png"), full_page=True)
    page.close()


def test_a_missing_answer_is_announced_to_screen_readers(server, browser):
    base, _keys, _var = server
    page = browser.new_page()
    page.goto(base + "/en/")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/en/test")
    # submit without choosing, bypassing the browser's own required check
    page.evaluate("document.querySelector('form').noValidate = true")
    page.click("button[type=submit]")
    alert = page.locator("[role=alert]")
    assert "Choose an answer" in alert.inner_text()
    page.close()
