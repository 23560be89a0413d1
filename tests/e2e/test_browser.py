"""A whole test in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against `taitotaso serve` on the embedded default."""
from __future__ import annotations

import json
import subprocess

import pytest

from assessment.stopping import StoppingRule

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
    # keyboard only: tab to "suomi" (the language named in itself) and press Enter
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "suomi":
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

    pages = answered = heard_audio = blocks = 0
    while "/result" not in page.url and "/speaking" not in page.url and pages < 80:
        assert page.locator("progress").count() == 1
        assert not unlabelled_controls(page)
        answered = int(page.locator("progress").get_attribute("value")) + 1
        if page.locator("input[name=block_id]").count():  # a block of words: one page
            answer_block_with_the_keyboard(page, keys)
            blocks += 1
            pages += 1
            continue
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
        pages += 1
    assert page.url == base + "/fi/speaking"   # the optional speaking part comes next
    with page.expect_navigation():
        page.click("#skip-all")
    assert page.url == base + "/fi/result"
    # scored items (a text or a block of words is one) from the production rule's minimum
    # to its maximum, and up to 2 pretest items
    rule = StoppingRule.load()
    assert rule.min_items <= answered <= rule.max_items + 2 and answered < pages
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


def answer_block_with_the_keyboard(page, keys) -> None:
    """A block page with the keyboard only: Space says "yes" on a word's first choice,
    the right arrow moves to "no" and chooses it, Tab goes on to the next word; Enter on
    the button sends them all."""
    words = page.locator("fieldset.yn")
    n = words.count()
    page.focus("fieldset.yn input[type=radio]")
    for k in range(n):
        name = words.nth(k).locator("input[type=radio]").first.get_attribute("name")
        if keys[name[2:]] == "yes":
            page.keyboard.press("Space")
        else:
            page.keyboard.press("ArrowRight")
        assert page.locator(f"input[name='{name}']:checked").get_attribute("value") == keys[name[2:]]
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_block_of_words_is_one_page_that_works_on_a_phone(server, browser):
    """360 px wide: every word and its Yes/No fit without sideways scrolling, each choice is
    a touch target of at least 44 px, every control is labelled; words left out are named."""
    base, keys, var = server
    page = browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(base + "/en/")
    with page.expect_navigation():
        page.click("button[type=submit]")
    answer_until(page, keys, "input[name=block_id]")
    words = page.locator("fieldset.yn")
    n = words.count()
    assert 10 <= n <= 14 and page.locator("input[type=radio]").count() == 2 * n
    assert not unlabelled_controls(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for box in page.evaluate("""() => [...document.querySelectorAll('.yn-choice')]
            .map(l => l.getBoundingClientRect()).map(r => [r.width, r.height, r.right])"""):
        assert box[0] >= 44 and box[1] >= 44 and box[2] <= 360, box
    page.screenshot(path=str(var / "block-360.png"), full_page=True)
    # all but the third word, by touch; sent without the browser's own check
    names = [words.nth(k).locator("input[type=radio]").first.get_attribute("name") for k in range(n)]
    for name in names[:2] + names[3:]:
        page.tap(f"input[name='{name}'][value='{keys[name[2:]]}']")
    page.evaluate("document.querySelector('form.yn-block').noValidate = true")
    with page.expect_navigation():
        page.click("button[type=submit]")
    alert = page.locator("[role=alert]").inner_text()
    missing_word = words.nth(2).locator(".yn-word").inner_text()
    assert missing_word in alert
    assert page.locator("input[type=radio]:checked").count() == n - 1  # the choices are kept
    block_id = page.locator("input[name=block_id]").input_value()
    page.tap(f"input[name='{names[2]}'][value='{keys[names[2][2:]]}']")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("[role=alert]").count() == 0  # accepted: the test goes on
    later = page.locator("input[name=block_id]")
    assert later.count() == 0 or later.input_value() != block_id
    page.close()


def answer_until(page, keys, selector: str, limit: int = 40) -> None:
    """Answer pages rightly (a block of words included) until one has ``selector``."""
    for _ in range(limit):
        if page.locator(selector).count():
            return
        if page.locator("input[name=block_id]").count():
            for yn in page.locator("fieldset.yn input[value=yes]").all():
                name = yn.get_attribute("name")
                page.check(f"input[name='{name}'][value='{keys[name[2:]]}']")
        else:
            key = keys[page.locator("input[name=item_id]").input_value()]
            if isinstance(key, list):
                for i, part in enumerate(key):
                    page.fill(f"#answer_{i}", part)
            elif page.locator("#answer").count():
                page.fill("#answer", key)
            else:
                page.check(f"#c_{key}")
        with page.expect_navigation():
            page.click("button[type=submit]")
    raise AssertionError(f"no page with {selector} in {limit} pages")


def test_a_missing_answer_is_announced_to_screen_readers(server, browser):
    base, keys, _var = server
    page = browser.new_page()
    page.goto(base + "/en/")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/en/test")
    answer_until(page, keys, "input[type=radio][name=answer]")  # a question with choices
    # submit without choosing, bypassing the browser's own required check
    page.evaluate("document.querySelector('form').noValidate = true")
    page.click("button[type=submit]")
    alert = page.locator("[role=alert]")
    assert "Choose an answer" in alert.inner_text()
    page.close()
