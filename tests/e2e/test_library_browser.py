"""Katso in Debian's headless Chromium: an axe-core scan of every page (public pages in
all three languages, the curators' pages signed in) with no serious or critical
violation, keyboard use of search and printing, and a curator's photo upload."""
from __future__ import annotations

import io
import subprocess

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe

from .conftest import BIN, served, suite_env, unlabelled_controls

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "kuraattori@example.fi", "katso-salasana-1"
AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "best-practice"]}}

PUBLIC_PAGES = [
    "/katso/{lang}/", "/katso/{lang}/categories/celebrations", "/katso/{lang}/cards/candle",
    "/katso/{lang}/worldviews/", "/katso/{lang}/worldviews/islam", "/katso/{lang}/guide/",
    "/katso/{lang}/guide/how-to-use", "/katso/{lang}/search?q=juhlissa",
    "/katso/{lang}/search?q=xqzw", "/katso/{lang}/print", "/katso/{lang}/accessibility",
    "/katso/{lang}/cards/no-such-card",
]
STAFF_PAGES = ["/katso/staff/", "/katso/staff/cards/candle", "/katso/staff/categories/light",
               "/katso/staff/worldviews/islam", "/katso/staff/pages/how-to-use",
               "/katso/staff/settings", "/katso/staff/stats", "/katso/staff/feedback"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = suite_env(var)
    subprocess.run([str(BIN), "staff", "add", EMAIL, "--name", "Kaisa Kuraattori", "--role", "curator",
                    "--password", PASSWORD], env=env, check=True, capture_output=True, text=True)
    with served(env, var) as base:     # serving seeds the Katso material on first start
        yield base


def serious(page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_public_page_passes_axe(server, browser, lang):
    page = browser.new_page()
    found = {}
    for path in PUBLIC_PAGES:
        url = server + path.format(lang=lang)
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == lang, url
        problems = serious(page)
        if problems:
            found[url] = problems
        assert unlabelled_controls(page) == [], url
        assert page.evaluate("() => [...document.images].filter(i => !i.hasAttribute('alt')).length") == 0
    page.close()
    assert found == {}


def test_every_staff_page_passes_axe(server, browser):
    context = browser.new_context(locale="fi-FI")
    page = context.new_page()
    page.goto(server + "/katso/staff/")
    assert "/authoring/sign-in" in page.url
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/katso/staff/")
    # some use and some feedback, so that the statistics and feedback pages have content
    requests.get(server + "/katso/fi/cards/candle", timeout=10)
    requests.get(server + "/katso/fi/cards/candle/download", timeout=10)
    found = {}
    for path in STAFF_PAGES + ["/authoring/sign-in?next=/katso/staff/"]:
        page.goto(server + path)
        problems = serious(page)
        if problems:
            found[path] = problems
        assert unlabelled_controls(page) == [], path
    context.close()
    assert found == {}


def test_search_and_printing_work_from_the_keyboard(server, browser):
    page = browser.new_page()
    page.goto(server + "/katso/fi/")
    page.keyboard.press("Tab")                       # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#site-search")
    page.keyboard.type("juhlissa")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=juhlissa")
    assert page.locator('a[href="/katso/fi/categories/celebrations"]').count() == 1
    page.goto(server + "/katso/fi/categories/celebrations")
    page.focus("#choose-birthday-cake")
    page.keyboard.press("Space")
    page.focus("#choose-gift")
    page.keyboard.press("Space")
    with page.expect_response(lambda r: "/print/cards.pdf" in r.url) as pdf:
        page.get_by_role("button", name="Tulosta valitut kortit (PDF)").press("Enter")
    response = pdf.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert "card=birthday-cake" in response.url and "card=gift" in response.url
    page.close()


def test_a_curator_uploads_a_photo_with_alt_texts(server, browser):
    from PIL import Image

    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/authoring/sign-in?next=/katso/staff/cards/bread")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/katso/staff/cards/bread")
    out = io.BytesIO()
    Image.new("RGB", (900, 700), (210, 160, 90)).save(out, "JPEG")
    page.set_input_files("#image", files=[{"name": "leipa.jpg", "mimeType": "image/jpeg",
                                           "buffer": out.getvalue()}])
    page.click("form[enctype] button[type=submit]")           # no alt texts yet
    assert page.locator("#upload-alt_fi-error").is_visible()
    page.set_input_files("#image", files=[{"name": "leipa.jpg", "mimeType": "image/jpeg",
                                           "buffer": out.getvalue()}])
    page.fill("#upload-alt_fi", "Valokuva ruisleivästä.")
    page.fill("#upload-alt_sv", "Foto av ett rågbröd.")
    page.fill("#upload-alt_en", "A photo of rye bread.")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/katso/staff/cards/bread")
    assert page.locator("p.notice").is_visible()
    public = context.new_page()
    public.goto(server + "/katso/en/cards/bread")
    image = public.locator(".card-view img")
    assert image.get_attribute("alt") == "A photo of rye bread."
    assert "/katso/images/" in image.get_attribute("src")
    assert public.evaluate("() => document.querySelector('.card-view img').naturalWidth") == 900
    context.close()


def test_the_scan_does_find_violations(browser):
    """The check above can fail: a page with an unlabelled field and an image without an
    alt text is reported."""
    page = browser.new_page()
    page.set_content('<html lang="fi"><head><title>x</title></head><body><main>'
                     '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
                     '</main></body></html>')
    problems = serious(page)
    page.close()
    assert any(p.startswith("image-alt") for p in problems)
    assert any(p.startswith("label") for p in problems)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_public_page_fits_a_phone(server, browser, lang):
    """360 × 740 (issue 17): no page scrolls sideways, and buttons and the navigation are
    touch targets of at least 44 px."""
    page = browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    problems = []
    for path in PUBLIC_PAGES:
        url = server + path.format(lang=lang)
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            problems.append(f"{path}: {width} px wide")
        small = page.evaluate("""() => [...document.querySelectorAll('button, a.button, nav a')]
            .filter(e => e.offsetParent !== null).map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
            .filter(([_, r]) => r.height < 44 || r.width < 44).map(([t, r]) => t + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")
        problems += [f"{path}: small target {s}" for s in small]
    page.close()
    assert problems == [], "\n".join(problems)
