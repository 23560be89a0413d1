"""The Katso material library through the suite's gateway, on SQLite and on the real
PostgreSQL: browsing, search with inflected words, printing (the PDFs read back with
pypdf), usage counts, the curators' pages, photo uploads and the feedback form."""
from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from services.common.accounts import create_staff
from services.common.config import Config
from services.common.db import Database
from services.gateway import create_app as gateway_app
from services.library.content import load_seed
from services.library.orm import LibraryCard, LibraryFeedback
from services.library.repository import LibraryStore

from .conftest import csrf

PASSWORD = "katso-salasana-1"
CURATOR, COACH = "kuraattori@example.fi", "valmentaja@example.fi"
SEED = load_seed()


@pytest.fixture(params=["sqlite", "postgres"])
def library(request, tmp_path):
    """The suite with the Katso seed and two staff members; yields (app, db)."""
    if request.param == "sqlite":
        url, redis_url = f"sqlite:///{tmp_path / 'k.db'}", None
    else:
        url, redis_url = request.getfixturevalue("pg_url"), request.getfixturevalue("redis_url")
    config = Config.from_env(database_url=url, redis_url=redis_url, var_dir=tmp_path,
                             secret_key="test-secret", testing=True)
    db = Database(config.database_url)
    db.upgrade()
    LibraryStore(db).seed(SEED)
    create_staff(db, CURATOR, "Kaisa Kuraattori", ["curator"], PASSWORD)
    create_staff(db, COACH, "Ville Valmentaja", ["coach"], PASSWORD)
    app = gateway_app(config)
    yield app, db
    app.extensions["taitotaso.resources"].db.dispose()
    db.dispose()


def browser(app, lang="fi"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return client


def signed_in(app, email=CURATOR):
    client = browser(app, "en")
    page = client.get("/authoring/sign-in")
    r = client.post("/authoring/sign-in", data={"email": email, "password": PASSWORD,
                                                "_csrf": csrf(page.text)})
    assert r.status_code == 302, r.text
    return client


def pdf(response) -> PdfReader:
    assert response.status_code == 200, response.text[:300]
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def category(slug):
    return next(c for c in SEED["categories"] if c["slug"] == slug)


# -- browsing ------------------------------------------------------------------------------
def test_the_library_opens_in_the_browsers_language_with_every_category(library):
    app, _db = library
    r = browser(app, "sv").get("/katso/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/katso/sv/")
    page = html.unescape(browser(app).get("/katso/fi/").text)
    for cat in SEED["categories"]:
        assert cat["name"]["fi"] in page
    assert len(re.findall(r'href="/katso/fi/categories/', page)) == 22


def test_a_category_shows_its_five_cards_and_a_blank_card(library):
    app, _db = library
    cat = SEED["categories"][0]
    page = html.unescape(browser(app, "en").get(f"/katso/en/categories/{cat['slug']}").text)
    for card in cat["cards"]:
        assert card["caption"]["en"] in page
        assert card["alt"]["en"] in page
    assert "Blank card" in page
    assert page.count('name="card"') == 5


def test_a_card_page_has_its_picture_alt_text_questions_and_related_worldviews(library):
    app, _db = library
    worldview = SEED["worldviews"][0]
    slug = worldview["cards"][0]
    card = next(c for cat in SEED["categories"] for c in cat["cards"] if c["slug"] == slug)
    client = browser(app, "en")
    page = html.unescape(client.get(f"/katso/en/cards/{slug}").text)
    assert f'src="/katso/pictograms/{slug}.svg"' in page
    assert worldview["name"]["en"] in page
    assert card["caption"]["sv"] in page and card["caption"]["fi"] in page
    svg = client.get(f"/katso/pictograms/{slug}.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert "sandbox" in svg.headers["Content-Security-Policy"]


def test_worldviews_are_browsed_with_their_cards(library):
    app, _db = library
    client = browser(app, "fi")
    listing = html.unescape(client.get("/katso/fi/worldviews/").text)
    assert all(w["name"]["fi"] in listing for w in SEED["worldviews"])
    assert len(SEED["worldviews"]) == 15
    wv = SEED["worldviews"][4]
    page = client.get(f"/katso/fi/worldviews/{wv['slug']}").text
    for slug in wv["cards"]:
        assert f'/katso/fi/cards/{slug}"' in page


def test_unknown_material_and_languages_answer_404_with_a_message(library):
    app, _db = library
    client = browser(app, "en")
    for path in ("/katso/en/cards/no-such-card", "/katso/en/categories/nope",
                 "/katso/en/worldviews/nope", "/katso/en/guide/nope", "/katso/de/",
                 "/katso/pictograms/..%2Fkatso.svg", "/katso/images/" + "0" * 64,
                 "/katso/en/cards/a%00b"):
        r = client.get(path)
        assert r.status_code == 404, path
    assert "not published" in client.get("/katso/en/cards/nope").text


# -- search --------------------------------------------------------------------------------
def search(client, lang, q):
    r = client.get(f"/katso/{lang}/search", query_string={"q": q})
    assert r.status_code == 200
    return r.text


@pytest.mark.parametrize("query, expected", [
    ("juhlissa", "/katso/fi/categories/celebrations"),          # juhla, inessive plural
    ("juhliin", "/katso/fi/categories/celebrations"),           # illative plural
    ("kynttilöitä", "/katso/fi/cards/candle"),                  # kynttilä, partitive plural
    ("kynttilän", "/katso/fi/cards/candle"),                    # genitive
    ("kakkua", "/katso/fi/cards/birthday-cake"),                # a part of syntymäpäiväkakku
    ("syntymäpäivänä", "/katso/fi/cards/birthday-cake"),        # essive, a compound's run
    ("perheissä", "/katso/fi/categories/family"),               # perhe
    ("moskeijassa", "/katso/fi/cards/mosque"),                  # moskeija
    ("kirkkoon", "/katso/fi/cards/church"),                     # kirkko, illative
    ("lahjoja", "/katso/fi/cards/gift"),                        # lahja, partitive plural
    ("kynttila", "/katso/fi/cards/candle"),                     # typed without ä (issue 17)
])
def test_search_understands_inflected_finnish(library, query, expected):
    app, _db = library
    assert f'href="{expected}"' in search(browser(app), "fi", query)


@pytest.mark.parametrize("lang, query, expected", [
    ("sv", "festerna", "/katso/sv/categories/celebrations"),
    ("sv", "ljusen", "/katso/sv/cards/candle"),
    ("en", "celebrating", "/katso/en/categories/celebrations"),
    ("en", "candles", "/katso/en/cards/candle"),
    ("en", "juhlissa", "/katso/en/categories/celebrations"),   # any language from any page
])
def test_search_understands_swedish_and_english_basics(library, lang, query, expected):
    app, _db = library
    assert f'href="{expected}"' in search(browser(app, lang), lang, query)


def test_search_says_when_nothing_is_found_and_refuses_overlong_queries(library):
    app, _db = library
    client = browser(app, "en")
    assert "Nothing was found" in search(client, "en", "xqzw")
    r = client.get("/katso/en/search", query_string={"q": "a" * 201})
    assert r.status_code == 400 and "at most 200 characters" in r.text


def test_unpublished_material_leaves_the_pages_and_the_search(library):
    app, db = library
    store = LibraryStore(db)
    store.update("card", "candle", published=False)
    client = browser(app)
    assert client.get("/katso/fi/cards/candle").status_code == 404
    assert 'href="/katso/fi/cards/candle"' not in search(client, "fi", "kynttilöitä")
    store.update("card", "candle", published=True)
    assert 'href="/katso/fi/cards/candle"' in search(client, "fi", "kynttilöitä")


# -- printing ------------------------------------------------------------------------------
def test_a_category_prints_on_one_a4_page_with_captions_in_the_chosen_language(library):
    app, _db = library
    cat = category("celebrations")
    for lang, blank in (("fi", "Tyhjä kortti"), ("sv", "Tomt kort"), ("en", "Blank card")):
        reader = pdf(browser(app, lang).get(f"/katso/{lang}/print/category/celebrations.pdf"))
        assert len(reader.pages) == 1
        width, height = (float(v) for v in reader.pages[0].mediabox[2:])
        assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 297   # A4
        text = text_of(reader)
        for card in cat["cards"]:
            assert card["caption"][lang] in text, (lang, card["caption"][lang])
        assert blank in text
        assert cat["name"][lang] in text


def test_chosen_cards_print_six_to_a_page_with_a_blank_card_at_the_end(library):
    app, _db = library
    chosen = [c["slug"] for cat in SEED["categories"][:2] for c in cat["cards"]][:8]
    reader = pdf(browser(app, "en").get("/katso/en/print/cards.pdf", query_string={"card": chosen}))
    assert len(reader.pages) == 2                     # 8 cards + the blank card
    text = text_of(reader)
    captions = {c["slug"]: c["caption"]["en"] for cat in SEED["categories"] for c in cat["cards"]}
    for slug in chosen:
        assert captions[slug] in text
    assert "Blank card" in text and "2 / 2" in text


def test_printing_nothing_or_unknown_cards_is_refused_with_a_reason(library):
    app, _db = library
    client = browser(app, "en")
    r = client.get("/katso/en/print/cards.pdf")
    assert r.status_code == 400 and "Choose at least one card" in r.text
    r = client.get("/katso/en/print/cards.pdf", query_string={"card": ["candle", "no-such-card"]})
    assert r.status_code == 400 and "no-such-card" in r.text
    r = client.get("/katso/en/print/cards.pdf", query_string={"card": [f"c{i}" for i in range(121)]})
    assert r.status_code == 400 and "at most 120" in r.text


def test_the_instructions_booklet_has_every_page_and_worldview(library):
    app, _db = library
    reader = pdf(browser(app, "fi").get("/katso/fi/print/guide.pdf"))
    text = " ".join(text_of(reader).split())
    assert len(reader.pages) >= 8
    for page in SEED["pages"]:
        if page["kind"] != "statement":
            assert " ".join(page["title"]["fi"].split()) in text, page["title"]["fi"]
    for wv in SEED["worldviews"]:
        assert wv["name"]["fi"] in text


# -- usage ---------------------------------------------------------------------------------
def test_views_downloads_and_prints_are_counted_per_material(library):
    app, db = library
    client = browser(app)
    client.get("/katso/fi/cards/candle")
    client.get("/katso/fi/cards/candle")
    r = client.get("/katso/fi/cards/candle/download")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    client.get("/katso/fi/print/category/light.pdf")
    client.get("/katso/fi/print/cards.pdf?card=candle")
    usage = LibraryStore(db).usage()
    assert usage["card:candle"] == {"view": 2, "download": 1, "print": 1}
    assert usage["category:light"]["print"] == 1
    stats = signed_in(app).get("/katso/staff/stats").text
    assert "Candle" in stats or "candle" in stats
    csv_text = signed_in(app).get("/katso/staff/stats.csv").data.decode("utf-8-sig")
    assert "card:candle,Card," in csv_text and ",2,1,1" in csv_text
    # in Finnish and Swedish the spreadsheet's list separator: ';' (issue 17)
    finnish = signed_in(app).get("/katso/staff/stats.csv?lang=fi").data.decode("utf-8-sig")
    assert "card:candle;Kortti;Kynttilä;2;1;1" in finnish


# -- the curators' pages -----------------------------------------------------------------------
def test_staff_pages_need_a_curator(library):
    app, _db = library
    r = browser(app).get("/katso/staff/")
    assert r.status_code == 302 and r.headers["Location"] == "/authoring/sign-in?next=/katso/staff/"
    coach = signed_in(app, COACH)
    r = coach.get("/katso/staff/")
    assert r.status_code == 403 and "curator role" in r.text
    assert signed_in(app).get("/katso/staff/").status_code == 200


def test_a_curator_lands_on_the_library_after_signing_in(library):
    app, _db = library
    client = browser(app, "en")
    page = client.get("/authoring/sign-in")
    r = client.post("/authoring/sign-in", data={"email": CURATOR, "password": PASSWORD,
                                                "_csrf": csrf(page.text)})
    assert r.headers["Location"] == "/katso/staff/"
    r = client.get("/authoring/items")
    assert r.status_code == 403 and "/katso/staff/" in r.text


def test_a_curator_edits_a_caption_and_every_language_is_required(library):
    app, db = library
    client = signed_in(app)
    form = client.get("/katso/staff/cards/candle").text
    data = {"_csrf": csrf(form), "published": "1"}
    for field in ("caption", "alt", "prompt"):
        for lang in ("fi", "sv", "en"):
            data[f"{field}_{lang}"] = f"{field} {lang}"
    data["caption_sv"] = "  "
    r = client.post("/katso/staff/cards/candle", data=data)
    assert r.status_code == 400 and "every language needs one" in r.text
    assert LibraryStore(db).card("candle").caption["fi"] != "caption fi"     # nothing saved
    data["caption_sv"] = "Ljus (nytt)"
    r = client.post("/katso/staff/cards/candle", data=data)
    assert r.status_code == 302
    assert LibraryStore(db).card("candle").caption == {"fi": "caption fi", "sv": "Ljus (nytt)",
                                                       "en": "caption en"}
    assert "Ljus (nytt)" in browser(app, "sv").get("/katso/sv/cards/candle").text


def test_forms_without_the_csrf_token_are_refused(library):
    app, _db = library
    client = signed_in(app)
    r = client.post("/katso/staff/cards/candle", data={"caption_fi": "x"})
    assert r.status_code == 400 and "expired" in r.text


def photo(fmt="JPEG", size=(800, 600), exif=True) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"          # Make
        data[0x8825] = {1: "N", 2: (60.0, 10.0, 0.0)}   # GPS latitude
        kwargs["exif"] = data.tobytes()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(client, slug, data: bytes, filename="photo.jpg", alt=True):
    form = client.get(f"/katso/staff/cards/{slug}").text
    fields = {"_csrf": csrf(form), "image": (io.BytesIO(data), filename)}
    if alt:
        fields |= {"alt_fi": "Valokuva kynttilästä.", "alt_sv": "Foto av ett ljus.",
                   "alt_en": "A photo of a candle."}
    return client.post(f"/katso/staff/cards/{slug}/image", data=fields,
                       content_type="multipart/form-data")


def test_an_uploaded_photo_is_stored_without_exif_and_replaces_the_drawing(library):
    app, db = library
    client = signed_in(app)
    raw = photo()
    assert b"SecretCam" in raw
    r = upload(client, "candle", raw)
    assert r.status_code == 302, r.text
    card = LibraryStore(db).card("candle")
    assert card.image_sha256 and (card.image_width, card.image_height) == (800, 600)
    assert card.alt["en"] == "A photo of a candle."
    page = browser(app, "en").get("/katso/en/cards/candle").text
    assert f'src="/katso/images/{card.image_sha256}"' in page and "A photo of a candle." in page
    served = browser(app).get(f"/katso/images/{card.image_sha256}")
    assert served.mimetype == "image/jpeg"
    assert b"SecretCam" not in served.data and b"Exif" not in served.data
    reader = pdf(browser(app).get("/katso/fi/print/cards.pdf?card=candle"))
    assert len(reader.pages) == 1
    # and back to the drawing
    form = client.get("/katso/staff/cards/candle").text
    r = client.post("/katso/staff/cards/candle/image/remove", data={"_csrf": csrf(form)})
    assert r.status_code == 302 and LibraryStore(db).card("candle").image_sha256 is None


@pytest.mark.parametrize("data, filename, alt, message", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.png", True,
     "not a JPEG, PNG or WebP"),
    (b"just text", "photo.jpg", True, "not a JPEG, PNG or WebP"),
    (b"", "photo.jpg", True, "Choose a photo"),
    (None, "small.png", True, "too small"),
    (None, "photo.jpg", False, "every language needs one"),
])
def test_uploads_that_cannot_be_used_are_refused_with_a_reason(library, data, filename, alt, message):
    app, db = library
    if data is None:
        data = photo("PNG", (120, 90), exif=False) if filename == "small.png" else photo()
    r = upload(signed_in(app), "candle", data, filename, alt=alt)
    assert r.status_code == 400 and message in r.text, r.text[:2000]
    assert LibraryStore(db).card("candle").image_sha256 is None


def test_a_photo_over_the_size_limit_is_refused_before_it_is_read(library):
    app, _db = library
    client = signed_in(app)
    form = client.get("/katso/staff/cards/candle").text
    r = client.post("/katso/staff/cards/candle/image", data={
        "_csrf": csrf(form), "image": (io.BytesIO(b"\xff" * (9 * 1024 * 1024)), "big.jpg")},
        content_type="multipart/form-data")
    assert r.status_code == 413 and "at most 8 MB" in r.text


def test_publishing_and_unpublishing_from_the_staff_pages(library):
    app, db = library
    client = signed_in(app)
    page = client.get("/katso/staff/").text
    r = client.post("/katso/staff/publish", data={"_csrf": csrf(page), "kind": "category",
                                                  "slug": "food", "back": "/katso/staff/"})
    assert r.status_code == 302
    assert browser(app).get("/katso/fi/categories/food").status_code == 404
    assert browser(app).get("/katso/fi/cards/bread").status_code == 404   # its cards too
    assert 'categories/food"' not in browser(app).get("/katso/fi/").text
    client.post("/katso/staff/publish", data={"_csrf": csrf(page), "kind": "category", "slug": "food"})
    assert browser(app).get("/katso/fi/categories/food").status_code == 200
    r = client.post("/katso/staff/publish", data={"_csrf": csrf(page), "kind": "nonsense", "slug": "x"})
    assert r.status_code == 400


def test_worldviews_pages_and_the_video_link_are_edited(library):
    app, db = library
    client = signed_in(app)
    wv = SEED["worldviews"][0]
    form = client.get(f"/katso/staff/worldviews/{wv['slug']}").text
    data = {"_csrf": csrf(form), "published": "1", "cards": ["candle", "not-a-card"]}
    for field in ("name", "summary", "description"):
        data |= {f"{field}_{lang}": wv[field][lang] for lang in ("fi", "sv", "en")}
    assert client.post(f"/katso/staff/worldviews/{wv['slug']}", data=data).status_code == 302
    assert LibraryStore(db).worldview(wv["slug"]).cards == ["candle"]
    r = client.post("/katso/staff/settings", data={"_csrf": csrf(form), "video_url": "javascript:alert(1)"})
    assert r.status_code == 400 and "https://" in r.text
    client.post("/katso/staff/settings", data={"_csrf": csrf(form), "video_url": "https://video.example/katso"})
    assert 'href="https://video.example/katso"' in browser(app).get("/katso/fi/guide/").text


# -- accessibility feedback --------------------------------------------------------------------
def test_accessibility_feedback_is_kept_for_the_curators(library):
    app, db = library
    client = browser(app, "en")
    page = client.get("/katso/en/accessibility")
    assert page.status_code == 200 and "Accessibility statement" in page.text
    r = client.post("/katso/en/accessibility", data={"_csrf": csrf(page.text), "message": "  "})
    assert r.status_code == 400 and "Write your feedback" in r.text
    r = client.post("/katso/en/accessibility", data={"_csrf": csrf(page.text),
                                                     "message": "The print button is hard to find.",
                                                     "contact": "user@example.fi"})
    assert r.status_code == 302
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(LibraryFeedback)) == 1
    staff = signed_in(app)
    listing = staff.get("/katso/staff/feedback").text
    assert "The print button is hard to find." in listing and "user@example.fi" in listing


def test_seeding_again_keeps_what_curators_changed(library):
    _app, db = library
    store = LibraryStore(db)
    store.update("card", "candle", caption={"fi": "Oma", "sv": "Egen", "en": "Own"})
    assert store.seed(SEED) == {"categories": 0, "cards": 0, "worldviews": 0, "pages": 0}
    assert store.card("candle").caption["en"] == "Own"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(LibraryCard)) == 110


# -- rate limits (the `limits` library: in memory on SQLite, shared through Redis on PostgreSQL) -----
def test_feedback_is_limited_to_ten_messages_an_hour_per_address(library):
    app, db = library
    client = browser(app, "en")
    token = csrf(client.get("/katso/en/accessibility").text)
    for i in range(10):
        r = client.post("/katso/en/accessibility", data={"_csrf": token, "message": f"Note {i}."})
        assert r.status_code == 302, (i, r.status_code)
    r = client.post("/katso/en/accessibility", data={"_csrf": token, "message": "  "})
    assert r.status_code == 400          # a form with mistakes is answered, and not counted
    r = client.post("/katso/en/accessibility", data={"_csrf": token, "message": "Eleventh."})
    assert r.status_code == 429 and "several messages from your network" in r.text
    assert 3500 <= int(r.headers["Retry-After"]) <= 3600
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(LibraryFeedback)) == 10
    other = browser(app, "en")
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    token = csrf(other.get("/katso/en/accessibility").text)
    r = other.post("/katso/en/accessibility", data={"_csrf": token, "message": "From elsewhere."})
    assert r.status_code == 302          # another address has its own count


def test_printing_is_limited_per_address_across_the_kinds_of_pdf(library, monkeypatch):
    from services.library import pages

    _app, db = library
    monkeypatch.setattr(pages, "PRINTS_PER_MINUTE", 2)
    app = gateway_app(_app.extensions["taitotaso.resources"].config)
    client = browser(app, "en")
    assert client.get("/katso/en/print/category/celebrations.pdf").status_code == 200
    assert client.get("/katso/en/print/guide.pdf").status_code == 200
    r = client.get("/katso/en/print/category/celebrations.pdf")
    assert r.status_code == 429 and "Many PDFs have been made for your network" in r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    app.extensions["taitotaso.resources"].db.dispose()
