"""The job seeker's pages through the Flask test client, in all three languages."""
from __future__ import annotations

import re

import pytest

from .conftest import KEYS, csrf


def current_item(html: str) -> str:
    return re.search(r'name="item_id" value="([^"]+)"', html).group(1)


def block_words(html: str) -> list[str]:
    """The item ids of a block page's words, in order (one radio pair each)."""
    return list(dict.fromkeys(re.findall(r'name="w_([^"]+)"', html)))


def right_answers(html: str) -> dict:
    """The form of the page's item (or block of words) with the right answers."""
    form = {"_csrf": csrf(html)}
    if 'name="block_id"' in html:
        form["block_id"] = re.search(r'name="block_id" value="([^"]+)"', html).group(1)
        return form | {f"w_{w}": KEYS[w] for w in block_words(html)}
    item_id = form["item_id"] = current_item(html)
    if isinstance(KEYS[item_id], list):  # a C-test: one field per gap
        return form | {f"answer_{i}": part for i, part in enumerate(KEYS[item_id])} | {
            "gaps": str(len(KEYS[item_id]))}
    return form | {"answer": KEYS[item_id]}


@pytest.fixture(params=["sqlite"])
def config(request, tmp_path):  # pages use the same service layer: SQLite is enough here
    from .conftest import seeded_config

    return seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)


@pytest.mark.parametrize("lang,heading,level_word", [
    ("fi", "Tuloksesi", "Kokonaistaso"),
    ("sv", "Ditt resultat", "Nivå totalt"),
    ("en", "Your result", "Overall level"),
])
def test_a_whole_test_in_the_browser_pages(client, lang, heading, level_word):
    page = client.get(f"/{lang}/")
    assert page.status_code == 200 and f'<html lang="{lang}" dir="ltr">' in page.text
    r = client.post(f"/{lang}/start", data={"_csrf": csrf(page.text), "sa_reading": "B1"})
    assert r.status_code == 302 and r.location.endswith(f"/{lang}/test")
    for _ in range(80):  # a text's questions are a page each; a block of words is one page
        page = client.get(f"/{lang}/test")
        if page.status_code == 302:
            break
        r = client.post(f"/{lang}/test", data=right_answers(page.text))
        assert r.status_code == 302, r.text
    assert page.location.endswith(f"/{lang}/result")
    result = client.get(f"/{lang}/result")
    assert result.status_code == 200
    assert heading in result.text and level_word in result.text
    assert "<svg" in result.text and 'role="img"' in result.text


def test_every_skill_on_the_result_says_what_its_level_means_and_writing_says_it_is_one_answer(client):
    from assessment.cefr import LEVELS
    from services.testing.texts import LEVEL_BY_SKILL, ONE_ANSWER, SKILL_NAMES

    # every skill the test measures has a sentence for every level
    for skill in set(SKILL_NAMES) - {"speaking"}:  # spoken answers have their own feedback
        assert set(LEVEL_BY_SKILL[skill]) == set(LEVELS), skill
        assert all(str(LEVEL_BY_SKILL[skill][lvl]).startswith(("You ", "Your ")) for lvl in LEVELS), skill
    page = client.get("/en/")
    client.post("/en/start", data={"_csrf": csrf(page.text)})
    for _ in range(80):
        page = client.get("/en/test")
        if page.status_code == 302:
            break
        client.post("/en/test", data=right_answers(page.text))
    result = client.get("/en/result").text
    articles = re.findall(r'<article class="skill-result">(.*?)</article>', result, re.S)
    by_skill = {re.search(r"<h3>([^:]+):", a).group(1): a for a in articles}
    assert "Writing" in by_skill, list(by_skill)
    for name, article in by_skill.items():
        level = re.search(r'<bdi dir="ltr">([ABC][12])', article).group(1)
        key = next(k for k, v in SKILL_NAMES.items() if str(v) == name)
        assert str(LEVEL_BY_SKILL[key][level]) in article.replace("&#39;", "'"), name
        one = re.search(r"Number of questions: (\d+)\.", article).group(1) == "1"
        assert (str(ONE_ANSWER) in article) == one, name  # a single answer explains itself
    assert str(ONE_ANSWER) in by_skill["Writing"]
    # in Finnish too
    fi = client.get("/fi/result").text
    assert "perustuu vain yhteen vastaukseen" in fi


def test_continuing_without_choosing_shows_a_message_and_keeps_the_item(client):
    page = client.get("/en/")
    client.post("/en/start", data={"_csrf": csrf(page.text)})
    page = client.get("/en/test")
    item_id = current_item(page.text)
    r = client.post("/en/test", data={"_csrf": csrf(page.text), "item_id": item_id})
    assert r.status_code == 422
    assert "Choose an answer" in r.text and current_item(r.text) == item_id


def test_a_form_without_its_token_is_refused_with_a_readable_page(client):
    r = client.post("/en/start", data={})
    assert r.status_code == 400 and "form has expired" in r.text


def test_the_result_page_without_a_test_explains_what_to_do(client):
    client.get("/fi/")
    r = client.get("/en/result")
    assert r.status_code == 404 and "Start a new test" in r.text


def test_unknown_language_is_404(client):
    assert client.get("/de/").status_code == 404


def test_a_block_of_words_is_one_page_and_names_the_words_left_out(client, app):
    """One radio pair a word, every control labelled; a form sent with words left out comes
    back (422) with them named and the choices made kept; a complete one moves on and
    stores every word's own answer."""
    from sqlalchemy import select

    from services.testing.orm import SessionItem

    page = client.get("/fi/")
    client.post("/fi/start", data={"_csrf": csrf(page.text)})
    for _ in range(40):
        page = client.get("/fi/test")
        if 'name="block_id"' in page.text:
            break
        assert client.post("/fi/test", data=right_answers(page.text)).status_code == 302
    else:
        raise AssertionError("no block of words in 40 pages")
    words = block_words(page.text)
    assert 10 <= len(words) <= 14
    assert page.text.count('type="radio"') == 2 * len(words)
    # every radio sits inside its label; each pair is a fieldset whose legend is the word
    assert len(re.findall(r'<label class="yn-choice"><input type="radio"', page.text)) == 2 * len(words)
    assert page.text.count('<fieldset class="yn') == len(words)
    form = right_answers(page.text)
    left_out = words[2]
    del form[f"w_{left_out}"]
    r = client.post("/fi/test", data=form)
    assert r.status_code == 422 and 'role="alert"' in r.text
    word = re.search(r'<legend>.*?<span class="yn-word" lang="fi">([^<]+)</span></legend>'
                     r'\s*<p class="yn-error"', r.text, re.S)
    assert word is not None and word.group(1) in r.text.split('role="alert"')[1].split("</p>")[0]
    assert r.text.count(" checked") == len(words) - 1  # the other choices are kept
    assert block_words(r.text) == words
    r = client.post("/fi/test", data=right_answers(r.text))
    assert r.status_code == 302
    db = app.extensions["taitotaso.resources"].db
    with db.session() as s:
        rows = {row.item_id: row for row in s.scalars(select(SessionItem).where(SessionItem.item_id.in_(words)))}
    assert {w: rows[w].answer for w in words} == {w: KEYS[w] for w in words}
