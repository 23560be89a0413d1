"""The Katso seed: 22 categories of five cards, 15 worldviews, every text in fi/sv/en,
Finnish that Voikko accepts, and pictograms that are safe to serve and print."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from services.library.content import LANGS, PICTOGRAMS, ContentError, load_seed

SEED = load_seed()
SVG_NS = "{http://www.w3.org/2000/svg}"
SAFE_ELEMENTS = {"svg", "g", "path", "circle", "ellipse", "rect", "polygon", "polyline", "line",
                 "defs", "clipPath", "linearGradient", "radialGradient", "stop", "use", "title"}
# names and loanwords the Finnish dictionary does not know: short ones as whole words, the
# others as stems of their inflected forms (diwalina, gurdwaroissa, Om-merkki)
VOIKKO_UNKNOWN_WORDS = {"om", "jin", "jang", "eid", "jom", "noa", "amir", "holi", "rosh", "diya",
                        "kipa", "https", "wcag", "sahib"}
VOIKKO_UNKNOWN_STEMS = ("hanuk", "kipaa", "pesah", "hashana", "kippur", "kosher", "al-fitr", "al-adha",
                        "assalamu", "alaikum", "halal", "diwali", "ganesha", "lakshmi", "dharma",
                        "om-merk", "siddhartha", "gautama", "vesak", "mandal", "granth", "gurdwar",
                        "langar", "vaisakhi", "bahá", "naw-rúz", "qingming", "kommuunio",
                        "ensikommuunio", "katso-", "taitotaso-", "axe-core")


def known_name(word: str) -> bool:
    w = word.lower()
    return w in VOIKKO_UNKNOWN_WORDS or w.startswith(VOIKKO_UNKNOWN_STEMS)


def all_cards():
    return [card for cat in SEED["categories"] for card in cat["cards"]]


def test_the_seed_has_22_categories_of_five_cards_and_15_worldviews():
    assert len(SEED["categories"]) == 22
    assert all(len(cat["cards"]) == 5 for cat in SEED["categories"])
    assert len(all_cards()) == 110
    assert len(SEED["worldviews"]) == 15
    kinds = [p["kind"] for p in SEED["pages"]]
    assert kinds.count("statement") == 1 and "instructions" in kinds and "example" in kinds
    assert SEED["video_url"].startswith("https://")


def test_every_text_is_written_in_finnish_swedish_and_english():
    def texts():
        for cat in SEED["categories"]:
            yield cat["slug"], cat["name"]
            yield cat["slug"], cat["description"]
            for card in cat["cards"]:
                for field in ("caption", "alt", "prompt"):
                    yield card["slug"], card[field]
        for owner in SEED["worldviews"] + SEED["pages"]:
            for field in ("name", "summary", "description", "title", "body"):
                if field in owner:
                    yield owner["slug"], owner[field]

    for slug, texts_ in texts():
        assert set(texts_) == set(LANGS), slug
        assert all(t.strip() for t in texts_.values()), slug
        assert texts_["fi"] != texts_["en"] or len(texts_["fi"]) < 12, slug   # translated


def test_finnish_texts_pass_voikko(voikko):
    words = set()
    for cat in SEED["categories"]:
        for card in cat["cards"]:
            for field in ("caption", "alt", "prompt"):
                words |= set(re.findall(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", card[field]["fi"]))
        words |= set(re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", cat["name"]["fi"] + " " + cat["description"]["fi"]))
    for owner in SEED["worldviews"] + SEED["pages"]:
        for field in ("name", "summary", "description", "title", "body"):
            if field in owner:
                words |= set(re.findall(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", owner[field]["fi"]))
    wrong = sorted(w for w in words if not voikko.spell(w) and not known_name(w))
    assert wrong == []


def test_every_card_has_a_safe_pictogram():
    for card in all_cards():
        path = PICTOGRAMS / f"{card['slug']}.svg"
        assert path.is_file(), card["slug"]
        root = ET.parse(path).getroot()
        assert root.tag == SVG_NS + "svg" and root.get("viewBox") == "0 0 200 200", card["slug"]
        for element in root.iter():
            name = element.tag.replace(SVG_NS, "")
            assert name in SAFE_ELEMENTS, (card["slug"], name)
            for attr, value in element.attrib.items():
                assert not attr.lower().startswith("on"), (card["slug"], attr)
                if attr.endswith("href"):
                    assert value.startswith("#"), (card["slug"], value)
        assert path.stat().st_size < 8000


def test_worldviews_and_examples_refer_to_existing_cards():
    slugs = {c["slug"] for c in all_cards()}
    for owner in SEED["worldviews"]:
        assert 3 <= len(owner["cards"]) and set(owner["cards"]) <= slugs, owner["slug"]
    for page in SEED["pages"]:
        assert set(page["cards"]) <= slugs


def test_a_broken_seed_is_refused_with_its_place(tmp_path):
    bad = tmp_path / "katso.yaml"
    bad.write_text("video_url: http://insecure.example\ncategories: []\nworldviews: []\npages: []\n")
    with pytest.raises(ContentError, match="video_url"):
        load_seed(bad)
    bad.write_text("video_url: https://x.example\ncategories:\n  - slug: a\n    name: {fi: A, sv: A}\n"
                   "    description: {fi: A, sv: A, en: A}\n    cards: []\nworldviews: []\npages: []\n")
    with pytest.raises(ContentError, match="en|cards"):
        load_seed(bad)
