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


# -- writing and listening practice ----------------------------------------------------------
PRACTICE_TEXT = ("Minun harrastukseni on uinti. Käyn uimahallissa kaksi kertaa viikossa, "
                 "yleensä tiistaina ja torstaina illalla töiden jälkeen. Pidän uinnista, koska "
                 "se on rentouttavaa ja hyvää liikuntaa. Lisäksi uimahallissa on mukava sauna. "
                 "Tule joskus mukaan, jos haluat!")


def review_count(app) -> int:
    from sqlalchemy import func, select

    from services.scoring.orm import ScoreReview

    with app.extensions["taitotaso.testing"].db.session() as s:
        return s.scalar(select(func.count()).select_from(ScoreReview))


def test_writing_practice_scores_a_text_and_shows_level_checks_and_feedback(app, client):
    assert client.get("/en/practice/writing").status_code == 404  # no test yet
    finish_in_pages(client)
    before, reviews = stored_result(app, client), review_count(app)
    page = client.get("/en/practice/writing")
    assert page.status_code == 200 and '<textarea id="answer"' in page.text
    task = item_id_of(page.text)
    assert task.startswith("pr-") and BY_ID[task].kind == "writing_task" and BY_ID[task].status == "retired"
    assert BY_ID[task].content["prompt"].splitlines()[0] in page.text.replace("&#34;", '"')

    r = client.post("/en/practice/writing", data={"_csrf": csrf(page.text), "item_id": task,
                                                  "answer": PRACTICE_TEXT})
    assert r.status_code == 200, r.text
    level = re.search(r'Level of your text: <bdi class="level" dir="ltr">([ABC][12])</bdi>', r.text)
    assert level, r.text
    from services.testing.texts import LEVEL_BY_SKILL

    assert str(LEVEL_BY_SKILL["writing"][level.group(1)]) in r.text.replace("&#39;", "'")
    assert 'id="writing-practice-result"' in r.text
    assert "Minun harrastukseni on uinti." in r.text  # the text, shown back as sent

    # the checks are named: a text pasted three times is repetition
    r = client.post("/en/practice/writing", data={"_csrf": csrf(page.text), "item_id": task,
                                                  "answer": " ".join([PRACTICE_TEXT] * 3)})
    assert r.status_code == 200
    flags = re.search(r'<ul class="flags" id="writing-practice-flags">(.*?)</ul>', r.text, re.S)
    assert flags and "Part of the text repeats itself." in flags.group(1)
    assert 'id="writing-practice-feedback"' in r.text and "Repeated text counts only once" in r.text

    # nothing is stored: not the result, not a review
    assert stored_result(app, client) == before and review_count(app) == reviews


def test_writing_practice_refuses_bad_input_with_a_message(client):
    finish_in_pages(client)
    page = client.get("/en/practice/writing")
    task = item_id_of(page.text)
    token = csrf(page.text)
    r = client.post("/en/practice/writing", data={"_csrf": token, "item_id": task, "answer": "   "})
    assert r.status_code == 422 and 'id="answer-error"' in r.text and "Write your text" in r.text
    r = client.post("/en/practice/writing", data={"_csrf": token, "item_id": task, "answer": "a" * 7000})
    assert r.status_code == 422 and "too long" in r.text
    live = next(i for i in ITEMS if i.status == "live" and i.kind == "writing_task")
    r = client.post("/en/practice/writing", data={"_csrf": token, "item_id": live.id, "answer": PRACTICE_TEXT})
    assert r.status_code == 404 and "no such writing task" in r.text
    assert client.get("/en/practice/writing?task=nope").status_code == 404
    assert client.post("/en/practice/writing", data={"item_id": task, "answer": "x"}).status_code == 400
    # another task can be chosen
    other = re.search(r'href="(/en/practice/writing\?task=[^"]+)"', page.text).group(1)
    chosen = client.get(other)
    assert chosen.status_code == 200 and item_id_of(chosen.text) == other.split("=")[1] != task


def test_writing_practice_is_rate_limited_per_address(client):
    from services.testing.practice_pages import PRACTICE_TEXTS

    finish_in_pages(client)
    page = client.get("/en/practice/writing")
    data = {"_csrf": csrf(page.text), "item_id": item_id_of(page.text), "answer": ""}
    for _ in range(PRACTICE_TEXTS.amount):
        assert client.post("/en/practice/writing", data=data).status_code == 422
    r = client.post("/en/practice/writing", data=data | {"answer": PRACTICE_TEXT})
    assert r.status_code == 429 and r.headers.get("Retry-After") and "Wait a moment" in r.text


def test_the_weakest_skill_writing_is_offered_writing_practice(client, monkeypatch):
    from services.testing import next_steps

    finish_in_pages(client)
    monkeypatch.setattr(next_steps, "weakest_skill", lambda res: "writing")
    result = client.get("/en/result").text
    assert re.search(r'id="practice-link" href="/en/practice/writing"', result)
    practice = client.get("/en/practice").text
    assert 'id="practice-writing-offer"' in practice and 'href="/en/practice/writing"' in practice
    monkeypatch.setattr(next_steps, "weakest_skill", lambda res: "reading")
    assert 'id="practice-link" href="/en/practice"' in client.get("/en/result").text
    assert 'id="practice-writing-offer"' not in client.get("/en/practice").text


def test_the_weakest_skill_listening_is_practised_with_practice_recordings(client, monkeypatch):
    from services.testing import next_steps

    finish_in_pages(client)
    monkeypatch.setattr(next_steps, "weakest_skill", lambda res: "listening")
    page = client.get("/en/practice")
    first = item_id_of(page.text)
    item = BY_ID[first]
    assert item.skill == "listening" and item.status == "retired" and first.startswith("pr-li-")
    audio = re.search(r'<section class="stimulus listening" id="practice-audio">.*?<audio controls '
                      r'preload="auto" src="(/api/v1/assets/[0-9a-f]{64})"', page.text, re.S)
    assert audio, page.text
    recording = client.get(audio.group(1))
    assert recording.status_code == 200 and len(recording.data) > 1000
    r = client.post("/en/practice", data={"_csrf": csrf(page.text), "item_id": first, "answer": item.key})
    assert r.status_code == 200 and 'id="practice-right"' in r.text
    # the two practice recordings come first, then other skills
    second = item_id_of(client.get("/en/practice").text)
    assert BY_ID[second].skill == "listening" and second != first
