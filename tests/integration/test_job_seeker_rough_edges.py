"""Rough edges of the job seeker's test pages found on a first visit (issue 17): a text's
questions numbered in the order served, answers of only spaces refused with a message, an
answer from a stale second tab reported instead of dropped, writing prompts with their line
breaks and the length stated once."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import yaml

from item_bank.content import CONTENT_DIR
from services.common.item_view import LENGTH_LINE, prompt_lines

from .conftest import Taker, csrf
from .test_pages import right_answers


@pytest.fixture(params=["sqlite"])
def config(request, tmp_path):  # the pages use the same service layer: SQLite is enough
    from .conftest import seeded_config

    return seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)


def current_item(html: str) -> str:
    return re.search(r'name="item_id" value="([^"]+)"', html).group(1)


def started(client, lang="en") -> str:
    page = client.get(f"/{lang}/")
    client.post(f"/{lang}/start", data={"_csrf": csrf(page.text)})
    page = client.get(f"/{lang}/test").text
    while 'name="block_id"' in page:  # a block of words first: answer it to reach one item
        form = {"_csrf": csrf(page), "block_id": re.search(r'name="block_id" value="([^"]+)"', page).group(1)}
        form |= {f"w_{w}": "yes" for w in dict.fromkeys(re.findall(r'name="w_([^"]+)"', page))}
        client.post(f"/{lang}/test", data=form)
        page = client.get(f"/{lang}/test").text
    return page


def test_a_texts_first_question_served_is_question_1_whatever_its_place_in_the_bank(app):
    """The engine picks a text's questions adaptively: the second question of the bank may
    come first, and it is then question 1 of the text, the next one question 2."""
    service = app.extensions["taitotaso.testing"]
    bank = service.bank.get()
    texts: dict[str, list] = {}
    for item in bank.items.values():
        if item.testlet and item.testlet.startswith("text-"):
            texts.setdefault(item.testlet, []).append(item)
    text, items = next((t, sorted(i, key=lambda x: x.position)) for t, i in texts.items() if len(i) >= 2)
    second, first = items[1], items[0]
    rows = [SimpleNamespace(item_id=second.id, seq=4, testlet_id=text, answer=None, pretest=False, skill=second.skill)]
    shown = service._served(second, rows)["item"]["testlet_position"]
    assert shown == {"index": 1, "of": len(items)}
    rows = [SimpleNamespace(item_id=second.id, seq=4, testlet_id=text, answer="a", pretest=False, skill=second.skill),
            SimpleNamespace(item_id=first.id, seq=5, testlet_id=text, answer=None, pretest=False, skill=second.skill)]
    assert service._served(first, rows)["item"]["testlet_position"] == {"index": 2, "of": len(items)}


def test_an_answer_of_only_spaces_is_refused_with_a_message_and_the_question_kept(client):
    page = started(client)
    item_id = current_item(page)
    r = client.post("/en/test", data={"_csrf": csrf(page), "item_id": item_id, "answer": "   \t "})
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert "only spaces" in r.text and current_item(r.text) == item_id


def test_the_api_refuses_an_answer_of_only_spaces(client):
    t = Taker(client)
    item = t.next().json["item"]
    r = t.answer(item["id"], "    ")
    assert r.status_code == 422 and "only spaces" in r.json["message"]
    assert t.next().json["item"]["id"] == item["id"]  # still waiting for its answer


def test_an_answer_from_a_stale_second_tab_is_reported_not_dropped_silently(client):
    page = started(client)  # the same page open in two tabs
    item_id = current_item(page)
    answer = right_answers(page)
    assert answer["item_id"] == item_id
    assert client.post("/en/test", data=answer).status_code == 302  # tab 1
    r = client.post("/en/test", data=answer)  # tab 2, showing the same question
    assert r.status_code == 302
    after = client.get("/en/test")
    assert after.status_code == 200 and 'id="answered-elsewhere"' in after.text
    assert "was not saved" in after.text
    assert 'id="answered-elsewhere"' not in client.get("/en/test").text  # said once


def test_every_writing_prompt_keeps_its_lines_and_leaves_the_length_to_the_page():
    with open(CONTENT_DIR / "writing.yaml", encoding="utf-8") as fh:
        items = yaml.safe_load(fh)["items"]
    assert items
    for item in items:
        shown = prompt_lines(item["prompt"], item["min_words"], item["max_words"])
        lines = [ln for para in shown for ln in para]
        stated = LENGTH_LINE.format(min=item["min_words"], max=item["max_words"])
        assert stated not in lines, item["id"]
        # every other line of the prompt is kept as a line of its own
        original = [ln.strip() for ln in item["prompt"].splitlines() if ln.strip()]
        assert lines == [ln for ln in original if ln.replace("–", "-") != stated.replace("–", "-")], item["id"]


def test_a_prompt_of_another_length_keeps_its_own_statement():
    prompt = "Kirjoita viesti.\n– kuka olet\n– mitä haluat\nKirjoita 40–60 sanaa."
    assert prompt_lines(prompt, 15, 30) == [["Kirjoita viesti.", "– kuka olet", "– mitä haluat",
                                            "Kirjoita 40–60 sanaa."]]
    assert prompt_lines(prompt, 40, 60) == [["Kirjoita viesti.", "– kuka olet", "– mitä haluat"]]
