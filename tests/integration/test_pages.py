"""The job seeker's pages through the Flask test client, in all three languages."""
from __future__ import annotations

import re

import pytest

from .conftest import KEYS, csrf


def current_item(html: str) -> str:
    return re.search(r'name="item_id" value="([^"]+)"', html).group(1)


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
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    r = client.post(f"/{lang}/start", data={"_csrf": csrf(page.text), "sa_reading": "B1"})
    assert r.status_code == 302 and r.location.endswith(f"/{lang}/test")
    for _ in range(40):
        page = client.get(f"/{lang}/test")
        if page.status_code == 302:
            break
        item_id = current_item(page.text)
        form = {"_csrf": csrf(page.text), "item_id": item_id}
        if isinstance(KEYS[item_id], list):  # a C-test: one field per gap
            form.update({f"answer_{i}": part for i, part in enumerate(KEYS[item_id])},
                        gaps=str(len(KEYS[item_id])))
        else:
            form["answer"] = KEYS[item_id]
        r = client.post(f"/{lang}/test", data=form)
        assert r.status_code == 302, r.text
    assert page.location.endswith(f"/{lang}/result")
    result = client.get(f"/{lang}/result")
    assert result.status_code == 200
    assert heading in result.text and level_word in result.text
    assert "<svg" in result.text and 'role="img"' in result.text


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
