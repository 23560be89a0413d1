"""A block of yes/no words on one page and in one request; a text's questions scored
together. On SQLite and on the real PostgreSQL and Redis."""
from __future__ import annotations

from sqlalchemy import select

from services.testing.orm import SessionItem

from .conftest import KEYS, Taker, csrf


def until(taker: Taker, wanted, limit: int = 40) -> dict:
    """Answer rightly, one request a unit, until GET /next's body satisfies ``wanted``."""
    for _ in range(limit):
        body = taker.next().json
        assert not body["done"], "the test ended first"
        if wanted(body):
            return body
        if "block" in body:
            r = taker.client.post(f"/api/v1/sessions/{taker.id}/block-responses", headers=taker.headers,
                                  json={"block_id": body["block"]["id"],
                                        "answers": {w["id"]: KEYS[w["id"]] for w in body["block"]["items"]}})
        else:
            r = taker.answer(body["item"]["id"], KEYS[body["item"]["id"]])
        assert r.status_code == 201, r.json
    raise AssertionError("not served in time")


def first_block(client) -> tuple[Taker, dict]:
    for _ in range(6):
        t = Taker(client)
        try:
            return t, until(t, lambda body: "block" in body, limit=25)
        except AssertionError:
            continue
    raise AssertionError("no yes/no block in six tests")


def post_block(t: Taker, block_id: str, answers: dict):
    return t.client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers,
                         json={"block_id": block_id, "answers": answers})


def stored(app, session_id: str) -> dict[str, SessionItem]:
    db = app.extensions["taitotaso.resources"].db
    with db.session() as s:
        return {r.item_id: r for r in s.scalars(select(SessionItem)
                                                .where(SessionItem.session_id == session_id))}


def test_a_block_comes_whole_and_is_answered_in_one_request_each_word_stored_on_its_own(client, app):
    t, body = first_block(client)
    block = body["block"]
    words = block["items"]
    assert 10 <= len(words) <= 14 and block["answered"] == 0 and block["kind"] == "yes_no"
    assert body["item"]["id"] == words[0]["id"]  # a one-item client sees the first word
    assert {w["testlet"] for w in words} == {block["id"]} and all(w["word"] for w in words)
    assert [w["testlet_position"]["index"] for w in words] == list(range(1, len(words) + 1))
    assert not {"key", "irt"} & set(words[0])
    # every word was served with the page: all rows exist, none answered
    rows = stored(app, t.id)
    assert all(rows[w["id"]].answer is None for w in words)
    before = body["progress"]["answered"]
    answers = {w["id"]: KEYS[w["id"]] for w in words}
    answers[words[0]["id"]] = "no" if KEYS[words[0]["id"]] == "yes" else "yes"  # one wrong
    r = post_block(t, block["id"], answers)
    assert r.status_code == 201, r.json
    assert r.json["answered"] == len(words) and r.json["progress"]["answered"] == before + 1
    rows = stored(app, t.id)
    assert [rows[w["id"]].answer for w in words] == [answers[w["id"]] for w in words]
    assert [rows[w["id"]].score for w in words] == [0.0] + [1.0] * (len(words) - 1)
    nxt = t.next().json
    assert nxt["done"] or nxt["item"]["id"] not in answers


def test_a_block_with_words_left_out_is_refused_naming_them_and_nothing_is_kept(client, app):
    t, body = first_block(client)
    block, words = body["block"], body["block"]["items"]
    left_out = words[3:5]
    answers = {w["id"]: KEYS[w["id"]] for w in words if w not in left_out}
    r = post_block(t, block["id"], answers)
    assert r.status_code == 422
    assert set(r.json["errors"]["answers"]) == {w["id"] for w in left_out}
    for w in left_out:
        assert w["word"] in r.json["message"]
    assert all(stored(app, t.id)[w["id"]].answer is None for w in words)
    assert t.next().json["block"]["items"] == words  # the same open words


def test_block_answers_that_do_not_fit_get_4xx_with_a_reason(client):
    t, body = first_block(client)
    block, words = body["block"], body["block"]["items"]
    full = {w["id"]: KEYS[w["id"]] for w in words}
    # not yes or no: the schema names the word
    r = post_block(t, block["id"], {**full, words[0]["id"]: "maybe"})
    assert r.status_code == 422 and words[0]["id"] in r.json["errors"]["answers"]
    # an item that is not a word of this block
    r = post_block(t, block["id"], {**full, "vo-a1-nothing": "yes"})
    assert r.status_code == 422 and "vo-a1-nothing" in r.json["errors"]["answers"]
    # a block that was not served
    r = post_block(t, "block-yes_no-vocabulary-c1-99", full)
    assert r.status_code == 409 and "not served" in r.json["message"]
    # malformed bodies
    for bad in ({"answers": full}, {"block_id": block["id"]}, {"block_id": block["id"], "answers": {}},
                {"block_id": block["id"], "answers": ["yes"]},
                {"block_id": block["id"], "answers": full, "extra": 1}):
        r = client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers, json=bad)
        assert r.status_code == 422 and r.json["message"], bad
    assert client.post(f"/api/v1/sessions/{t.id}/block-responses", json={"block_id": block["id"],
                                                                         "answers": full}).status_code == 401
    assert t.next().json["block"]["answered"] == 0


def test_the_one_word_path_still_works_and_mixes_with_the_block_request(client):
    t, body = first_block(client)
    block, words = body["block"], body["block"]["items"]
    for w in words[:2]:  # two words the old way, one request each
        assert t.answer(w["id"], KEYS[w["id"]]).status_code == 201
        nxt = t.next().json
        assert nxt["block"]["id"] == block["id"]
    assert nxt["block"]["answered"] == 2 and nxt["block"]["items"] == words[2:]
    assert nxt["item"]["id"] == words[2]["id"]
    # a word answered already cannot be answered again through the block
    r = post_block(t, block["id"], {w["id"]: KEYS[w["id"]] for w in words})
    assert r.status_code == 409 and words[0]["id"] in r.json["errors"]["answers"]
    r = post_block(t, block["id"], {w["id"]: KEYS[w["id"]] for w in words[2:]})
    assert r.status_code == 201 and r.json["answered"] == len(words) - 2
    assert r.json["progress"]["answered"] == body["progress"]["answered"] + 1
    again = post_block(t, block["id"], {w["id"]: KEYS[w["id"]] for w in words[2:]})
    assert again.status_code == 409


def test_a_text_comes_question_after_question_and_counts_as_one_answered_item(client):
    for _ in range(6):
        t = Taker(client)
        try:
            body = until(t, lambda b: b.get("item", {}).get("testlet", "").startswith("text-"))
        except AssertionError:
            continue
        break
    else:
        raise AssertionError("no text in six tests")
    text, of = body["item"]["testlet"], body["item"]["testlet_position"]["of"]
    before = body["progress"]["answered"]
    assert "stimulus" in body["item"] and "block" not in body
    for n in range(1, of + 1):
        item = body["item"]
        assert item["testlet"] == text and item["testlet_position"]["index"] == n
        r = t.answer(item["id"], KEYS[item["id"]])
        assert r.status_code == 201
        expected = before + (1 if n == of else 0)  # the text counts once, when complete
        assert r.json["progress"]["answered"] == expected
        body = t.next().json
        if r.json["done"]:
            break


def test_the_openapi_document_describes_the_block_request(client):
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/sessions/{session_id}/block-responses"]["post"]
    assert {"201", "409", "422"} <= set(op["responses"])
    schemas = doc["components"]["schemas"]
    body = schemas["BlockResponseCreate"]
    assert set(body["required"]) == {"block_id", "answers"}
    assert body["properties"]["answers"]["additionalProperties"]["enum"] == ["yes", "no"]
    assert "block" in schemas["Next"]["properties"]
