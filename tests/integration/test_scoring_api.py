"""POST /api/v1/scoring/writing and the review queue, through the suite's gateway, on
SQLite and on the real PostgreSQL and Redis."""
from __future__ import annotations

import io

import pytest

from services.common.accounts import create_staff
from services.gateway import create_app as suite

from .conftest import GOOD_TEXT, Taker, as_scoring_client

PROMPT = "Kerro, millainen oli ensimmäinen työpäiväsi Suomessa."


@pytest.fixture
def app(config):
    application = suite(config)
    yield application


@pytest.fixture
def client(app):
    return as_scoring_client(app.test_client())


def test_a_written_answer_gets_a_level_subscores_confidence_and_feedback(client):
    r = client.post("/api/v1/scoring/writing", json={"prompt_text": PROMPT, "answer": GOOD_TEXT})
    assert r.status_code == 200, r.json
    body = r.json
    assert body["cefr"] in ("A1", "A2", "B1", "B2", "C1", "C2")
    assert set(body["subscores"]) == {"task", "vocabulary", "accuracy", "coherence"}
    assert 0 <= body["confidence"] <= 1 and isinstance(body["feedback"], list)
    weak = client.post("/api/v1/scoring/writing",
                       json={"prompt_text": PROMPT, "answer": "Mä olen töisä. Se oli kiva päivä."}).json
    assert ["A1", "A2", "B1", "B2", "C1", "C2"].index(weak["cefr"]) < \
        ["A1", "A2", "B1", "B2", "C1", "C2"].index(body["cefr"])
    assert any(f["code"] == "misspelt_words" for f in weak["feedback"])


@pytest.mark.parametrize("answer,recognised", [
    ("", "empty"),
    ("I started my first job in Finland last year and it was great fun.", "not_finnish"),
    (PROMPT, "copy_of_prompt"),
])
def test_answers_that_are_not_finnish_writing_are_recognised(client, answer, recognised):
    body = client.post("/api/v1/scoring/writing", json={"prompt_text": PROMPT, "answer": answer}).json
    assert body["recognised_as"] == recognised and body["cefr"] == "A1"


def test_a_task_of_the_bank_can_be_named_instead_of_a_prompt(client):
    from .conftest import ITEMS

    task = next(i for i in ITEMS if i.kind == "writing_task")
    r = client.post("/api/v1/scoring/writing", json={"task_id": task.id, "answer": GOOD_TEXT})
    assert r.status_code == 200
    assert client.post("/api/v1/scoring/writing",
                       json={"task_id": "no-such-task", "answer": "Hei"}).status_code == 404


@pytest.mark.parametrize("kwargs,status", [
    ({"json": {"prompt_text": PROMPT}}, 422),                                   # no answer
    ({"json": {"answer": "x", "task_id": "a", "prompt_text": "b"}}, 422),       # both
    ({"json": {"answer": "sana " * 5001}}, 422),                                # too long
    ({"data": "{broken", "content_type": "application/json"}, 400),
    ({"data": "plain", "content_type": "text/plain"}, 415),
    ({"file": b"\x00\x01\x02"}, 422),                                        # binary
    ({"file": "Hyvää päivää".encode("latin-1")}, 422),                         # not UTF-8
])
def test_bad_input_gets_a_clear_4xx(client, kwargs, status):
    if "file" in kwargs:  # a fresh upload for every run
        kwargs = {"data": {"answer_file": (io.BytesIO(kwargs["file"]), "answer.txt")},
                  "content_type": "multipart/form-data"}
    r = client.post("/api/v1/scoring/writing", **kwargs)
    assert r.status_code == status and r.json["message"]


def test_html_is_scored_on_its_words_not_refused(client):
    r = client.post("/api/v1/scoring/writing",
                    json={"prompt_text": PROMPT, "answer": f"<p>{GOOD_TEXT}</p><script>x()</script>"})
    assert r.status_code == 200 and r.json["recognised_as"] == "finnish_text"


def test_uncertain_scores_wait_in_the_review_queue_for_staff(app, client):
    db = app.extensions["taitotaso.resources"].db
    ids = []
    for text in (GOOD_TEXT, "Minä olen Olga. Minä asun Espoossa. Minä olen myyjä kaupassa.",
                 "Työpäivä oli pitkä mutta mukava, koska työkaverit auttoivat minua paljon."):
        body = client.post("/api/v1/scoring/writing", json={"prompt_text": PROMPT, "answer": text}).json
        if "review_id" in body:
            ids.append(body["review_id"])
    assert client.get("/api/v1/scoring/reviews").status_code == 401
    create_staff(db, "coach@example.fi", "Coach", ["reviewer"], "tarkistaja-sana-2468")
    staff = app.test_client()
    assert staff.post("/authoring/api/v1/auth/sign-in",
                      json={"email": "coach@example.fi", "password": "tarkistaja-sana-2468"}).status_code == 200
    queue = staff.get("/api/v1/scoring/reviews").json["reviews"]
    assert [q["id"] for q in queue] == ids
    if ids:
        done = staff.post(f"/api/v1/scoring/reviews/{ids[0]}", json={"cefr": "B1", "note": "ok"})
        assert done.status_code == 200 and done.json["reviewed_cefr"] == "B1"
        again = staff.post(f"/api/v1/scoring/reviews/{ids[0]}", json={"cefr": "B2"})
        assert again.status_code == 409


def test_writing_tasks_in_the_adaptive_test_are_scored_on_submission(config):
    from sqlalchemy import select

    from services.testing.app import create_app as testing_app
    from services.testing.orm import SessionItem

    app = testing_app(config)
    t = Taker(app.test_client())
    t.finish()
    db = app.extensions["taitotaso.resources"].db
    with db.session() as s:
        rows = s.scalars(select(SessionItem).where(SessionItem.session_id == t.id,
                                                   SessionItem.item_id.like("wr-%"))).all()
    assert rows, "the blueprint gives a writing task"
    assert all(r.score is not None and 0 <= r.score <= 5 for r in rows)
    assert "writing" in t.result().json["skills"]


def test_feedback_comes_in_the_learners_interface_language(client):
    text = "Mä olen töisä kaupasa. Se oli kiva päivä."
    fi = client.post("/api/v1/scoring/writing", json={"prompt_text": PROMPT, "answer": text,
                                                       "ui_language": "fi"}).json
    en = client.post("/api/v1/scoring/writing", json={"prompt_text": PROMPT, "answer": text}).json
    fi_spelling = next(f for f in fi["feedback"] if f["code"] == "misspelt_words")
    en_spelling = next(f for f in en["feedback"] if f["code"] == "misspelt_words")
    assert "töisä" in fi_spelling["message"] and fi_spelling["message"] != en_spelling["message"]
    assert en_spelling["message"].startswith("Check the spelling")


SICK_A1 = ("Hei Pekka. Mä oon kipee. Mulla on kuume ja pää on kipee. En tule huomena töihin. "
           "Mä meen lääkäri. Anteeks. Terveisin Ali")
CLIMATE = ("Suomessa on neljä selvästi erilaista vuodenaikaa. Talvi on pohjoisessa pitkä ja luminen, "
           "ja kaamoksen aikana aurinko ei nouse lainkaan horisontin yläpuolelle. Etelärannikolla "
           "talvet ovat leudompia, mutta sielläkin pakkanen voi kiristyä kovaksi. Kesällä yöt ovat "
           "valoisia, ja Lapissa aurinko paistaa keskiyölläkin.")


def test_padding_repetition_and_word_lists_never_raise_a_level_and_go_to_a_coach(client):
    def score(answer):
        r = client.post("/api/v1/scoring/writing", json={"task_id": "wr-a2-viesti-sairas", "answer": answer,
                                                          "ui_language": "fi"})
        assert r.status_code == 200, r.json
        return r.json

    alone = score(SICK_A1)
    assert alone["flags"] == [] and alone["checks_changed_level"] is False
    padded = score(SICK_A1 + "\n\n" + CLIMATE)
    assert padded["cefr"] == alone["cefr"] == "A1"
    assert "off_task" in padded["flags"] and padded["unchecked_cefr"] != "A1"
    assert padded["checks_changed_level"] is True and "review_id" in padded
    assert padded["confidence"] < alone["confidence"]
    assert any("tehtävä" in f["message"] for f in padded["feedback"])    # named in Finnish
    twice = score(SICK_A1 + "\n\n" + SICK_A1)
    assert twice["cefr"] == alone["cefr"] and twice["score"] == alone["score"]
    assert "repetition" in twice["flags"] and twice["evidence"]["repeated_share"] == 0.5
    words = score("\n".join(["kestävyys", "hyvinvointi", "yhteiskunta", "osallisuus", "kehittäminen",
                             "vuorovaikutus", "merkitys", "vastuullisuus", "monimuotoisuus"]))
    assert words["recognised_as"] == "word_list" and words["cefr"] == "A1" and "word_list" in words["flags"]
