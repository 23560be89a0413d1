"""The job seeker's pages on a phone in every learner language (issue 17), in Debian's
headless Chromium at 360 × 740: no sideways scrolling, touch targets of at least 44 px,
right to left for Arabic and Persian, and an axe-core scan with no serious or critical
violation on every page: the first page, the start page, the first question pages of a
test, the speaking page, the result, practice (questions and writing) and, in Arabic and
Russian, the account pages (sign-up, sign-in, password, My results, sharing, account)."""
from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import BIN, mailed_path, served, suite_env, unlabelled_controls
from .test_browser import WRITTEN, answer_until

pytestmark = pytest.mark.e2e

ROWS = json.loads((Path(__file__).resolve().parents[2] / "services" / "translations" /
                   "languages.json").read_text(encoding="utf-8"))["languages"]
LANGS = [(r["code"], r["dir"]) for r in ROWS]
WIDTH, HEIGHT = 360, 740
AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "best-practice"]}}
# what a finger presses: buttons, button links, the language menu, answer choices and fields
TARGETS = ("button, a.button, .langs a, .choose-lang a, .option label, .yn-choice, "
           "input[type=text], textarea")
# the screenshots looked at for issue 17 (start, a test item, the result and the share page
# in Arabic and Russian), full page at 360 px: ar-01-start.png … ru-05-share-link.png
SHOTS = Path(os.environ.get("TAITOTASO_SHOTS") or "/tmp/taitotaso-language-shots")
SHOT_LANGS = ("ar", "ru")
# every page checked for sideways scrolling: (language, page with the language taken out, overflowed)
CHECKED: list[tuple[str, str, bool]] = []


def shot(page, lang: str, name: str) -> None:
    if lang in SHOT_LANGS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{lang}-{name}.png"), full_page=True)


@pytest.fixture(scope="module", autouse=True)
def page_width_summary():
    """One line with the totals of the page-width check (seen with ``pytest -s``)."""
    yield
    if CHECKED:
        over = [(lang, where) for lang, where, wide in CHECKED if wide]
        langs = Counter(lang for lang, _w, _o in CHECKED)
        print(f"\npage-width check at {WIDTH} px: {len(CHECKED)} page views, "
              f"{len({w for _l, w, _o in CHECKED})} distinct pages, {len(langs)} languages "
              f"({', '.join(f'{k} {n}' for k, n in sorted(langs.items()))}), "
              f"{len(over)} overflows {over if over else ''}".rstrip())


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


def answer_one(page, keys) -> None:
    """Answer the page's question (or block of words) rightly, by touch, and send it."""
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
        page.tap("button[type=submit]")


def phone(browser):
    return browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True,
                            has_touch=True)


def phone_problems(page, lang: str, direction: str) -> list[str]:
    """What keeps this page from working on a 360 px phone in ``lang``."""
    where = page.url
    problems = []
    html = page.locator("html")
    if (html.get_attribute("lang"), html.get_attribute("dir")) != (lang, direction):
        problems.append(f"{where}: lang/dir {html.get_attribute('lang')}/{html.get_attribute('dir')}")
    width = page.evaluate("document.documentElement.scrollWidth")
    path = page.evaluate("location.pathname").replace(f"/{lang}/", "/<lang>/", 1)
    path = path.split("/confirm/")[0] + "/confirm/<token>" if "/confirm/" in path else path
    CHECKED.append((lang, path.rstrip("/") if path.endswith("/<lang>/") else path, width > WIDTH))
    if width > WIDTH:
        wide = page.evaluate(f"""() => [...document.querySelectorAll('body *')]
            .filter(e => {{ const r = e.getBoundingClientRect(); return r.right > {WIDTH} + 1 || r.left < -1; }})
            .filter(e => !e.closest('.skip, .visually-hidden'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className)""")
        problems.append(f"{where}: {width} px wide: {wide}")
    small = page.evaluate(f"""() => [...document.querySelectorAll({TARGETS!r})]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.tagName + '.' + e.className + ' ' + (e.textContent || e.name || '').trim().slice(0, 30),
                   e.getBoundingClientRect()])
        .filter(([_, r]) => r.height < 44 || r.width < 44)
        .map(([name, r]) => name + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")
    problems += [f"{where}: small target {s}" for s in small]
    if unlabelled_controls(page):
        problems.append(f"{where}: unlabelled {unlabelled_controls(page)}")
    results = Axe().run(page, options=AXE_OPTIONS)
    problems += [f"{where}: axe {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                 for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return problems


def test_the_first_page_on_a_phone_names_every_language_in_its_own_script(server, browser):
    base, _keys, var = server
    page = phone(browser)
    page.goto(base + "/")
    links = page.locator(".choose-lang a")
    assert links.count() == len(ROWS)
    for k, row in enumerate(ROWS):
        link = links.nth(k)
        assert link.inner_text().strip() == row["name"]
        assert (link.get_attribute("lang"), link.get_attribute("dir")) == (row["code"], row["dir"])
    problems = phone_problems(page, "fi", "ltr")
    assert problems == [], "\n".join(problems)
    page.screenshot(path=str(var / "landing-360.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("lang,direction", LANGS)
def test_the_start_page_and_the_first_questions_work_on_a_phone(server, browser, lang, direction):
    base, keys, var = server
    page = phone(browser)
    page.goto(f"{base}/{lang}/")
    problems = phone_problems(page, lang, direction)
    if direction == "rtl":  # the page is mirrored: the brand sits at the right
        brand = page.locator(".brand").bounding_box()
        assert brand["x"] > WIDTH / 2, brand
    page.screenshot(path=str(var / f"start-{lang}-360.png"), full_page=True)
    shot(page, lang, "01-start")
    with page.expect_navigation():
        page.tap("button[type=submit]")
    assert page.url == f"{base}/{lang}/test"
    for n in range(5):  # the first pages of the test (a block of words, texts, typed answers)
        problems += phone_problems(page, lang, direction)
        if n == 0:
            page.screenshot(path=str(var / f"item-{lang}-360.png"), full_page=True)
            shot(page, lang, "02-item")
        if direction == "rtl" and page.locator("[lang=fi]").count():
            # the Finnish material keeps its own direction inside the mirrored page
            assert page.evaluate("getComputedStyle(document.querySelector('main [lang=fi]')).direction") == "ltr"
        if "/test" not in page.url:
            break
        answer_one(page, keys)
    page.close()
    assert problems == [], "\n".join(problems)


def test_the_speaking_result_and_practice_pages_work_on_a_phone_in_every_language(server, browser):
    """One whole test (in Arabic, right to left); its speaking, result and practice pages are
    then read in every learner language (the language menu keeps the place in the test)."""
    base, keys, var = server
    page = phone(browser)
    page.goto(f"{base}/ar/")
    with page.expect_navigation():
        page.tap("button[type=submit]")
    answer_until(page, keys, "#skip-all", limit=80)
    problems = []
    for lang, direction in LANGS:
        page.goto(f"{base}/{lang}/speaking")
        problems += phone_problems(page, lang, direction)
        if lang in ("ar", "ru"):
            page.screenshot(path=str(var / f"speaking-{lang}-360.png"), full_page=True)
    with page.expect_navigation():
        page.tap("#skip-all")
    for lang, direction in LANGS:
        page.goto(f"{base}/{lang}/result")
        assert page.locator("svg[role=img]").count() >= 1
        # a level such as C1+ keeps its + after the letters inside right-to-left text
        assert page.locator(".overall bdi.level[dir=ltr]").count() == 1
        problems += phone_problems(page, lang, direction)
        # every label of the levels chart lies inside the chart (right to left too)
        outside = page.evaluate("""() => [...document.querySelectorAll('.chart svg')].flatMap(svg => {
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect())
                .filter(r => r.left < box.left - 1 || r.right > box.right + 1)
                .map(r => Math.round(r.left) + '..' + Math.round(r.right)); })""")
        assert outside == [], (lang, outside)
        if lang not in ("fi", "sv", "en"):  # courses and services exist in fi/sv/en only
            assert page.locator(".next-step p:not([lang=en])").count() == 0, lang
        if lang in ("ar", "fa", "so"):
            page.screenshot(path=str(var / f"result-{lang}-360.png"), full_page=True)
        shot(page, lang, "03-result")
        page.goto(f"{base}/{lang}/practice")
        problems += phone_problems(page, lang, direction)
        page.goto(f"{base}/{lang}/practice/writing")  # the task stays Finnish, left to right
        problems += phone_problems(page, lang, direction)
        assert page.evaluate("getComputedStyle(document.querySelector('#writing-prompt')).direction") == "ltr"
    page.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", [360, 390])
def test_my_results_on_a_phone_after_keeping_a_result_from_the_result_page(server, browser, width):
    """Result page → "Keep this result" → sign up: the result is kept at once (no second
    click), and "My results" fits the phone: its table scrolls inside its own box."""
    base, keys, var = server
    page = browser.new_page(viewport={"width": width, "height": HEIGHT}, is_mobile=True, has_touch=True)
    page.goto(f"{base}/en/")
    with page.expect_navigation():
        page.tap("button[type=submit]")
    answer_until(page, keys, "#skip-all", limit=80)
    with page.expect_navigation():
        page.tap("#skip-all")
    with page.expect_navigation():
        page.tap("#keep-link")
    assert "/results/en/sign-up" in page.url
    page.fill("#email", f"phone-{width}@example.fi")
    page.fill("#password", "pitkä-salasana-123")
    page.fill("#password_again", "pitkä-salasana-123")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.tap()
    assert "Check your email" in page.content()   # the link is in the mail (var/outbox)
    page.goto(base + mailed_path(var, f"phone-{width}@example.fi", "/results/en/sign-up/confirm/"))
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.tap()
    assert page.url.endswith("/results/en/results")
    assert page.locator("#results-table tbody tr").count() == 1  # kept without another click
    assert page.locator("#keep-result").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(var / f"my-results-{width}.png"), full_page=True)
    # and in a 1,280 px window (it was 1,329 px wide there, the share column off-screen)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.close()


def mailed_link(var: Path, address: str, path: str, base: str) -> str:
    """The newest link containing ``path`` in a message to ``address`` in the suite's outbox
    (no mail server: services/common/mail.py writes each message there)."""
    import email
    import re

    for eml in sorted((Path(var) / "outbox").glob("*.eml"), reverse=True):
        message = email.message_from_bytes(eml.read_bytes())
        if message["To"] == address:
            found = re.search(r"https?://[^/\s]+(\S*" + re.escape(path) + r"\S*)",
                              message.get_payload(decode=True).decode())
            if found:
                return base + found.group(1)
    raise AssertionError(f"no message to {address} with a link to {path}")


@pytest.mark.parametrize("lang,direction", LANGS)
def test_the_account_pages_work_on_a_phone_in_the_learner_language(server, browser, lang, direction):
    """Sign-up, sign-in, the password page, My results, sharing and the account, in every
    learner language (Arabic and Persian right to left) at 360 px: no sideways scrolling, 44 px targets, the page's
    lang and dir, and no serious axe-core violation."""
    base, keys, var = server
    page = phone(browser)
    problems = []
    for path in ("", "sign-in", "password/forgot"):
        page.goto(f"{base}/results/{lang}/{path}")
        problems += phone_problems(page, lang, direction)
    # a whole test in the learner's language, whose result is kept and shared below
    page.goto(f"{base}/{lang}/")
    with page.expect_navigation():
        page.tap("button[type=submit]")
    answer_until(page, keys, "#skip-all", limit=80)
    with page.expect_navigation():
        page.tap("#skip-all")
    with page.expect_navigation():
        page.tap("#keep-link")
    assert f"/results/{lang}/sign-up" in page.url, page.url
    problems += phone_problems(page, lang, direction)
    if direction == "rtl":  # mirrored: the brand sits at the right
        assert page.locator(".brand").bounding_box()["x"] > WIDTH / 2
    page.screenshot(path=str(var / f"sign-up-{lang}-360.png"), full_page=True)
    page.fill("#email", f"account-{lang}@example.fi")
    page.fill("#password", "pitkä-salasana-123")
    page.fill("#password_again", "pitkä-salasana-123")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.tap()
    if not page.url.endswith(f"/results/{lang}/results"):
        # a suite that confirms the address first: the page says a message was sent (it is
        # checked on the phone too), and the link in the message finishes the sign-up
        problems += phone_problems(page, lang, direction)
        page.goto(mailed_link(var, f"account-{lang}@example.fi", f"/results/{lang}/sign-up/confirm/", base))
        problems += phone_problems(page, lang, direction)
        with page.expect_navigation():
            page.locator("form button[type=submit]").last.tap()
    assert page.url.endswith(f"/results/{lang}/results"), page.url
    assert page.locator("#results-table tbody tr").count() == 1  # the kept result
    for path in ("results", "share", "shares", "account", "account/delete"):
        page.goto(f"{base}/results/{lang}/{path}")
        problems += phone_problems(page, lang, direction)
        if path == "results":
            page.screenshot(path=str(var / f"my-results-{lang}-360.png"), full_page=True)
        if path == "share":  # the form to share the kept result, then the employer's link
            assert page.locator("select#result option").count() == 1
            shot(page, lang, "04-share")
            page.tap("label[for=recipient-employer]")
            page.fill("#employer_name", "Siivous Oy")
            page.fill("#purpose", "työhakemus")
            with page.expect_navigation():
                page.tap("#share-submit")
            assert page.url.endswith(f"/results/{lang}/share/done"), page.url
            problems += phone_problems(page, lang, direction)
            shot(page, lang, "05-share-link")
    page.close()
    assert problems == [], "\n".join(problems)
