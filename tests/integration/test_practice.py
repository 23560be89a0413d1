"""Next steps after a result: courses for the level and weakest skill, and practice with
released (retired) items that gives feedback at once and never touches the result."""
from __future__ import annotations

import re

import pytest

from .test_pages import right_answers
from .conftest import ITEMS, KEYS, Taker, csrf

BY_ID = {i.id: i for i in ITEMS}


@pytest.fixture(params=["sqlite"])
def config(request, tmp_path):  # the pages use the same service layer: SQLite is enough
    from .conftest import seeded_config

    return seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)


def item_id_of(html: str) -> str:
    return re.search(r'name="item_id" value="([^"]+)"', html).group(1)


def finish_in_pages(client, lang="en"):
    page = client.get(f"/{lang}/")
    client.post(f"/{lang}/start", data={"_csrf": csrf(page.text)})
    for _ in range(60):
        page = client.get(f"/{lang}/test")
        if page.status_code == 302:
            break
        form = right_answers(page.text)  # an item, or a block of words on one page
        assert client.post(f"/{lang}/test", data=form).status_code == 302
    assert page.status_code == 302


def wrong_answer(item_id: str) -> str:
    item = BY_ID[item_id]
    if item.kind == "multiple_choice":
        return next(k for k in sorted(item.content["choices"]) if k != item.key)
    if item.kind == "yes_no":
        return "no" if item.key == "yes" else "yes"
    return "qwerty"


def stored_result(app, client) -> dict:
    with client.session_transaction() as sess:
        current = sess["test"]
    return app.extensions["taitotaso.testing"].result(current["id"], current["token"])


def test_result_lists_courses_and_practice_gives_feedback_without_changing_the_result(app, client):
    finish_in_pages(client)
    page = client.get("/en/result")
    assert page.status_code == 200
    assert "Courses and services for you" in page.text
    assert page.text.count('class="next-step ') in range(1, 5)
    assert "Practise next: " in page.text
    assert 'id="practice-link"' in page.text and "Practise your weakest skill" in page.text
    before = stored_result(app, client)

    practice = client.get("/en/practice")
    assert practice.status_code == 200
    first = item_id_of(practice.text)
    assert first.startswith("pr-") and BY_ID[first].status == "retired"
    r = client.post("/en/practice", data={"_csrf": csrf(practice.text), "item_id": first,
                                          "answer": KEYS[first]})
    assert r.status_code == 200 and 'id="practice-right"' in r.text
    assert "1 of 1 right" in r.text

    practice = client.get("/en/practice")
    second = item_id_of(practice.text)
    assert second.startswith("pr-") and second != first
    r = client.post("/en/practice", data={"_csrf": csrf(practice.text), "item_id": second,
                                          "answer": wrong_answer(second)})
    assert r.status_code == 200 and 'id="practice-wrong"' in r.text
    item = BY_ID[second]
    correct = (item.content["choices"][item.key] if item.kind == "multiple_choice"
               else item.content["text"].replace("___", item.accept[0]))
    assert f'id="practice-correct">{correct}<' in r.text.replace("&#34;", '"')
    assert "1 of 2 right" in r.text and "Next" in r.text

    assert stored_result(app, client) == before


def test_the_practice_page_in_finnish_and_without_a_test(client):
    r = client.get("/fi/practice")
    assert r.status_code == 404
    finish_in_pages(client, "fi")
    page = client.get("/fi/practice")
    assert page.status_code == 200 and '<html lang="fi" dir="ltr">' in page.text
    assert item_id_of(page.text).startswith("pr-")


def test_practice_only_serves_the_items_of_the_candidates(client):
    """A live item's id sent to the practice form is not scored (its key stays hidden)."""
    finish_in_pages(client)
    page = client.get("/en/practice")
    live = next(i for i in ITEMS if i.status == "live" and i.kind == "multiple_choice")
    r = client.post("/en/practice", data={"_csrf": csrf(page.text), "item_id": live.id,
                                          "answer": live.key})
    assert r.status_code == 303


def test_without_retired_items_the_page_says_so(app, client):
    from sqlalchemy import update

    from item_bank.orm import ItemRow

    finish_in_pages(client)
    db = app.extensions["taitotaso.testing"].db
    with db.session() as s:
        s.execute(update(ItemRow).where(ItemRow.status == "retired").values(status="draft"))
        s.commit()
    page = client.get("/en/practice")
    assert page.status_code == 200 and 'id="practice-none"' in page.text
    assert 'name="item_id"' not in page.text


def test_the_adaptive_test_never_serves_a_practice_item(client):
    def wrong_where_possible(item):
        if BY_ID[item["id"]].kind in ("multiple_choice", "yes_no", "cloze"):
            return wrong_answer(item["id"])
        return KEYS[item["id"]]

    for choose in (lambda item: KEYS[item["id"]], wrong_where_possible):
        served = Taker(client, "en").finish(choose)
        assert served and not any(i["id"].startswith("pr-") for i in served)
