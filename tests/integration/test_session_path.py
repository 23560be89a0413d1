"""The lean session path: what a request of a test costs the database, and that keeping the
engine's state with the session changes nothing in the test. On SQLite and on the real
PostgreSQL and Redis.

Counting statements is deterministic (tests/sql_counts.py): no timing is asserted here.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, update

from services.testing.app import create_app
from services.testing.estimates import _capped
from services.testing import orm
from services.testing.orm import SessionItem
from tests.sql_counts import SqlCounter

from .conftest import KEYS, Taker, seeded_config


@pytest.fixture(params=["sqlite", "postgres"])
def lean_app(request, tmp_path):
    """The app with its bank checked once an hour, so no bank check falls inside a count."""
    if request.param == "sqlite":
        cfg = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None,
                            bank_check_seconds=3600.0)
    else:
        cfg = seeded_config(tmp_path, request.getfixturevalue("pg_url"),
                            request.getfixturevalue("redis_url"), bank_check_seconds=3600.0)
    application = create_app(cfg)
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


def wrong(item: dict):
    """A wrong answer where one is easy to make (a choice that is not the key)."""
    key = KEYS[item["id"]]
    others = [c["id"] for c in item.get("choices", []) if c["id"] != key]
    return others[0] if others else key


def answers(n: int, item: dict):
    return KEYS[item["id"]] if n % 3 else wrong(item)


def reviews(db, session_id: str) -> int:
    from services.scoring.orm import ScoreReview

    with db.session() as s:
        return len(s.scalars(select(ScoreReview.id).where(ScoreReview.session_id == session_id)).all())


def engines_agree(app, session_id: str) -> None:
    """The engine from the kept state equals the one replayed from every stored answer:
    the same state, the same next item from the same generator, the same estimate; and the
    kept state was the one used (it covers every answer)."""
    svc = app.extensions["taitotaso.testing"]
    bank = svc.bank.get()
    with app.extensions["taitotaso.resources"].db.read() as s:
        sess = s.get(orm.TestSession, session_id)
        rows = list(sess.items)
        answered = [r for r in rows if r.answer is not None and not r.pretest]
        if sess.status == "finished":
            return
        assert svc._covered(sess, bank, answered)[0] == len(answered) > 0
        lean, replayed = svc._engine(sess, bank, rows), svc._engine(sess, bank, rows, use_kept=False)
    assert json.dumps(lean.state(), sort_keys=True) == json.dumps(replayed.state(), sort_keys=True)
    assert (lean.overall.eap, lean.overall.sem) == (replayed.overall.eap, replayed.overall.sem)
    assert lean.is_finished() == replayed.is_finished()
    if not lean.is_finished():
        assert lean.next_item() == replayed.next_item()


def take(app, client, check=None) -> tuple[Taker, dict]:
    """A whole test through the API: a block's first word on its own, the rest of it in one
    request. Returns the taker and the statements and commits of each request by endpoint."""
    db = app.extensions["taitotaso.resources"].db
    counted = {"next": [], "responses": [], "block-responses": [], "result": [], "writing": []}
    t = Taker(client)
    n = 0
    while True:
        with SqlCounter(db.engine) as c:
            r = t.next()
        assert r.status_code == 200, r.json
        counted["next"].append(c)
        if r.json["done"]:
            break
        body = r.json
        if "block" in body and body["block"]["answered"] == 0:
            item = body["item"]
            with SqlCounter(db.engine) as c:
                a = t.answer(item["id"], KEYS[item["id"]])
            counted["responses"].append((c, 0))
        elif "block" in body:
            words = body["block"]["items"]
            with SqlCounter(db.engine) as c:
                a = client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers,
                                json={"block_id": body["block"]["id"],
                                      "answers": {w["id"]: KEYS[w["id"]] for w in words}})
            counted["block-responses"].append(c)
        else:
            before = reviews(db, t.id) if body["item"]["kind"] == "writing_task" else 0
            with SqlCounter(db.engine) as c:
                a = t.answer(body["item"]["id"], answers(n, body["item"]))
            extra = reviews(db, t.id) - before if body["item"]["kind"] == "writing_task" else 0
            counted["responses"].append((c, extra))
            if body["item"]["kind"] == "writing_task":
                counted["writing"].append((c, extra))
        assert a.status_code == 201, a.json
        n += 1
        if check:
            check(t.id)
    with SqlCounter(db.engine) as c:
        res = t.result()
    assert res.status_code == 200
    counted["result"].append(c)
    return t, counted


def test_an_answer_costs_at_most_four_statements_and_reads_commit_nothing(lean_app):
    client = lean_app.test_client()
    t, counted = take(lean_app, client)
    assert len(counted["responses"]) > 10 and counted["block-responses"]
    assert counted["writing"]
    for c, review_rows in counted["responses"]:
        if any(c is w for w, _n in counted["writing"]):
            # a written answer: the same four (its token is checked by its signature before
            # the text goes to the scoring service, so no transaction waits for that); the
            # scoring service's own statements for an answer it sends to the coaches' queue:
            # is it there already (a retried call), and its review row, committed
            assert c.statements <= 4 + 2 * review_rows, c.sql
            assert c.commits == 1 + review_rows
            continue
        # SELECT the session with its items, UPDATE the answer, INSERT the next item, UPDATE
        # the session (its kept state)
        assert c.statements <= 4, c.sql
        assert c.commits == 1
    for c in counted["block-responses"]:
        assert c.statements <= 4, c.sql  # the words of a block in one UPDATE
        assert c.commits == 1
    for c in counted["next"]:
        # one row: GET /next's answer, kept with the session by the request that served the
        # item (or finished the test), not the session joined with its items
        assert c.statements == 1 and "session_items" not in c.sql[0], c.sql
        assert c.commits == 0
    for c in counted["result"]:
        assert c.statements == 1, c.sql  # one SELECT: the session with its items
        assert c.commits == 0


def test_the_kept_state_gives_the_same_test_as_replaying_every_answer(lean_app):
    """After every answer the kept state gives the engine a full replay gives (same state,
    next item and estimate), and the finished result is the replayed one."""
    client = lean_app.test_client()
    t, _ = take(lean_app, client, check=lambda sid: engines_agree(lean_app, sid))
    svc = lean_app.extensions["taitotaso.testing"]
    bank = svc.bank.get()
    with lean_app.extensions["taitotaso.resources"].db.read() as s:
        sess = s.get(orm.TestSession, t.id)
        engine = svc._engine(sess, bank, list(sess.items), use_kept=False)
        assert engine.is_finished()
        res = engine.result()
        assert sess.result["overall"] == _capped(res["overall"].as_dict(), bank.ceiling)
        assert sess.result["skills"] == {k: _capped(v.as_dict(), bank.ceiling)
                                         for k, v in res["skills"].items()}
        assert sess.result["n_items"] == res["n_items"]


def test_a_session_without_a_kept_state_or_a_served_item_is_replayed_and_goes_on(lean_app):
    """A session from before the kept state and GET /next's kept answer (none of them, and
    nothing served by its last answer): GET /next serves from a replay, and the next answer
    keeps a state that agrees with it."""
    client = lean_app.test_client()
    db = lean_app.extensions["taitotaso.resources"].db
    t = Taker(client)
    for n in range(4):
        body = t.next().json
        item = body["item"]
        if "block" in body:
            r = client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers,
                            json={"block_id": body["block"]["id"],
                                  "answers": {w["id"]: KEYS[w["id"]] for w in body["block"]["items"]}})
        else:
            r = t.answer(item["id"], answers(n, item))
        assert r.status_code == 201
    with db.session() as s:  # as an old session: no state, the next item not yet served
        pending = s.scalars(select(SessionItem.item_id).where(SessionItem.session_id == t.id,
                                                              SessionItem.answer.is_(None))).all()
        s.execute(delete(SessionItem).where(SessionItem.session_id == t.id,
                                            SessionItem.answer.is_(None)))
        s.execute(update(orm.TestSession).where(orm.TestSession.id == t.id)
                  .values(engine_state=None, next_response=None))
    assert pending
    with SqlCounter(db.engine) as c:
        body = t.next().json
    assert not body["done"] and c.commits == 1  # served here, from a replay
    item = body["item"]
    if "block" in body:
        r = client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers,
                        json={"block_id": body["block"]["id"],
                              "answers": {w["id"]: KEYS[w["id"]] for w in body["block"]["items"]}})
    else:
        r = t.answer(item["id"], KEYS[item["id"]])
    assert r.status_code == 201
    engines_agree(lean_app, t.id)


def test_a_stale_kept_state_is_not_used(lean_app):
    """A kept state that does not cover the stored answers (another request's answer came
    between) is replayed over, never taken up."""
    client = lean_app.test_client()
    db = lean_app.extensions["taitotaso.resources"].db
    svc = lean_app.extensions["taitotaso.testing"]
    t = Taker(client)
    for n in range(3):
        body = t.next().json
        if "block" in body:
            r = client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers,
                            json={"block_id": body["block"]["id"],
                                  "answers": {w["id"]: KEYS[w["id"]] for w in body["block"]["items"]}})
        else:
            r = t.answer(body["item"]["id"], answers(n, body["item"]))
        assert r.status_code == 201
    with db.session() as s:
        sess = s.get(orm.TestSession, t.id)
        kept = json.loads(sess.engine_state)
        answered = [r for r in sess.items if r.answer is not None and not r.pretest]
        assert svc._covered(sess, svc.bank.get(), answered)[0] == len(answered)
        sess.engine_state = json.dumps({**kept, "last_seq": kept["last_seq"] - 1})
    with db.read() as s:
        sess = s.get(orm.TestSession, t.id)
        assert svc._covered(sess, svc.bank.get(), answered) == (0, None)
        sess.engine_state = json.dumps({**kept, "pool": "another bank"})
        assert svc._covered(sess, svc.bank.get(), answered) == (0, None)


def test_exposure_counts_come_from_redis_in_one_reply(redis_url):
    """The counts the restricted maximum-information method reads (one Lua reply): each
    item's times served and the tests started, 0 for an item never served."""
    import redis

    from services.common.exposure import RedisExposure

    exposure = RedisExposure(redis.Redis.from_url(redis_url), prefix="tt-test-exposure")
    counts, tests = exposure.counts("bank-1", ["a", "b"])
    assert counts.tolist() == [0.0, 0.0] and tests == 0
    for _ in range(3):
        exposure.test_started("bank-1")
    for item_id in ("a", "a", "c"):
        exposure.item_served("bank-1", item_id)
    exposure.item_served("bank-2", "b")
    counts, tests = exposure.counts("bank-1", ["a", "b", "c"])
    assert counts.tolist() == [2.0, 0.0, 1.0] and tests == 3


def test_a_written_answer_is_sent_for_scoring_only_with_the_sessions_own_token(lean_app):
    """The pre-check before a text goes to the scoring service: a token the service signed
    for the session needs no statement; an unsigned one (given before tokens were signed) is
    read from the database; a token of another session, or a forged one, sends nothing."""
    from services.common.errors import APIError
    from services.testing.handlers import hash_token

    db = lean_app.extensions["taitotaso.resources"].db
    svc = lean_app.extensions["taitotaso.testing"]
    task = next(i for i in svc.bank.get().items.values() if i.kind == "writing_task")
    text = ("Hei! Olen ollut töissä kaupassa kaksi vuotta. Pidän työstäni, koska asiakkaat "
            "ovat mukavia ja työkaverit auttavat minua. Terveisin Olga")
    mine, other = Taker(lean_app.test_client()), Taker(lean_app.test_client())

    def session_reads(token, session_id=mine.id):
        with SqlCounter(db.engine) as c:
            out = svc._written_first(session_id, token, task, text)
        return out, [q for q in c.sql if "test_sessions" in q]

    out, reads = session_reads(mine.token)
    assert out is not None and out[0] is task and reads == []
    for foreign in (other.token, mine.token[:-2] + "xx", "plain-token-without-signature"):
        with pytest.raises(APIError) as err:
            session_reads(foreign)
        assert err.value.status == 404
    with db.session() as s:   # a token from before tokens were signed
        s.execute(update(orm.TestSession).where(orm.TestSession.id == mine.id)
                  .values(token_hash=hash_token("an-unsigned-older-token")))
    out, reads = session_reads("an-unsigned-older-token")
    assert out is not None and len(reads) == 1


def test_exposure_counts_are_read_at_most_once_a_refresh_per_worker(lean_app):
    """Choosing an item reads every item's exposure count; a worker reads them at most once
    every ``exposure_refresh_seconds`` (one read for many answers), and at once when they
    may not be that old (0)."""
    from dataclasses import replace

    svc = lean_app.extensions["taitotaso.testing"]
    reads = []
    real = svc.exposure.counts

    def counting(*args):
        reads.append(args[0])
        return real(*args)

    svc.exposure.counts = counting
    svc.config = replace(svc.config, exposure_refresh_seconds=3600.0)
    svc._preferred_cache = None
    client = lean_app.test_client()
    Taker(client).finish()
    assert len(reads) == 1
    svc.config = replace(svc.config, exposure_refresh_seconds=0.0)
    t = Taker(client)
    for n in range(3):
        body = t.next().json
        if "block" in body:
            client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers,
                        json={"block_id": body["block"]["id"],
                              "answers": {w["id"]: KEYS[w["id"]] for w in body["block"]["items"]}})
        else:
            t.answer(body["item"]["id"], KEYS[body["item"]["id"]])
    assert len(reads) >= 1 + 3   # the start and each answer that chose an item
