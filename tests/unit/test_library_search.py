"""Search keys: Voikko base forms and compound parts for Finnish, Snowball stems for
Swedish and English, prefixes for unknown words and the word being typed."""
from __future__ import annotations

import pytest

from services.library.search import Document, SearchIndex, _compound_runs

DOCS = [
    Document("category", "celebrations", {"fi": {"title": "Juhlat", "body": "Juhlia vietetään monella tavalla."},
                                          "sv": {"title": "Fester"}, "en": {"title": "Celebrations"}}),
    Document("card", "birthday-cake", {"fi": {"title": "Syntymäpäiväkakku", "short": "Kakku ja kynttilät"},
                                       "sv": {"title": "Födelsedagstårta"}, "en": {"title": "Birthday cake"}}),
    Document("card", "menorah", {"fi": {"title": "Hanukkakynttelikkö", "short": "Hanukka"},
                                 "sv": {"title": "Hanukkaljusstake"}, "en": {"title": "Hanukkah candlestick"}}),
    Document("card", "mosque", {"fi": {"title": "Moskeija"}, "sv": {"title": "Moské"}, "en": {"title": "Mosque"}}),
]


@pytest.fixture(scope="module")
def index():
    return SearchIndex(DOCS)


def slugs(index, query):
    return [h.slug for h in index.search(query)]


@pytest.mark.parametrize("query, slug", [
    ("juhlissa", "celebrations"), ("juhlaan", "celebrations"), ("juhlien", "celebrations"),
    ("moskeijoissa", "mosque"), ("kynttilöitä", "birthday-cake"),
    ("kakkua", "birthday-cake"),          # a compound's part
    ("syntymäpäivänä", "birthday-cake"),  # a run of a compound's parts
    ("kynttelikössä", "menorah"),         # the end of a compound Voikko does not know
    ("hanukkaa", "menorah"),              # a name Voikko does not know, by prefix
    ("festerna", "celebrations"), ("tårtor", "birthday-cake"), ("ljusstakar", "menorah"),
    ("celebrating", "celebrations"), ("candlesticks", "menorah"), ("mosques", "mosque"),
    ("synty", "birthday-cake"),           # the word being typed
])
def test_inflected_and_partial_words_find_the_material(index, query, slug):
    assert slugs(index, query)[:1] == [slug]


def test_titles_rank_above_descriptions_and_more_words_above_fewer(index):
    hits = index.search("juhla kakku")
    assert {h.slug for h in hits} == {"celebrations", "birthday-cake"}
    assert index.search("kynttilä")[0].slug == "birthday-cake"


def test_nothing_matches_nonsense_or_an_empty_query(index):
    assert index.search("xqzw") == [] and index.search("  ") == [] and index.search("123") == []


def test_compound_runs():
    assert _compound_runs("+syntymä(syntymä)+päivä(päivä)+kakku(kakku)") == [
        "syntymä", "päivä", "kakku", "syntymäpäivä", "päiväkakku"]
    assert _compound_runs("+juhla(juhla)") == []


@pytest.mark.parametrize("query, slug", [
    ("kynttila", "birthday-cake"),          # typed without ä (issue 17)
    ("syntymapaivakakku", "birthday-cake"),
    ("tarta", "birthday-cake"),             # Swedish without å
    ("moske", "mosque"),                    # without é
])
def test_a_word_typed_without_diacritics_finds_the_material(index, query, slug):
    assert slugs(index, query)[:1] == [slug]


def test_the_word_with_its_diacritics_still_ranks_above_the_folded_match(index):
    exact = index.search("kynttilä")[0]
    folded = index.search("kynttila")[0]
    assert exact.slug == folded.slug == "birthday-cake" and exact.score > folded.score
