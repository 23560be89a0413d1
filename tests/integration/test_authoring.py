"""The authoring service: staff sign in, write and review items, and the testing service
picks up what goes live. On SQLite and on the real PostgreSQL and Redis."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from item_bank.orm import ItemRow
from item_bank.repository import ItemRepository
from services.authoring.app import create_app
from services.common import accounts
from services.common.accounts import AccountError, authenticate, create_staff
from services.common.queue import QUEUE_NAME, JobContext, set_worker_context
from services.testing.app import create_app as make_testing_app

from .conftest import GOOD_TEXT, Taker, csrf

PASSWORD = "oikea-salasana-1"

CLOZE = {"id": "st-a2-uusi-kirjasto", "kind": "cloze", "skill": "structure", "cefr": "A2",
         "topic": "city_services", "text": "Lainaan kirjoja ___.", "hint": "kirjasto",
         "accept": ["kirjastosta"], "focus": "elative"}


@pytest.fixture
def app(config):
    application = create_app(config)
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


@pytest.fixture
def db(app):
    return app.extensions["taitotaso.resources"].db


@pytest.fixture
def staff(db):
    return {"author": create_staff(db, "aino.author@example.fi", "Aino Author", ["author"], PASSWORD),
            "reviewer": create_staff(db, "riku.reviewer@example.fi", "Riku Reviewer", ["reviewer"],
                                     PASSWORD)}


def signed_in(app, staff, role):
    client = app.test_client()
    r = client.post("/api/v1/auth/sign-in", json={"email": staff[role].email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return client


@pytest.fixture
def author(app, staff):
    return signed_in(app, staff, "author")


@pytest.fixture
def reviewer(app, staff):
    return signed_in(app, staff, "reviewer")


def live_keys(db) -> dict:
    """Right answers of the live items (a good text for writing tasks, which have no key)."""
    with db.session() as s:
        return {i.id: i.key if i.key is not None else GOOD_TEXT for i in ItemRepository(s).live_items()}


def bank_version(db) -> str:
    with db.session() as s:
        return ItemRepository(s).bank_version()


def error_shape(r, code):
    assert r.status_code == code, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.is_json and r.json["code"] == code and r.json["message"] and r.json["status"]
    return r.json


# -- accounts and signing in -------------------------------------------------------------
def test_passwords_are_argon2id_hashes_checked_in_constant_time(db, staff):
    with db.session() as s:
        stored = s.scalar(select(accounts.StaffUser.password_hash)
                          .where(accounts.StaffUser.email == staff["author"].email))
    assert stored.startswith("$argon2id$v=19$") and PASSWORD not in stored
    assert accounts.verify_password(PASSWORD, stored) and not accounts.verify_password("x", stored)
    assert authenticate(db, "AINO.author@example.fi ", PASSWORD).roles == ("author",)
    assert authenticate(db, "aino.author@example.fi", "wrong") is None
    assert authenticate(db, "nobody@example.fi", PASSWORD) is None
    with pytest.raises(AccountError, match="already exists"):
        create_staff(db, "aino.author@example.fi", "Toinen", ["author"], PASSWORD)
    with pytest.raises(AccountError, match="roles"):
        create_staff(db, "x@example.fi", "X", ["root"], PASSWORD)
    with pytest.raises(AccountError, match="at least"):
        create_staff(db, "y@example.fi", "Y", ["author"], "short")
    made, generated = accounts.add_staff(db, "uusi@example.fi", "Uusi", "reviewer")
    assert generated and authenticate(db, "uusi@example.fi", generated).id == made.id
    assert accounts.add_staff(db, "toka@example.fi", "Toka", "author", PASSWORD)[1] is None
    accounts.set_active(db, "aino.author@example.fi", False)
    assert authenticate(db, "aino.author@example.fi", PASSWORD) is None


def test_sign_in_with_the_form_right_and_wrong(app, staff):
    client = app.test_client()
    r = client.get("/items?skill=reading")
    assert r.status_code == 302 and "/sign-in?next=" in r.location
    page = client.get(r.location)
    assert page.status_code == 200 and 'type="password"' in page.text
    bad = client.post("/sign-in", data={"_csrf": csrf(page.text), "email": staff["author"].email,
                                        "password": "väärä"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 401 and "The email address or the password is wrong." in bad.text
    unknown = client.post("/sign-in", data={"_csrf": csrf(page.text), "email": "ei@example.fi",
                                            "password": "väärä"}, headers={"Accept-Language": "en"})
    assert unknown.status_code == 401 and "The email address or the password is wrong." in unknown.text
    ok = client.post("/sign-in", data={"_csrf": csrf(page.text), "email": staff["author"].email,
                                       "password": PASSWORD, "next": "/items?skill=reading"})
    assert ok.status_code == 302 and ok.location.endswith("/items?skill=reading")
    items = client.get("/items")
    assert items.status_code == 200 and "Aino Author" in items.text
    me = client.get("/api/v1/auth/me").json
    assert me["roles"] == ["author"] and me["provider"] == "password"
    # somewhere outside this app is never where signing in leads
    evil = client.post("/sign-in", data={"_csrf": csrf(items.text), "email": staff["author"].email,
                                         "password": PASSWORD, "next": "//evil.example/"})
    assert evil.location.endswith("/items")
    items = client.get("/items")
    out = client.post("/sign-out", data={"_csrf": csrf(items.text)})
    assert out.status_code == 302
    assert client.get("/items").status_code == 302
    error_shape(client.get("/api/v1/items"), 401)


def test_five_failures_lock_the_email_for_a_while(app, staff, monkeypatch):
    client = app.test_client()
    email = staff["reviewer"].email
    for _ in range(4):
        error_shape(client.post("/api/v1/auth/sign-in", json={"email": email, "password": "x"}), 401)
    locked = error_shape(client.post("/api/v1/auth/sign-in", json={"email": email, "password": "x"}), 429)
    assert "try again in" in locked["message"] and "min" in locked["message"]
    # the right password does not help until the failures are old enough
    error_shape(client.post("/api/v1/auth/sign-in", json={"email": email, "password": PASSWORD}), 429)
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"_csrf": csrf(page.text), "email": email, "password": PASSWORD},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    # another email is not locked
    assert client.post("/api/v1/auth/sign-in", json={"email": staff["author"].email,
                                                     "password": PASSWORD}).status_code == 200
    # 15 minutes later the email may try again (the clock of the rate limit's windows moved on)
    import time

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 15 * 60 + 1)
    assert client.post("/api/v1/auth/sign-in", json={"email": email,
                                                     "password": PASSWORD}).status_code == 200


def test_every_page_and_api_call_needs_a_staff_member(app):
    client = app.test_client()
    for path in ("/", "/items", "/items/new", "/items/vo-a1-yn-talo", "/items/x/preview"):
        r = client.get(path)
        assert r.status_code == 302 and "/sign-in" in r.location, path
    for path in ("/api/v1/items", "/api/v1/items/x", "/api/v1/items/x/statistics",
                 "/api/v1/openapi.json"):
        error_shape(client.get(path), 401)
    error_shape(client.post("/api/v1/items", json=CLOZE), 401)
    assert client.get("/healthz").status_code == 200


# -- creating, listing, editing ----------------------------------------------------------
def test_an_author_creates_lists_filters_searches_and_edits_a_draft(author):
    r = author.post("/api/v1/items", json=CLOZE)
    assert r.status_code == 201, r.json
    body = r.json
    assert body["item"]["status"] == "draft" and body["item"]["version"] == 1
    assert body["item"]["key"] == "kirjastosta" and body["item"]["source"]["accept"] == ["kirjastosta"]
    assert [v["status"] for v in body["versions"]] == ["draft"]
    error_shape(author.post("/api/v1/items", json=CLOZE), 409)  # the id is taken

    found = author.get("/api/v1/items?status=draft").json
    assert [i["id"] for i in found["items"]] == [CLOZE["id"]] and found["total"] == 1
    found = author.get("/api/v1/items?q=LAINAAN+kirjoja&kind=cloze").json
    assert [i["id"] for i in found["items"]] == [CLOZE["id"]]
    assert found["items"][0]["summary"] == "Lainaan kirjoja ___."
    assert author.get("/api/v1/items?q=uusi-kirjasto").json["total"] == 1
    assert author.get("/api/v1/items?q=kirjoja&skill=reading").json["total"] == 0
    reading_b1 = author.get("/api/v1/items?skill=reading&cefr=B1&per_page=5").json
    assert reading_b1["total"] > 5 and len(reading_b1["items"]) == 5 and reading_b1["pages"] > 1
    assert all(i["skill"] == "reading" and i["cefr"] == "B1" for i in reading_b1["items"])
    page2 = author.get("/api/v1/items?skill=reading&cefr=B1&per_page=5&page=2").json
    assert not {i["id"] for i in page2["items"]} & {i["id"] for i in reading_b1["items"]}

    edited = author.put(f"/api/v1/items/{CLOZE['id']}", json={**CLOZE, "hint": "kirjasto (paikka)"})
    assert edited.status_code == 200, edited.json
    assert edited.json["item"]["version"] == 1 and edited.json["new_version"] is False
    assert edited.json["item"]["content"]["hint"] == "kirjasto (paikka)"
    assert [e["action"] for e in edited.json["events"]] == ["created", "edited"]
    assert edited.json["events"][0]["by"] == "Aino Author"

    # the list page shows the same with a count
    page = author.get("/items?kind=cloze&status=draft&q=kirjoja", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and CLOZE["id"] in page.text
    assert re.search(r'id="count"[^>]*>\s*Items found: 1\.', page.text)


@pytest.mark.parametrize("body,field", [
    ({**CLOZE, "text": "Ei aukkoa."}, "text"),
    ({**CLOZE, "accept": []}, "accept"),
    ({**CLOZE, "cefr": "D1"}, "cefr"),
    ({**CLOZE, "skill": "reading"}, "skill"),
    ({**CLOZE, "id": "Iso Kirjain"}, "id"),
    ({**CLOZE, "colour": "red"}, "colour"),
    ({k: v for k, v in CLOZE.items() if k != "kind"}, "kind"),
    ({**CLOZE, "kind": "essay"}, "kind"),
    ({**CLOZE, "status": "live"}, "status"),
    ({**CLOZE, "stimulus": {"title": "Ei tekstiä"}, "testlet": "rd-x"}, "stimulus"),
    ({**CLOZE, "kind": "multiple_choice", "prompt": "Mikä?", "choices": {"a": "yksi", "b": "kaksi"},
      "key": "c"}, "key"),
])
def test_an_invalid_item_gets_422_naming_the_field(author, body, field):
    if body.get("kind") == "multiple_choice":
        body = {k: v for k, v in body.items() if k not in ("text", "hint", "accept", "focus")}
    err = error_shape(author.post("/api/v1/items", json=body), 422)
    assert field in err["errors"], err


@pytest.mark.parametrize("raw", ['[1, 2]', '"just text"', 'not json', '{"kind": 5}'])
def test_bodies_that_are_not_items_get_4xx_never_500(author, raw):
    r = author.post("/api/v1/items", data=raw, content_type="application/json")
    assert r.status_code in (400, 422) and r.json["code"] == r.status_code
    r = author.put("/api/v1/items/vo-a1-yn-talo", data=raw, content_type="application/json")
    assert r.status_code in (400, 404, 422) and r.json["code"] == r.status_code


def test_nul_characters_are_refused_not_500(app, author, staff):
    error_shape(author.get("/api/v1/items/abc%00def"), 404)
    assert author.get("/api/v1/items?q=a%00b").status_code == 200
    r = app.test_client().post("/api/v1/auth/sign-in", json={"email": "a\x00@example.fi",
                                                              "password": "x\x00"})
    error_shape(r, 401)
    r = author.post("/api/v1/items", json={**CLOZE, "hint": "kirjasto\x00"})
    assert r.status_code in (201, 422), r.json


def test_bad_queries_and_unknown_items_get_the_json_error_shape(author):
    error_shape(author.get("/api/v1/items?cefr=Z9"), 422)
    error_shape(author.get("/api/v1/items?page=0"), 422)
    error_shape(author.get("/api/v1/items?per_page=5000"), 422)
    error_shape(author.get("/api/v1/items?colour=red"), 422)
    error_shape(author.get("/api/v1/items/no-such-item"), 404)
    error_shape(author.get("/api/v1/items/no-such-item/statistics"), 404)
    error_shape(author.put("/api/v1/items/no-such-item", json=CLOZE), 404)
    error_shape(author.post("/api/v1/items/no-such-item/transitions", json={"to": "draft"}), 404)
    error_shape(author.post("/api/v1/items/x/transitions", json={"to": "gone"}), 422)
    error_shape(author.get("/api/v1/nothing-here"), 404)
    error_shape(author.get("/api/v1/assets/" + "0" * 64), 404)
    # pages answer with a readable page
    r = author.get("/items/no-such-item", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and "text/html" in r.content_type
    assert "There is no item with the id no-such-item." in r.text and "<h1>" in r.text
    assert author.get("/items/no-such-item?version=x").status_code == 404
    assert author.get("/items?page=abc&cefr=Z9").status_code == 200


# -- review ------------------------------------------------------------------------------
def test_only_a_reviewer_makes_an_item_live_and_the_testing_service_picks_it_up(app, config, db,
                                                                                author, reviewer):
    assert author.post("/api/v1/items", json=CLOZE).status_code == 201
    testing = make_testing_app(dataclasses.replace(config, bank_check_seconds=0))
    bank = testing.extensions["taitotaso.testing"].bank
    before = bank.get().version
    assert before == bank_version(db) and CLOZE["id"] not in bank.get().items

    tr = f"/api/v1/items/{CLOZE['id']}/transitions"
    err = error_shape(author.post(tr, json={"to": "reviewed"}), 403)
    assert "reviewer" in err["message"]
    r = reviewer.post(tr, json={"to": "reviewed"})
    assert r.status_code == 200 and r.json["item"]["status"] == "reviewed"
    err = error_shape(author.post(tr, json={"to": "live"}), 403)
    assert err["message"] == "Only a reviewer can make an item live."
    # an author may send a reviewed item back to draft; a reviewer reviews it again
    assert author.post(tr, json={"to": "draft"}).json["item"]["status"] == "draft"
    assert reviewer.post(tr, json={"to": "reviewed"}).json["item"]["status"] == "reviewed"
    assert bank_version(db) == before  # nothing live has changed yet
    live = reviewer.post(tr, json={"to": "live"})
    assert live.status_code == 200 and live.json["item"]["status"] == "live"
    assert [(e["action"], e["to_status"]) for e in live.json["events"]][-1] == ("status", "live")

    after = bank_version(db)
    assert after != before
    assert bank.get().version == after and CLOZE["id"] in bank.get().items
    testing.extensions["taitotaso.resources"].db.dispose()

    # retiring takes it out of the bank again
    assert reviewer.post(tr, json={"to": "retired"}).json["item"]["status"] == "retired"
    assert bank_version(db) == before


def test_an_author_sees_a_403_page_when_making_live_with_the_buttons(app, author, reviewer):
    author.post("/api/v1/items", json=CLOZE)
    reviewer.post(f"/api/v1/items/{CLOZE['id']}/transitions", json={"to": "reviewed"})
    page = author.get(f"/items/{CLOZE['id']}", headers={"Accept-Language": "en"})
    assert "Make live" not in page.text and "Send back to draft" in page.text
    assert "Only a reviewer can move this version on to: Live." in page.text
    r = author.post(f"/items/{CLOZE['id']}/status", data={"_csrf": csrf(page.text), "to": "live"},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 403 and "Only a reviewer can make an item live." in r.text
    page = reviewer.get(f"/items/{CLOZE['id']}", headers={"Accept-Language": "en"})
    assert "Make live" in page.text
    r = reviewer.post(f"/items/{CLOZE['id']}/status", data={"_csrf": csrf(page.text), "to": "live",
                                                            "version": "1"})
    assert r.status_code == 302
    assert reviewer.get(f"/api/v1/items/{CLOZE['id']}").json["item"]["status"] == "live"


def test_illegal_transitions_get_409_naming_the_allowed_ones(author, reviewer):
    author.post("/api/v1/items", json=CLOZE)
    tr = f"/api/v1/items/{CLOZE['id']}/transitions"
    err = error_shape(reviewer.post(tr, json={"to": "live"}), 409)
    assert err["message"] == (f"Version 1 of {CLOZE['id']} has the status Draft: it can only move "
                              "to Reviewed.")
    assert err["errors"]["to"] == ["allowed from draft: reviewed"]
    error_shape(reviewer.post(tr, json={"to": "retired"}), 409)
    error_shape(author.post(tr, json={"to": "draft"}), 409)
    reviewer.post(tr, json={"to": "reviewed"})
    reviewer.post(tr, json={"to": "live"})
    err = error_shape(reviewer.post(tr, json={"to": "reviewed"}), 409)
    assert "Live: it can only move to Retired." in err["message"]
    reviewer.post(tr, json={"to": "retired"})
    err = error_shape(reviewer.post(tr, json={"to": "live"}), 409)
    assert "new draft version" in err["message"]
    error_shape(reviewer.post(tr, json={"to": "live", "version": 7}), 404)
    error_shape(reviewer.post(tr, json={"to": "live", "extra": 1}), 422)


def test_editing_a_live_or_used_item_makes_a_new_version_and_keeps_the_old(app, config, db,
                                                                          author, reviewer):
    # a live item that a job seeker has been given
    client = make_testing_app(config).test_client()
    taker = Taker(client)
    served = taker.next().json["item"]
    item_id = served["id"]
    detail = author.get(f"/api/v1/items/{item_id}").json
    assert detail["used"] is True and detail["versions"] == [
        {**detail["versions"][0], "version": 1, "status": "live", "used": True}]
    with db.session() as s:
        v1_before = ItemRepository(s).get(item_id, 1)
    source = detail["item"]["source"]
    changed = dict(source)
    if "prompt" in changed:
        changed["prompt"] = changed["prompt"] + " (muokattu)"
    elif "text" in changed:
        changed["text"] = changed["text"].replace(".", "!", 1) if "." in changed["text"] else changed["text"] + "!"
    elif "word" in changed:
        changed["topic"] = "general" if changed["topic"] != "general" else "daily_life"
    else:
        changed["cefr"] = "A1" if changed["cefr"] != "A1" else "A2"
    r = author.put(f"/api/v1/items/{item_id}", json=changed)
    assert r.status_code == 200, r.json
    assert r.json["new_version"] is True and r.json["item"]["version"] == 2
    assert r.json["item"]["status"] == "draft"
    assert [(v["version"], v["status"]) for v in r.json["versions"]] == [(1, "live"), (2, "draft")]
    with db.session() as s:
        assert ItemRepository(s).get(item_id, 1) == v1_before  # untouched
    # the list shows the newest version
    listed = author.get(f"/api/v1/items?q={item_id}").json["items"]
    assert [(i["id"], i["version"]) for i in listed if i["id"] == item_id] == [(item_id, 2)]
    # the job seeker's answer to version 1 is still scored as version 1
    keys = live_keys(db)
    assert taker.answer(item_id, keys[item_id]).status_code == 201
    # editing the unused draft again changes version 2 in place
    again = author.put(f"/api/v1/items/{item_id}", json={**changed, "base_version": 2})
    assert again.status_code == 200 and again.json["item"]["version"] == 2
    error_shape(author.put(f"/api/v1/items/{item_id}", json={**changed, "base_version": 1}), 409)
    # making version 2 live retires version 1
    tr = f"/api/v1/items/{item_id}/transitions"
    reviewer.post(tr, json={"to": "reviewed"})
    assert reviewer.post(tr, json={"to": "live"}).status_code == 200
    with db.session() as s:
        rows = s.execute(select(ItemRow.version, ItemRow.status).where(ItemRow.id == item_id)
                         .order_by(ItemRow.version)).all()
    assert [tuple(r) for r in rows] == [(1, "retired"), (2, "live")]
    # a reviewed, unused version goes back to draft when edited
    author.post("/api/v1/items", json=CLOZE)
    reviewer.post(f"/api/v1/items/{CLOZE['id']}/transitions", json={"to": "reviewed"})
    r = author.put(f"/api/v1/items/{CLOZE['id']}", json={**CLOZE, "accept": ["kirjastosta", "Kirjastosta"]})
    assert (r.json["item"]["version"], r.json["item"]["status"]) == (1, "draft")
    # the id in the body cannot differ from the path
    err = error_shape(author.put(f"/api/v1/items/{CLOZE['id']}", json={**CLOZE, "id": "toinen-id"}), 422)
    assert "id" in err["errors"]


def run_queued_jobs(resources):
    if resources.redis is None:
        resources.queue.join()
        return
    from rq import Queue, SimpleWorker

    set_worker_context(JobContext(db=resources.db))
    SimpleWorker([Queue(QUEUE_NAME, connection=resources.redis)],
                 connection=resources.redis).work(burst=True)


def test_statistics_after_a_finished_test(config, db, author):
    testing = make_testing_app(config)
    keys = live_keys(db)
    served = Taker(testing.test_client()).finish(choose=lambda item: keys[item["id"]])
    run_queued_jobs(testing.extensions["taitotaso.resources"])
    item = served[0]
    stats = author.get(f"/api/v1/items/{item['id']}/statistics")
    assert stats.status_code == 200, stats.json
    s = stats.json
    assert (s["served"], s["answered"], s["served_in_finished_tests"]) == (1, 1, 1)
    assert s["proportion_correct"] == 1.0 and s["sessions"] == 1 and s["exposure_rate"] == 1.0
    assert s["version"] == 1 and s["max_score"] >= 1
    unserved = next(i for i in keys if i not in {x["id"] for x in served})
    s = author.get(f"/api/v1/items/{unserved}/statistics").json
    assert (s["served"], s["answered"], s["proportion_correct"], s["exposure_rate"]) == (0, 0, None, 0.0)
    page = author.get(f"/items/{item['id']}", headers={"Accept-Language": "en"})
    assert re.search(r"Proportion correct</dt><dd>100\.0 %", page.text)
    testing.extensions["taitotaso.resources"].db.dispose()


# -- pages -------------------------------------------------------------------------------
def test_the_item_page_has_metadata_versions_and_an_information_curve(db, reviewer):
    keys = live_keys(db)
    item_id = next(i for i in keys if i.startswith("st-") and isinstance(keys[i], str))
    page = reviewer.get(f"/items/{item_id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    svg = re.search(r"<svg[^>]*role=\"img\".*?</svg>", page.text, re.S).group(0)
    assert "<title" in svg and "<desc" in svg and "<polyline" in svg
    assert svg.count('class="cut"') >= 4 and ">B1<" in svg
    assert "Ability" in svg and "Information" in svg
    assert "Version 1" in page.text and "Retire" in page.text and "Preview" in page.text
    # polytomous items draw their graded-response information too
    c_test = next(i for i in keys if isinstance(keys[i], list))
    page = reviewer.get(f"/items/{c_test}")
    assert page.status_code == 200 and "<polyline" in page.text


def test_the_preview_shows_the_item_as_the_job_seeker_sees_it_without_its_key(db, reviewer):
    with db.session() as s:
        items = ItemRepository(s).live_items()
    cloze = next(i for i in items if i.kind == "cloze")
    page = reviewer.get(f"/items/{cloze.id}/preview?lang=en")
    assert page.status_code == 200
    assert "Preview" in page.text and 'name="answer"' in page.text
    assert "Write the word in the gap in the right form." in page.text  # the testing template
    assert cloze.key not in page.text and all(a not in page.text for a in cloze.accept)
    checked = reviewer.post(f"/items/{cloze.id}/preview?lang=en",
                            data={"_csrf": csrf(page.text), "item_id": cloze.id, "answer": cloze.key})
    full = cloze.max_score  # 2 under the graded response model (partial credit)
    assert checked.status_code == 200 and f"This answer scores {full} of {full}." in checked.text
    mc = next(i for i in items if i.kind == "multiple_choice" and i.testlet)
    page = reviewer.get(f"/items/{mc.id}/preview?lang=fi")
    assert page.status_code == 200 and mc.content["prompt"] in page.text
    assert f'value="{mc.key}"' in page.text  # every choice is there, none marked right
    assert "key" not in page.text.lower().split("<main", 1)[1].replace("keyboard", "")
    dictation = next(i for i in items if i.kind == "dictation")
    page = reviewer.get(f"/items/{dictation.id}/preview")
    assert page.status_code == 200 and dictation.content["audio_text"] not in page.text
    audio = re.search(r'<audio[^>]*src="([^"]+)"', page.text).group(1)
    assert audio.startswith("/api/v1/assets/")
    got = reviewer.get(audio)
    assert got.status_code == 200 and got.data[:4] == b"OggS"


def test_a_new_draft_through_the_yaml_form_with_errors_shown_next_to_the_box(author):
    form = author.get("/items/new?kind=cloze", headers={"Accept-Language": "en"})
    assert form.status_code == 200 and "accept:" in form.text and "___" in form.text
    token = csrf(form.text)
    fields = "text: Lainaan kirjoja ___.\nhint: kirjasto\naccept: []\n"
    r = author.post("/items/new", data={"_csrf": token, "id": "st-a2-lomake", "kind": "cloze",
                                        "skill": "structure", "cefr": "A2", "topic": "general",
                                        "fields": fields}, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    errors = re.search(r'<ul class="field-errors" id="fields-errors">(.*?)</ul>', r.text, re.S).group(1)
    assert "<strong>accept</strong>" in errors
    assert "Lainaan kirjoja ___." in r.text  # what was written stays in the box
    r = author.post("/items/new", data={"_csrf": token, "id": "st-a2-lomake", "kind": "cloze",
                                        "skill": "structure", "cefr": "A2", "topic": "general",
                                        "fields": "text: [unclosed"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "not valid YAML (line" in r.text
    r = author.post("/items/new", data={"_csrf": token, "id": "BAD ID", "kind": "cloze",
                                        "skill": "structure", "cefr": "A2", "topic": "general",
                                        "fields": fields.replace("[]", "[kirjastosta]")},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 422 and 'id="err-id"' in r.text
    r = author.post("/items/new", data={"_csrf": token, "id": "st-a2-lomake", "kind": "cloze",
                                        "skill": "structure", "cefr": "A2", "topic": "general",
                                        "fields": fields.replace("[]", "[kirjastosta]")})
    assert r.status_code == 302 and r.location.endswith("/items/st-a2-lomake")
    edit = author.get("/items/st-a2-lomake/edit")
    assert edit.status_code == 200 and "accept:\n- kirjastosta" in edit.text
    r = author.post("/items/st-a2-lomake/edit", data={
        "_csrf": token, "kind": "cloze", "skill": "structure", "cefr": "B1", "topic": "general",
        "base_version": "1", "fields": fields.replace("[]", "[kirjastosta]")})
    assert r.status_code == 302
    assert author.get("/api/v1/items/st-a2-lomake").json["item"]["cefr"] == "B1"


def test_a_form_without_its_token_is_refused(author, reviewer):
    r = author.post("/items/new", data={"id": "x", "kind": "cloze"})
    assert r.status_code == 400 and "form has expired" in r.text
    r = reviewer.post("/items/vo-a1-yn-talo/status", data={"to": "retired"})
    assert r.status_code == 400
    r = author.post("/sign-out", data={})
    assert r.status_code == 400


def test_the_openapi_document_describes_the_api(author):
    doc = author.get("/api/v1/openapi.json").json
    assert {"/api/v1/items", "/api/v1/items/{item_id}", "/api/v1/items/{item_id}/transitions",
            "/api/v1/items/{item_id}/statistics", "/api/v1/auth/sign-in"} <= set(doc["paths"])
    assert {"get", "post"} <= set(doc["paths"]["/api/v1/items"])


def test_it_works_mounted_under_a_prefix_like_the_gateway_does(app, staff):
    mounted = DispatcherMiddleware(NotFound(), {"/authoring": app.wsgi_app})
    app.wsgi_app = mounted
    client = app.test_client()
    r = client.get("/authoring/items")
    assert r.status_code == 302 and r.location.startswith("/authoring/sign-in?next=/authoring/items")
    page = client.get("/authoring/sign-in")
    assert 'action="/authoring/sign-in"' in page.text and 'href="/authoring/static/style.css"' in page.text
    r = client.post("/authoring/api/v1/auth/sign-in", json={"email": staff["reviewer"].email,
                                                           "password": PASSWORD})
    assert r.status_code == 200
    items = client.get("/authoring/items?skill=vocabulary")
    assert items.status_code == 200
    hrefs = re.findall(r'(?:href|action)="(/[^"]*)"', items.text)
    assert hrefs and all(h.startswith("/authoring/") for h in hrefs), hrefs
    assert client.get("/authoring/api/v1/items?per_page=1").json["total"] > 100
    error_shape(client.get("/authoring/api/v1/items/none"), 404)


def test_mounted_beside_the_testing_service_the_two_sessions_stay_apart(config, app, staff):
    """As services/gateway.py mounts it: the testing service at the root, this app under
    /authoring, one browser using both."""
    root = make_testing_app(config)
    root.wsgi_app = DispatcherMiddleware(root.wsgi_app, {"/authoring": app})
    client = root.test_client()
    assert client.post("/authoring/api/v1/auth/sign-in", json={
        "email": staff["author"].email, "password": PASSWORD}).status_code == 200
    page = client.get("/en/")
    assert client.post("/en/start", data={"_csrf": csrf(page.text)}).status_code == 302
    assert client.get("/en/test").status_code == 200
    staff_page = client.get("/authoring/items")
    assert staff_page.status_code == 200 and "Aino Author" in staff_page.text
    assert client.get("/en/test").status_code == 200
    assert client.get("/api/v1/openapi.json").json["info"]["title"] == "Taitotaso testing API"
    assert client.get("/authoring/api/v1/openapi.json").json["info"]["title"] == \
        "Taitotaso authoring API"
    root.extensions["taitotaso.resources"].db.dispose()


def test_a_question_added_to_a_text_takes_its_stimulus_and_place(db, author):
    with db.session() as s:
        sibling = next(i for i in ItemRepository(s).live_items()
                       if i.testlet and i.stimulus and "text" in i.stimulus)
    body = {"id": f"{sibling.testlet}-uusi", "kind": "multiple_choice", "skill": sibling.skill,
            "cefr": sibling.cefr, "topic": sibling.topic, "prompt": "Mikä on oikein?",
            "choices": {"a": "ensimmäinen", "b": "toinen"}, "key": "a",
            "testlet": sibling.testlet, "position": 5}
    r = author.post("/api/v1/items", json=body)
    assert r.status_code == 201, r.json
    item = r.json["item"]
    assert (item["testlet"], item["position"], item["stimulus"]) == (sibling.testlet, 5, sibling.stimulus)
    assert item["source"]["testlet"] == sibling.testlet and item["source"]["position"] == 5
    # an edit without the placement keeps it; "testlet": null takes the question out
    kept = author.put(f"/api/v1/items/{body['id']}", json={**{k: v for k, v in body.items()
                                                                if k not in ("testlet", "position")},
                                                             "prompt": "Mikä pitää paikkansa?"})
    assert kept.json["item"]["testlet"] == sibling.testlet and kept.json["item"]["position"] == 5
    out = author.put(f"/api/v1/items/{body['id']}", json={**body, "testlet": None, "position": 0})
    assert out.status_code == 200 and out.json["item"]["testlet"] is None
    assert out.json["item"]["stimulus"] is None
    err = error_shape(author.post("/api/v1/items", json={**body, "id": "irrallinen",
                                                         "testlet": None, "position": 2}), 422)
    assert "testlet" in err["errors"]


def test_the_yaml_template_of_every_kind_is_a_valid_item():
    import yaml

    from assessment.cefr import CutScores
    from item_bank.content import item_from_dict
    from item_bank.schema import KIND_SKILLS
    from services.authoring.texts import YAML_TEMPLATES

    for kind, text in YAML_TEMPLATES.items():
        raw = {"id": f"malli-{kind.replace('_', '-')}", "kind": kind,
               "skill": sorted(KIND_SKILLS[kind])[0], "cefr": "B1", "topic": "general",
               **yaml.safe_load(text)}
        assert item_from_dict(raw, CutScores.load()).kind == kind


# -- QTI packages ------------------------------------------------------------------------
def test_export_and_import_a_qti_package_through_the_api(app, db, author, reviewer, tmp_path):
    import io
    import zipfile

    from item_bank.qti import import_package

    r = reviewer.get("/api/v1/qti/export?status=live")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "imsmanifest.xml" in zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    items, _assets = import_package(r.data)
    assert len(items) == len(live_keys(db))

    # the same package again: nothing new
    r2 = author.post("/api/v1/qti/import", data={"package": (io.BytesIO(r.data), "bank.zip")},
                     content_type="multipart/form-data")
    assert r2.status_code == 201 and r2.json["imported"] == 0 and r2.json["unchanged"] == len(items)

    # an edited item comes in as a new draft version, the live one untouched
    original = next(i for i in items if i.kind == "cloze")
    edited = dataclasses.replace(original, content={**original.content, "focus": "edited"})
    from item_bank.qti import export_package

    one = export_package([edited], {})
    r3 = author.post("/api/v1/qti/import", data={"package": (io.BytesIO(one), "one.zip")},
                     content_type="multipart/form-data")
    assert r3.status_code == 201 and r3.json["imported"] == 1
    with db.session() as s:
        versions = ItemRepository(s).versions(edited.id)
    assert [(i.version, i.status) for i, _ in versions][-2:] == [(original.version, "live"),
                                                                 (original.version + 1, "draft")]

    # an author may not keep the package's statuses; a reviewer may
    r4 = author.post("/api/v1/qti/import?keep_status=1", data={"package": (io.BytesIO(one), "one.zip")},
                     content_type="multipart/form-data")
    assert r4.status_code == 403


def test_a_broken_package_imports_nothing_and_names_the_problem(app, db, author):
    import io
    import zipfile

    before = bank_version(db)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("imsmanifest.xml", "<manifest><broken></manifest>")
    r = author.post("/api/v1/qti/import", data={"package": (io.BytesIO(buf.getvalue()), "x.zip")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "imsmanifest.xml" in r.json["message"]
    r = author.post("/api/v1/qti/import", data={"package": (io.BytesIO(b"not a zip"), "x.zip")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "zip" in r.json["message"]
    r = author.post("/api/v1/qti/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert bank_version(db) == before


def test_the_packages_page_exports_and_imports(app, reviewer):
    import io

    page = reviewer.get("/packages")
    assert page.status_code == 200 and "QTI" in page.text
    data = reviewer.get("/packages/export?status=live").data
    r = reviewer.post("/packages/import", data={"_csrf": csrf(page.text),
                                                "package": (io.BytesIO(data), "bank.zip")},
                      content_type="multipart/form-data")
    assert r.status_code == 201 and 'role="status"' in r.text
    r = reviewer.post("/packages/import", data={"_csrf": csrf(page.text),
                                                "package": (io.BytesIO(b"nope"), "bad.zip")},
                      content_type="multipart/form-data")
    assert r.status_code == 422 and 'role="alert"' in r.text


def test_the_sign_in_page_and_its_stylesheets_need_no_account(app):
    import re

    client = app.test_client()
    page = client.get("/sign-in")
    assert page.status_code == 200
    sheets = re.findall(r'rel="stylesheet" href="([^"]+)"', page.text)
    assert len(sheets) == 2
    for href in sheets:
        r = client.get(href)
        assert r.status_code == 200 and r.mimetype == "text/css"
