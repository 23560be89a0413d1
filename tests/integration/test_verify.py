"""The employers' verification page (/verify → /results/verify): a credential file or its
text in, a verdict in fi/sv/en out (valid, withdrawn, expired, not valid and why), on SQLite
and PostgreSQL."""
from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timedelta, timezone

from .conftest import csrf
from .test_results_seeker import (app, config, db, employer,  # noqa: F401
                                  seeker)


def check(app, text=None, file=None, lang="en"):
    boss = employer(app)
    data = {"_csrf": csrf(boss.client.get("/results/verify").text)}
    if text is not None:
        data["credential"] = text
    if file is not None:
        data["file"] = (io.BytesIO(file), "taitotaso-credential.jwt")
    return boss.client.post(f"/results/verify?lang={lang}", data=data,
                            content_type="multipart/form-data")


def credential(app, seeker, **fields) -> tuple[str, str]:
    path = seeker.share_link(seeker.result, **fields)
    return path, employer(app).client.get(path + "/credential.jwt").text


def test_verify_is_at_the_short_address_and_in_three_languages(app):
    boss = employer(app)
    r = boss.client.get("/verify?lang=sv")
    assert r.status_code == 308 and r.headers["Location"] == "/results/verify?lang=sv"
    for lang in ("fi", "sv", "en"):
        page = boss.client.get(f"/results/verify?lang={lang}")
        assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
        assert 'name="file"' in page.text and 'name="credential"' in page.text
    assert "Check a Taitotaso credential" in boss.client.get("/results/verify?lang=en").text


def test_a_valid_credential_says_so_and_shows_what_it_says(app, seeker):
    _path, token = credential(app, seeker, show_name="yes")
    for r in (check(app, text=token), check(app, file=token.encode())):
        assert r.status_code == 200
        assert 'data-state="valid"' in r.text and "Valid: the signature checks" in r.text
        assert "Finnish level: self-assessment, unsupervised" in r.text
        assert "Anna Virtanen" in r.text and 'data-key="overall"' in r.text
    mine = seeker.client.get("/api/v1/results/mine").json["results"][0]
    assert mine["overall"]["cefr"] in check(app, text=token).text


def test_a_tampered_credential_is_not_valid_and_shows_nothing_of_its_content(app, seeker):
    _path, token = credential(app, seeker)
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["vc"]["credentialSubject"]["result"][0]["value"] = "C2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = check(app, text=f"{head}.{forged}.{sig}")
    assert r.status_code == 200 and 'data-state="invalid"' in r.text
    assert "has been changed after it was issued" in r.text
    assert 'id="credential-says"' not in r.text


def test_a_withdrawn_or_expired_credential_no_longer_counts(app, db, seeker):
    path, token = credential(app, seeker)
    share = seeker.shares()[0]
    r = seeker.client.post(f"/api/v1/results/shares/{share['id']}/withdraw", json={})
    assert r.status_code == 200
    page = check(app, text=token)
    assert 'data-state="withdrawn"' in page.text and "has withdrawn this credential" in page.text
    assert "it no longer counts" in page.text
    # another share, expired since it was downloaded
    path2, token2 = credential(app, seeker)
    from services.results.credentials import unverified_parts
    from services.results.verification import verify

    exp = unverified_parts(token2)[1]["exp"]
    verdict = verify(db, _keys(app), "http://127.0.0.1:8000", token2,
                     now=datetime.fromtimestamp(exp, timezone.utc) + timedelta(days=1))
    assert verdict.state == "expired" and verdict.credential is not None


def _keys(app):
    from services.results.credentials import KeyRing

    config = app.extensions["taitotaso.resources"].config
    return KeyRing.load_or_create(config.var_dir / "keys")


def test_bad_input_gets_a_4xx_with_a_message_a_person_can_act_on(app):
    r = check(app, text="   ")
    assert r.status_code == 422 and "Drop a credential file here" in r.text
    r = check(app, file=b"x" * (70 * 1024))
    assert r.status_code == 413 and "too large" in r.text
    r = check(app, file=b"\xff\xfe\x00binary")
    assert r.status_code == 422
    for junk in ("abc", "a.b.c", "e30.e30.e30", "ä.ö.å"):
        r = check(app, text=junk)
        assert r.status_code == 200 and 'data-state="invalid"' in r.text, junk
    fi = check(app, text="abc", lang="fi")
    assert 'data-state="invalid"' in fi.text and '<html lang="fi">' in fi.text
