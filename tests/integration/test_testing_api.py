"""The session API end to end, on SQLite and on the real PostgreSQL and Redis."""
from __future__ import annotations

import json

import pytest

from services.testing.app import create_app

from .conftest import KEYS, Taker


def wrong_answer(item):
    if item["kind"] in ("cloze", "dictation", "sentence_building"):
        return "väärin"
    if item["kind"] == "writing_task":
        return "en tiedä"
    if item["kind"] == "c_test":
        return ["x"] * item["max_score"]
    return next(c["id"] for c in item["choices"] if c["id"] != KEYS[item["id"]])


def scored_units(served) -> int:
    """Items as the test's length counts them: a block of yes/no words is one."""
    blocks = {i["testlet"] for i in served if i.get("testlet", "").startswith("block-")}
    return len([i for i in served if not i.get("testlet", "").startswith("block-")]) + len(blocks)


def test_a_whole_test_with_right_answers_ends_high_and_with_wrong_ones_low(client):
    strong = Taker(client, "en")
    served = strong.finish()
    assert 15 <= scored_units(served) <= 30
    assert len({i["id"] for i in served}) == len(served)
    high = strong.result().json
    weak = Taker(client, "sv")
    weak.finish(choose=wrong_answer)
    low = weak.result().json
    # the bank has items up to C1: all right is "C1 or higher", never a C2 it cannot tell apart
    assert high["overall"]["cefr"] == "C1" and high["overall"]["at_least"] is True
    assert low["overall"]["cefr"] == "A1" and low["overall"]["at_least"] is False
    for res in (high, low):
        assert set(res["overall"]) >= {"cefr", "theta", "sem", "certainty"}
        assert set(res["skills"]) <= {"reading", "listening", "vocabulary", "structure", "writing"}
        assert {"reading", "vocabulary", "structure"} <= set(res["skills"])
        for est in res["skills"].values():
            assert est["sem"] > 0 and est["cefr"] in ("A1", "A2", "B1", "B2", "C1", "C2")


def test_keys_and_irt_parameters_never_leave_the_server(client):
    t = Taker(client)
    for _ in range(5):
        body = t.next().json
        text = json.dumps(body)
        item = body["item"]
        assert not {"key", "accept", "irt", "a", "b", "c", "cefr"} & set(item)
        assert '"irt"' not in text and '"key"' not in text
        t.answer(item["id"], KEYS[item["id"]])


def test_reading_questions_of_one_text_come_one_after_another(client):
    t = Taker(client)
    served = t.finish()
    order = [i.get("testlet") for i in served]
    seen_done = set()
    for prev, cur in zip(order, order[1:]):
        if prev and cur != prev:
            seen_done.add(prev)
        assert cur is None or cur not in seen_done, "a text came back after other items"


def test_next_is_idempotent_until_answered(client):
    t = Taker(client)
    first = t.next().json["item"]["id"]
    assert t.next().json["item"]["id"] == first


def test_answers_to_items_not_served_or_given_twice_are_refused_and_change_nothing(client):
    t = Taker(client)
    item = t.next().json["item"]
    other = next(k for k in KEYS if k != item["id"])
    r = t.answer(other, KEYS[other])
    assert r.status_code == 409 and "not served" in r.json["message"]
    assert t.answer(item["id"], KEYS[item["id"]]).status_code == 201
    again = t.answer(item["id"], KEYS[item["id"]])
    assert again.status_code == 409 and "already been answered" in again.json["message"]
    assert t.next().json["progress"]["answered"] == 1


@pytest.mark.parametrize("body,field", [
    ({"answer": "a"}, "item_id"),
    ({"item_id": "x"}, "answer"),
    ({"item_id": "x", "answer": "a", "extra": 1}, "extra"),
    ({"item_id": 5, "answer": "a"}, "item_id"),
])
def test_malformed_response_bodies_get_422_naming_the_field(client, body, field):
    t = Taker(client)
    t.next()
    r = client.post(f"/api/v1/sessions/{t.id}/responses", headers=t.headers, json=body)
    assert r.status_code == 422
    assert field in r.json["errors"]
    assert r.json["message"]
    assert t.next().json["progress"]["answered"] == 0


def test_an_answer_of_the_wrong_shape_gets_422_and_the_item_stays_open(client):
    t = Taker(client)
    item = t.next().json["item"]
    r = t.answer(item["id"], {"not": "an answer"})
    assert r.status_code == 422 and "answer" in r.json["errors"]
    assert t.next().json["item"]["id"] == item["id"]


def test_not_json_at_all_gets_400_with_a_message(client):
    r = client.post("/api/v1/sessions", data="{broken", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json["message"]


@pytest.mark.parametrize("body", [{"ui_language": "de"}, {}, {"ui_language": "fi", "self_assessment": {"reading": "X9"}},
                                  {"ui_language": "fi", "self_assessment": {"cooking": "B1"}}])
def test_bad_session_requests_get_422(client, body):
    r = client.post("/api/v1/sessions", json=body)
    assert r.status_code == 422 and r.json["message"]


def test_a_session_belongs_to_its_token(client):
    a, b = Taker(client), Taker(client)
    assert client.get(f"/api/v1/sessions/{a.id}/next").status_code == 401
    r = client.get(f"/api/v1/sessions/{a.id}/next", headers=b.headers)
    assert r.status_code == 404
    assert client.get("/api/v1/sessions/nope/next", headers=a.headers).status_code == 404


def test_result_before_the_end_is_a_clear_409(client):
    t = Taker(client)
    r = t.result()
    assert r.status_code == 409 and "not finished" in r.json["message"]


def test_a_session_survives_a_restart_of_the_server(config):
    first = create_app(config)
    t = Taker(first.test_client())
    item = t.next().json["item"]
    t.answer(item["id"], KEYS[item["id"]])
    pending = t.next().json["item"]["id"]
    first.extensions["taitotaso.resources"].db.dispose()

    second = create_app(config)
    t.client = second.test_client()
    body = t.next().json
    assert body["item"]["id"] == pending and body["progress"]["answered"] == 1
    t.finish()
    assert t.result().status_code == 200


def test_self_assessment_moves_the_first_item(client):
    low = Taker(client, self_assessment={"reading": "A1", "vocabulary": "A1", "structure": "A1"})
    high = Taker(client, self_assessment={"reading": "C1", "vocabulary": "C1", "structure": "C1"})
    levels = ["a1", "a2", "b1", "b2", "c1"]
    first_low = low.next().json["item"]["id"].split("-")[1]
    first_high = high.next().json["item"]["id"].split("-")[1]
    # the first unit is the most informative at the prior: a long C-test spans several
    # levels, so a low start can get one aimed at B1, never one aimed above the high start's
    assert first_low in ("a1", "a2", "b1") and first_high in ("b2", "c1")
    assert levels.index(first_low) < levels.index(first_high)


def test_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/sessions", "/api/v1/sessions/{session_id}/next",
            "/api/v1/sessions/{session_id}/responses",
            "/api/v1/sessions/{session_id}/result"} <= set(doc["paths"])


def test_unknown_paths_get_the_same_json_error_shape(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and set(r.json) >= {"code", "status", "message"}


def test_every_kind_arrives_with_what_its_page_needs(client):
    """The API passes each kind's fields through (C-test parts, recordings, words)."""
    seen = {}
    for _ in range(6):
        t = Taker(client)
        while True:
            body = t.next().json
            if body["done"]:
                break
            item = body["item"]
            seen.setdefault(item["kind"], item)
            t.answer(item["id"], KEYS[item["id"]])
        if {"c_test", "dictation", "sentence_building"} <= set(seen):
            break
    assert {"c_test", "dictation"} & set(seen), f"only {sorted(seen)} were served"
    need = {"multiple_choice": ("prompt", "choices"), "yes_no": ("word", "choices"),
            "cloze": ("text_before", "text_after"), "dictation": ("audio", "max_score"),
            "c_test": ("parts", "max_score"), "sentence_building": ("words",),
            "writing_task": ("prompt", "min_words", "max_words")}
    for kind, item in seen.items():
        for field in need.get(kind, ()):
            assert field in item, f"{kind} item lacks {field}"
    if "dictation" in seen:
        audio = client.get(seen["dictation"]["audio"])
        assert audio.status_code == 200 and audio.mimetype == "audio/ogg"


def test_yes_no_words_come_as_a_block_answered_one_by_one_and_counted_as_one_item(client):
    """A block of yes/no words (real words and pseudowords) is served word after word, on
    the yes/no page each word already has, and counts as one item once all are answered."""
    for _ in range(8):
        t = Taker(client)
        block, progress_before, progress_inside = [], None, []
        while True:
            body = t.next().json
            if body["done"]:
                break
            item = body["item"]
            in_block = item.get("testlet", "").startswith("block-")
            if in_block and not block:
                progress_before = body["progress"]["answered"]
            if in_block:
                block.append(item)
                progress_inside.append(body["progress"]["answered"])
            r = t.answer(item["id"], KEYS[item["id"]])
            if block and not in_block:
                break
            if block and in_block and len(block) == item["testlet_position"]["of"]:
                assert r.json["progress"]["answered"] == progress_before + 1
        if block:
            break
    assert block, "no yes/no block was served in eight tests"
    assert {i["kind"] for i in block} == {"yes_no"} and len({i["testlet"] for i in block}) == 1
    assert 10 <= len(block) == block[0]["testlet_position"]["of"] <= 14
    assert [i["testlet_position"]["index"] for i in block] == list(range(1, len(block) + 1))
    assert set(progress_inside) == {progress_before}  # the block counts once, when complete
    assert {KEYS[i["id"]] for i in block} == {"yes", "no"}  # real words and pseudowords
