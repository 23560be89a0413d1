"""The job seeker's pages in every learner language (services/translations/languages.json):
chosen on the first page by native names, right to left for Arabic and Persian; staff,
coach and employer pages only in fi, sv, en, where a learner language falls back to English."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from services.common.i18n import LANGUAGES, LEARNER_LANGUAGES, load_languages
from services.gateway import create_app as gateway_app

from .conftest import csrf, seeded_config

LANGUAGES_FILE = Path(__file__).resolve().parents[2] / "services" / "translations" / "languages.json"
ROWS = json.loads(LANGUAGES_FILE.read_text(encoding="utf-8"))["languages"]


@pytest.fixture
def suite(tmp_path):
    app = gateway_app(seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None))
    yield app
    app.extensions["taitotaso.resources"].db.dispose()


@pytest.fixture
def client(suite):
    return suite.test_client()


def test_the_languages_are_data_with_the_required_ones_and_their_own_names():
    codes = [r["code"] for r in ROWS]
    assert set(codes) >= {"fi", "sv", "en", "ru", "uk", "et", "ar", "so", "fa"}
    assert LEARNER_LANGUAGES == tuple(codes) and LANGUAGES == ("fi", "sv", "en")
    names = {r["code"]: r["name"] for r in ROWS}
    assert names["ru"] == "русский" and names["ar"] == "العربية" and names["fa"] == "فارسی"
    assert {r["code"] for r in ROWS if r["dir"] == "rtl"} == {"ar", "fa"}


def test_a_language_file_that_breaks_a_rule_is_refused(tmp_path):
    bad = tmp_path / "languages.json"
    bad.write_text(json.dumps({"languages": [
        {"code": "en", "name": "English", "dir": "ltr", "staff": True},
        {"code": "ar", "name": "العربية", "dir": "right", "staff": False, "fallback": "en"}]}))
    with pytest.raises(ValueError, match="dir must be ltr or rtl"):
        load_languages(bad)
    bad.write_text(json.dumps({"languages": [
        {"code": "ru", "name": "русский", "dir": "ltr", "staff": False, "fallback": "de"}]}))
    with pytest.raises(ValueError, match="fallback"):
        load_languages(bad)


def test_the_first_page_lists_every_language_by_its_own_name_with_lang_and_dir(client):
    page = html.unescape(client.get("/").text)
    links = re.findall(r'<a class="button" href="/([a-z]{2})/" lang="([a-z]{2})" hreflang="[a-z]{2}" '
                       r'dir="(ltr|rtl)">([^<]+)</a>', page)
    assert [(code, lang, d, name) for code, lang, d, name in links] == \
        [(r["code"], r["code"], r["dir"], r["name"]) for r in ROWS]


@pytest.mark.parametrize("lang,direction", [(r["code"], r["dir"]) for r in ROWS])
def test_the_start_page_comes_in_every_language_and_direction(client, lang, direction):
    page = client.get(f"/{lang}/")
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in page.text
    # the header's language menu offers every language, each marked with its own lang and dir
    for row in ROWS:
        assert f'lang="{row["code"]}" hreflang="{row["code"]}" dir="{row["dir"]}"' in page.text


@pytest.mark.parametrize("lang", ["ru", "ar", "so"])
def test_a_test_can_start_in_a_learner_language_and_is_recorded_in_it(client, suite, lang):
    from sqlalchemy import select

    from services.testing.orm import TestSession

    page = client.get(f"/{lang}/")
    r = client.post(f"/{lang}/start", data={"_csrf": csrf(page.text)})
    assert r.status_code == 302 and r.location.endswith(f"/{lang}/test")
    assert client.get(f"/{lang}/test").status_code == 200
    with suite.extensions["taitotaso.resources"].db.session() as s:
        assert s.scalars(select(TestSession.ui_language)).all() == [lang]


def test_the_session_api_takes_a_learner_language_and_names_the_choices_for_others(client):
    assert client.post("/api/v1/sessions", json={"ui_language": "fa"}).status_code == 201
    r = client.post("/api/v1/sessions", json={"ui_language": "de"})
    assert r.status_code == 422 and "ar" in json.dumps(r.get_json())


@pytest.mark.parametrize("path,target", [
    ("/katso/fa/", "/katso/en/"),
    ("/katso/ru/", "/katso/en/"),
])
def test_staff_and_employer_services_fall_back_to_english_for_a_learner_language(client, path, target):
    r = client.get(path)
    assert r.status_code == 302 and r.location.endswith(target)
    assert client.get(target).status_code in (200, 302)


@pytest.mark.parametrize("lang", ["ru", "uk", "et", "ar", "so", "fa"])
def test_the_job_seekers_account_pages_come_in_every_learner_language(client, lang):
    """Sign-up, sign-in and the password page are job-seeker pages: in the learner's
    language, right to left for Arabic and Persian, with every language in the menu."""
    direction = "rtl" if lang in ("ar", "fa") else "ltr"
    for path in (f"/results/{lang}/", f"/results/{lang}/sign-up", f"/results/{lang}/sign-in",
                 f"/results/{lang}/sign-in?next=/results/{lang}/results",
                 f"/results/{lang}/password/forgot"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert f'<html lang="{lang}" dir="{direction}">' in r.text, path
        assert all(f'hreflang="{code}"' in r.text for code in LEARNER_LANGUAGES), path
    # translated, not English: the sign-in page's heading and button
    page = client.get(f"/results/{lang}/sign-in").text
    title = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip()
    assert title and title != "Sign in", title
    # signed out, My results asks to sign in, in the same language
    r = client.get(f"/results/{lang}/results")
    assert r.status_code == 302 and f"/results/{lang}/sign-in" in r.location
    # the employer's link page keeps the staff languages
    assert client.get(f"/results/v/nope?lang={lang}").status_code == 404


def test_an_unknown_language_is_still_404_everywhere(client):
    for path in ("/de/", "/results/de/", "/katso/de/"):
        assert client.get(path).status_code == 404, path


def test_changing_the_language_during_the_test_keeps_the_place(client):
    page = client.get("/fi/")
    client.post("/fi/start", data={"_csrf": csrf(page.text)})
    item = client.get("/fi/test").text
    # the menu's Arabic link is this page in Arabic, not the start page
    assert 'href="/ar/test" lang="ar"' in item
    ar = client.get("/ar/test")
    assert ar.status_code == 200 and '<html lang="ar" dir="rtl">' in ar.text
    assert re.search(r'name="(item_id|block_id)" value="([^"]+)"', ar.text).group(2) == \
        re.search(r'name="(item_id|block_id)" value="([^"]+)"', item).group(2)


def test_the_start_page_offers_to_continue_and_never_silently_replaces_a_test(client):
    page = client.get("/en/")
    client.post("/en/start", data={"_csrf": csrf(page.text)})
    first = client.get("/en/test").text
    start = client.get("/ru/")
    assert 'id="in-progress"' in start.text and 'href="/ru/test"' in start.text
    assert 'name="replace_test"' in start.text
    # a start form from before the test began (no replace_test): refused, the test kept
    r = client.post("/ru/start", data={"_csrf": csrf(start.text)})
    assert r.status_code == 409 and 'role="alert"' in r.text
    assert client.get("/en/test").text == first
    # saying so starts a new test
    r = client.post("/ru/start", data={"_csrf": csrf(start.text), "replace_test": "1"})
    assert r.status_code == 302 and r.location.endswith("/ru/test")


def test_without_a_test_the_start_page_has_no_continue_box(client):
    page = client.get("/et/")
    assert 'id="in-progress"' not in page.text and 'name="replace_test"' not in page.text


@pytest.mark.parametrize("lang,words", [
    ("ru", ["Начать тест", "Сначала расскажите о своём финском"]),
    ("uk", ["Почати тест"]),
    ("et", ["Alusta testi"]),
    ("ar", ["ابدأ الاختبار", "لا أعرف"]),
    ("so", ["Bilow imtixaanka"]),
    ("fa", ["شروع آزمون", "نمی‌دانم"]),
])
def test_the_start_page_is_in_the_learners_language(client, lang, words):
    page = html.unescape(client.get(f"/{lang}/").text)
    for w in words:
        assert w in page, (lang, w)


def test_an_item_page_in_arabic_keeps_the_finnish_material_in_finnish(client):
    page = client.get("/ar/")
    client.post("/ar/start", data={"_csrf": csrf(page.text)})
    item = html.unescape(client.get("/ar/test").text)
    assert '<html lang="ar" dir="rtl">' in item
    assert 'lang="fi"' in item  # the item itself, shown left to right inside the page
    assert "التالي" in item  # the Next button
