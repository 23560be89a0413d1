"""Results that job seekers own, through the whole suite (services.gateway): accounts,
keeping a result, sharing with coaches and employers, the employer's link and its signed
credential, withdrawal, the GDPR export and deletion, and the authorization and abuse
checks (IDOR, CSRF, rate limits, throttled sign-ins).

Each backend (SQLite embedded; PostgreSQL + Redis) is seeded once for the module; every
test makes its own accounts and its own client address, so the tests do not share counts.
"""
from __future__ import annotations

import itertools
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from sqlalchemy import select, update

from services.common.accounts import StaffUser, hash_password, normalise_email
from services.gateway import create_app
from services.results.orm import Identity, JobSeeker, OwnedResult, Share, ShareView
from services.testing.orm import TestSession as SessionRow

from .conftest import Taker, confirm_sign_up, csrf, mailed_link, seeded_config

PUBLIC = "http://127.0.0.1:8000"  # Config.public_url: the issuer, from configuration

SHORT = {"min_items": 4, "max_items": 4, "pretest_items": 0}
PASSWORD = "correct horse battery"
_ips = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def config(request, tmp_path_factory):
    """One seeded database per backend for the whole module (seeding takes seconds)."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        yield seeded_config(tmp, f"sqlite:///{tmp / 'tt.db'}", None, **SHORT)
        return
    import redis
    from sqlalchemy import create_engine, text

    from tests.conftest import PG_URL, REDIS_URL, pg_schema_url

    schema = f"tt_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    try:
        yield seeded_config(tmp, pg_schema_url(schema), REDIS_URL, **SHORT)
    finally:
        r.flushdb()
        r.close()
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def app(config):
    application = create_app(config)
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


@pytest.fixture
def db(app):
    return app.extensions["taitotaso.resources"].db


def unique_email(tag: str = "seeker") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.fi"


class JobSeekerBrowser:
    """One job seeker's browser (its own cookie jar and client address)."""

    def __init__(self, app, email: str | None = None, name: str | None = None):
        self.app = app
        self.client = app.test_client()
        self.ip = f"10.{next(_ips) % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
        self.client.environ_base["REMOTE_ADDR"] = self.ip
        self.email = email or unique_email()
        self.name = name

    def token(self, path: str = "/results/en/results") -> str:
        page = self.client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return csrf(page.text)

    def ask_sign_up(self, password: str = PASSWORD):
        """The sign-up form: a page saying a message was sent (or the form with its errors)."""
        page = self.client.get("/results/en/sign-up")
        return self.client.post("/results/en/sign-up", data={
            "_csrf": csrf(page.text), "email": self.email, "password": password,
            "password_again": password, "display_name": self.name or ""})

    def sign_up(self, password: str = PASSWORD):
        """Sign up as a person does: the form, then the link mailed to the address (the
        suite has no mail server here: the message is in its outbox)."""
        r = self.ask_sign_up(password)
        if r.status_code != 200 or "Check your email" not in r.text:
            return r
        return confirm_sign_up(self.client, self.app, normalise_email(self.email))

    def sign_in(self, password: str = PASSWORD, email: str | None = None):
        page = self.client.get("/results/en/sign-in")
        return self.client.post("/results/en/sign-in", data={
            "_csrf": csrf(page.text), "email": email or self.email, "password": password})

    def take_test(self) -> str:
        """A whole short test through the API, left in the browser session as the testing
        pages leave it."""
        taker = Taker(self.client, "en")
        taker.finish()
        with self.client.session_transaction() as s:
            s["test"] = {"id": taker.id, "token": taker.token}
        return taker.id

    def keep(self):
        return self.client.post("/results/en/results/keep", data={"_csrf": self.token()})

    def share(self, result: str, recipient: str = "employer", **fields):
        data = {"_csrf": self.token("/results/en/share"), "result": result,
                "recipient": recipient, "purpose": "job application", "days": "30",
                "employer_name": "Siivous Oy"} | fields
        return self.client.post("/results/en/share", data=data, follow_redirects=True)

    def share_link(self, result: str, **fields) -> str:
        r = self.share(result, **fields)
        assert r.status_code == 200 and r.request.path == "/results/en/share/done", r.text
        link = re.search(r'id="share-link" value="([^"]+)"', r.text).group(1)
        return link.replace(PUBLIC, "")

    def shares(self) -> list[dict]:
        r = self.client.get("/api/v1/results/shares")
        assert r.status_code == 200, r.json
        return r.json["shares"]


@pytest.fixture
def seeker(app):
    """A signed-up job seeker who has kept one finished test."""
    b = JobSeekerBrowser(app, name="Anna Virtanen")
    assert b.sign_up().status_code == 303
    b.result = b.take_test()
    assert b.keep().status_code == 303
    return b


def employer(app) -> "JobSeekerBrowser":
    """Another browser with no account: the employer who got the link."""
    return JobSeekerBrowser(app)


# -- accounts ------------------------------------------------------------------------------
def test_sign_up_sign_out_and_sign_in_with_the_password(app, db):
    b = JobSeekerBrowser(app, name="Olga")
    r = b.sign_up()
    assert r.status_code == 303 and r.location == "/results/en/results"
    page = b.client.get("/results/en/results")
    assert page.status_code == 200 and "My results" in page.text and "Sign out" in page.text
    with b.client.session_transaction() as s:
        provider, _sep, seeker_id = s["_user_id"].partition("|")   # Flask-Login's record
    assert provider == "password"
    with db.session() as s:
        ident = s.scalar(select(Identity).where(Identity.job_seeker_id == seeker_id))
        assert ident.provider == "password" and ident.subject == b.email
        assert ident.secret.startswith("$argon2id$") and PASSWORD not in ident.secret

    r = b.client.post("/results/en/sign-out", data={"_csrf": b.token()})
    assert r.status_code == 303
    r = b.client.get("/results/en/results")
    assert r.status_code == 302 and "/results/en/sign-in" in r.location

    assert b.sign_in(password="wrong password!").status_code == 401
    r = b.sign_in()
    assert r.status_code == 303 and b.client.get("/results/en/results").status_code == 200


@pytest.mark.parametrize("lang,direction", [("ar", "rtl"), ("ru", "ltr"), ("fa", "rtl"), ("so", "ltr")])
def test_my_results_and_the_sharing_pages_follow_the_learner_language(app, seeker, lang, direction):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        my_results, share = gettext("My results"), gettext("Share a result")
    assert my_results != "My results" and share != "Share a result"  # translated
    for path in ("results", "share", "shares", "account"):
        r = seeker.client.get(f"/results/{lang}/{path}")
        assert r.status_code == 200, path
        assert f'<html lang="{lang}" dir="{direction}">' in r.text, path
        assert my_results in r.text and share in r.text, path
    # a share made on the page in this language leads to its page in this language
    r = seeker.client.post(f"/results/{lang}/share", data={
        "_csrf": seeker.token(f"/results/{lang}/share"), "result": seeker.result,
        "recipient": "employer", "purpose": "työhakemus", "days": "30",
        "employer_name": "Siivous Oy"}, follow_redirects=True)
    assert r.status_code == 200 and r.request.path == f"/results/{lang}/share/done", r.text
    assert f'<html lang="{lang}" dir="{direction}">' in r.text


def test_sign_up_refuses_what_cannot_be_an_account(app):
    b = JobSeekerBrowser(app)
    r = b.sign_up(password="short")
    assert r.status_code == 422 and "at least 10 characters" in r.text
    page = b.client.get("/results/en/sign-up")
    r = b.client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": "not an address", "password": PASSWORD,
        "password_again": PASSWORD})
    assert r.status_code == 422 and "name@example.fi" in r.text
    r = b.client.post("/results/en/sign-up", data={
        "_csrf": csrf(page.text), "email": b.email, "password": PASSWORD,
        "password_again": PASSWORD + "x"})
    assert r.status_code == 422 and "not the same" in r.text
    assert b.sign_up().status_code == 303
    # a taken address gets the same answer as a new one; the mail says the account exists
    again = JobSeekerBrowser(app, email=b.email.upper())
    r = again.ask_sign_up()
    assert r.status_code == 200 and "Check your email" in r.text and "already exists" not in r.text
    assert mailed_link(app, b.email, "/results/en/password/reset/")


def test_failed_sign_ins_are_throttled_per_email(app):
    b = JobSeekerBrowser(app)
    assert b.sign_up().status_code == 303
    b.client.post("/results/en/sign-out", data={"_csrf": b.token()})
    statuses = [b.sign_in(password=f"wrong-{i}-password").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    r = b.sign_in()  # even the right password waits now
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text and "min" in r.text
    other = JobSeekerBrowser(app)  # another email is not affected
    assert other.sign_up().status_code == 303


# -- keeping results -----------------------------------------------------------------------
def test_keeping_the_browsers_test_and_the_history(app, db):
    b = JobSeekerBrowser(app)
    first = b.take_test()
    page = b.client.get("/results/en/sign-up")
    assert "will be kept in your account once you have signed in" in page.text
    assert b.sign_up().status_code == 303
    page = b.client.get("/results/en/results")
    assert 'id="keep-result"' in page.text and "no results in your account" in page.text
    assert b.keep().status_code == 303
    assert b.keep().status_code == 303  # keeping it again is harmless
    second = b.take_test()
    assert b.keep().status_code == 303

    page = b.client.get("/results/en/results")
    assert 'id="keep-result"' not in page.text
    assert page.text.count("<tr data-result=") == 2
    assert f'data-result="{first}"' in page.text and f'data-result="{second}"' in page.text
    assert "<svg" in page.text and 'class="series series-overall"' in page.text
    assert "Unsupervised" in page.text
    mine = b.client.get("/api/v1/results/mine").json["results"]
    assert [r["id"] for r in mine] == [first, second]
    assert all(r["assurance"] == "unsupervised" and r["overall"]["cefr"] for r in mine)
    assert {r["cut_scores_version"] for r in mine} == {"2026-11-provisional"}
    with db.session() as s:
        owned = s.scalars(select(OwnedResult).where(OwnedResult.session_id.in_([first, second]))).all()
        assert {o.assurance for o in owned} == {"unsupervised"}


def test_a_test_kept_by_one_account_cannot_be_kept_by_another(app, seeker):
    with seeker.client.session_transaction() as s:
        test = s["test"]
    other = JobSeekerBrowser(app)
    assert other.sign_up().status_code == 303
    with other.client.session_transaction() as s:
        s["test"] = test  # e.g. the next person at a shared computer
    page = other.client.get("/results/en/results")
    assert "already kept in another account" in page.text and 'id="keep-result"' not in page.text
    r = other.keep()
    assert r.status_code == 409 and "already kept in another account" in r.text
    with other.client.session_transaction() as s:
        s["test"] = {"id": test["id"], "token": "guessed"}
    assert other.keep().status_code == 404


# -- sharing with an employer --------------------------------------------------------------
def test_an_employer_link_shows_the_levels_and_each_view_is_logged(app, db, seeker):
    path = seeker.share_link(seeker.result, employer_email="hr@siivous.fi", show_name="yes")
    assert re.fullmatch(r"/results/v/[A-Za-z0-9_-]{43}", path)  # 256 random bits
    token = path.rsplit("/", 1)[1]
    with db.session() as s:
        share = s.scalar(select(Share).where(Share.session_id == seeker.result))
        import hashlib

        assert share.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in json.dumps([share.token_hash, share.id, share.credential_id])
        assert (share.expires_at.replace(tzinfo=None) - share.created_at.replace(tzinfo=None)) \
            == timedelta(days=30)

    boss = employer(app)
    page = boss.client.get(path + "?lang=en")
    assert page.status_code == 200
    assert "Finnish level: self-assessment, unsupervised" in page.text and 'id="overall-level"' in page.text
    assert "Anna Virtanen" in page.text  # the job seeker chose to show the name
    assert seeker.email not in page.text and "hr@siivous.fi" not in page.text
    assert "job application" not in page.text  # the purpose is the job seeker's business
    assert "/.well-known/jwks.json" in page.text and "credential.jwt" in page.text
    assert page.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in page.headers
    overall = seeker.client.get("/api/v1/results/mine").json["results"][0]["overall"]["cefr"]
    shown = re.search(r'id="overall-level">([^<]+)<', page.text).group(1)
    assert overall in shown  # the level, or the range of levels the test could not tell apart
    assert "Verified" not in page.text and "Probability" in page.text
    assert boss.client.get(path + "?lang=fi").text.startswith("<!doctype html>\n<html lang=\"fi\">")
    sv = boss.client.get(path, headers={"Accept-Language": "sv-FI,sv;q=0.9"})
    assert '<html lang="sv">' in sv.text

    shares = seeker.shares()
    assert len(shares) == 1 and shares[0]["view_count"] == 3
    assert [v["viewer"] for v in shares[0]["views"]] == ["employer link"] * 3
    listing = seeker.client.get("/results/en/shares")
    assert "Siivous Oy" in listing.text and 'class="view-count">3<' in listing.text
    assert "Employer (the link)" in listing.text and "Active" in listing.text
    assert token not in listing.text  # shown once only


def test_the_employer_sees_only_the_shared_result_and_no_name_unless_chosen(app, seeker):
    seeker.take_test()
    assert seeker.keep().status_code == 303
    mine = seeker.client.get("/api/v1/results/mine").json["results"]
    assert len(mine) == 2
    path = seeker.share_link(seeker.result)  # show_name not ticked
    page = employer(app).client.get(path + "?lang=en")
    assert page.status_code == 200 and "Anna Virtanen" not in page.text
    assert mine[1]["id"] not in page.text and mine[0]["id"] not in page.text
    assert seeker.email not in page.text


def test_revoked_expired_and_unknown_links_answer_exactly_alike(app, db, seeker):
    withdrawn = seeker.share_link(seeker.result)
    expired = seeker.share_link(seeker.result, employer_name="Toinen Oy")
    shares = {s["employer_name"]: s["id"] for s in seeker.shares()}
    boss = employer(app)
    assert boss.client.get(withdrawn).status_code == 200
    assert boss.client.get(expired).status_code == 200

    r = seeker.client.post(f"/results/en/shares/{shares['Siivous Oy']}/withdraw",
                           data={"_csrf": seeker.token("/results/en/shares")})
    assert r.status_code == 303
    with db.session() as s:
        s.execute(update(Share).where(Share.id == shares["Toinen Oy"])
                  .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    unknown = "/results/v/" + "A" * 43
    answers = [boss.client.get(p) for p in (withdrawn, expired, unknown, "/results/v/short")]
    assert {a.status_code for a in answers} == {404}
    assert len({a.data for a in answers}) == 1, "the bodies differ"
    assert len({a.headers.get("Content-Type") for a in answers}) == 1
    assert "Tämä linkki ei toimi" in answers[0].text   # an employer without a language: Finnish
    for p in (withdrawn, expired, unknown):
        c = boss.client.get(p + "/credential.jwt")
        assert c.status_code == 404 and c.data == answers[0].data
    counts = {s["employer_name"]: s["view_count"] for s in seeker.shares()}
    assert counts == {"Siivous Oy": 1, "Toinen Oy": 1}  # refused look-ups are no views
    listing = seeker.client.get("/results/en/shares").text
    assert "Withdrawn and expired shares" in listing
    assert "Withdrawn on" in listing and "Expired on" in listing
    assert "You share nothing at the moment." in listing


def test_link_lookups_are_rate_limited_per_client_address(app, seeker):
    path = seeker.share_link(seeker.result)
    prober = employer(app)
    answers = [prober.client.get("/results/v/" + uuid.uuid4().hex + "x" * 11).status_code
               for _ in range(30)]
    assert set(answers) == {404}
    r = prober.client.get(path)  # the 31st look-up in a minute, even of a good link
    assert r.status_code == 429 and "liian monta linkkiä" in r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert prober.client.get(path + "/credential.jwt").status_code == 429
    assert employer(app).client.get(path).status_code == 200  # another address is not affected


# -- the credential ------------------------------------------------------------------------
def _verify_with_pyjwt(token: str, jwks: dict) -> dict:
    keys = jwt.PyJWKSet.from_dict(jwks)
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    return jwt.decode(token, key=key, algorithms=["EdDSA"])


def test_the_credential_verifies_with_pyjwt_and_shows_revoked_after_withdrawal(app, seeker):
    path = seeker.share_link(seeker.result, show_name="yes")
    boss = employer(app)
    r = boss.client.get(path + "/credential.jwt")
    assert r.status_code == 200 and r.mimetype == "application/jwt"
    assert "attachment" in r.headers["Content-Disposition"]
    jwks = boss.client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200 and "max-age=300" in jwks.headers["Cache-Control"]
    assert all("d" not in k for k in jwks.json["keys"])

    claims = _verify_with_pyjwt(r.text, jwks.json)
    vc = claims["vc"]
    share = seeker.shares()[0]
    assert vc["id"] == share["credential_id"] == claims["jti"]
    assert claims["iss"] == PUBLIC and vc["issuer"]["id"] == PUBLIC
    assert claims["sub"].startswith("urn:uuid:") and seeker.email not in r.text
    mine = seeker.client.get("/api/v1/results/mine").json["results"][0]
    results = vc["credentialSubject"]["result"]
    assert results[0]["value"] == mine["overall"]["cefr"]
    assert {x["achievedLevel"].rsplit("#", 1)[1] for x in results[1:]} == \
        {f"{k}-{v['cefr']}" for k, v in mine["skills"].items()}
    assert vc["evidence"][0]["assurance"] == "unsupervised"
    assert vc["credentialSubject"]["identifier"][0]["identityHash"] == "Anna Virtanen"
    assert claims["exp"] - claims["nbf"] == 30 * 24 * 3600

    status_url = vc["credentialStatus"]["id"]
    assert status_url == f"{PUBLIC}/api/v1/results/credentials/" \
                         f"{share['credential_id'].removeprefix('urn:uuid:')}/status"
    status = boss.client.get(status_url.removeprefix(PUBLIC))
    assert status.status_code == 200 and status.json["revokedCredentials"] == []

    w = seeker.client.post(f"/api/v1/results/shares/{share['id']}/withdraw", json={})
    assert w.status_code == 200 and w.json["state"] == "withdrawn"
    status = boss.client.get(status_url.removeprefix(PUBLIC))
    assert status.json["revokedCredentials"] == [
        {"id": vc["id"], "revoked": True, "revocationReason": "Withdrawn by the job seeker."}]
    assert "Anna" not in status.text and seeker.email not in status.text
    # the credential's own check agrees
    from services.results.credentials import CredentialError, check_status, verify_credential

    verified = verify_credential(r.text, jwks.json)
    with pytest.raises(CredentialError, match="revoked"):
        check_status(verified, status.json)
    assert boss.client.get("/api/v1/results/credentials/" + str(uuid.uuid4()) + "/status") \
        .status_code == 404
    assert boss.client.get("/api/v1/results/credentials/not-an-id/status").status_code == 404


def test_the_issuer_keys_and_status_come_from_configuration_not_the_host_header(app, seeker):
    """The shipped nginx passes any Host: a forged Host must not change what is signed."""
    path = seeker.share_link(seeker.result)
    boss = employer(app)
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    token = boss.client.get(path + "/credential.jwt", headers=forged).text
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == PUBLIC and "evil" not in token
    assert jwt.get_unverified_header(token)["kid"].startswith(f"{PUBLIC}/.well-known/jwks.json#")
    assert claims["vc"]["credentialStatus"]["id"].startswith(f"{PUBLIC}/api/v1/results/")
    page = boss.client.get(path, headers=forged).text
    assert "evil.example" not in page and f"{PUBLIC}/.well-known/jwks.json" in page
    keys = boss.client.get("/.well-known/jwks.json", headers=forged).json["keys"]
    assert all(k["kid"].startswith(f"{PUBLIC}/.well-known/jwks.json#") for k in keys)
    context = boss.client.get("/api/v1/results/contexts/taitotaso-v1.jsonld")
    assert context.status_code == 200 and "levelRange" in context.json["@context"]


def test_after_a_key_rotation_old_and_new_credentials_verify(app, config, seeker):
    from services.results.credentials import KeyRing

    boss = employer(app)
    path = seeker.share_link(seeker.result)
    old = boss.client.get(path + "/credential.jwt").text
    KeyRing.load_or_create(config.var_dir / "keys").rotate()  # e.g. by the command line
    new = boss.client.get(path + "/credential.jwt").text
    jwks = boss.client.get("/.well-known/jwks.json").json
    assert len(jwks["keys"]) >= 2
    assert jwt.get_unverified_header(new)["kid"] == jwks["keys"][0]["kid"]
    assert jwt.get_unverified_header(old)["kid"] != jwt.get_unverified_header(new)["kid"]
    assert _verify_with_pyjwt(old, jwks)["jti"] == _verify_with_pyjwt(new, jwks)["jti"]


# -- sharing with a coach ------------------------------------------------------------------
def _staff(db, roles: str, name: str) -> int:
    with db.session() as s:
        row = StaffUser(email=unique_email("staff"), name=name, roles=roles,
                        password_hash=hash_password("irrelevant-password"), active=True)
        s.add(row)
        s.flush()
        return row.id


def test_sharing_with_a_named_coach(app, db, seeker):
    coach = _staff(db, "coach", "Kaisa Coach")
    author = _staff(db, "author", "Aino Author")
    form = seeker.client.get("/results/en/share")
    assert "Kaisa Coach" in form.text and "Aino Author" not in form.text
    r = seeker.share(seeker.result, recipient="coach", coach_id=str(author))
    assert r.status_code == 422 and "Choose a coach from the list" in r.text
    r = seeker.share(seeker.result, recipient="coach", coach_id=str(coach), days="400")
    assert r.status_code == 422 and "1 to 365 days" in r.text
    r = seeker.share(seeker.result, recipient="coach", coach_id=str(coach), days="90")
    assert r.status_code == 200 and "Kaisa Coach" in r.text and 'id="share-link"' not in r.text
    # reloading the confirmation makes no second share: it goes to the list
    again = seeker.client.get("/results/en/share/done")
    assert again.status_code == 303 and again.headers["Location"].endswith("/results/en/shares")
    share = seeker.shares()[0]
    assert share["recipient"] == "coach" and share["coach_name"] == "Kaisa Coach"
    with db.session() as s:
        row = s.get(Share, share["id"])
        assert row.coach_id == coach and row.token_hash is None
        s.add(ShareView(share_id=row.id, viewer="kaisa@example.fi"))  # as the coach pages do
    listing = seeker.client.get("/results/en/shares").text
    assert "Kaisa Coach" in listing and "kaisa@example.fi" in listing


# -- authorization -------------------------------------------------------------------------
def test_one_job_seeker_cannot_reach_anothers_results_or_shares(app, db, seeker):
    path = seeker.share_link(seeker.result, employer_email="hr@siivous.fi")
    share = seeker.shares()[0]
    mallory = JobSeekerBrowser(app, name="Mallory")
    assert mallory.sign_up().status_code == 303
    own = mallory.take_test()
    assert mallory.keep().status_code == 303

    # choosing the other's result to share: page and API
    r = mallory.client.get(f"/results/en/share?result={seeker.result}")
    assert r.status_code == 404 and seeker.result not in r.text
    r = mallory.share(seeker.result)
    assert r.status_code == 404 and "Siivous" not in r.text
    r = mallory.client.post("/api/v1/results/shares", json={
        "result": seeker.result, "recipient": "employer", "employer_name": "X Oy",
        "purpose": "steal"})
    assert r.status_code == 404 and "link" not in r.json
    # odd ids find nothing (and never reach PostgreSQL as text with NUL)
    assert mallory.share(seeker.result[:-1] + "\x00").status_code == 404
    assert mallory.client.get("/results/en/share?result=%00").status_code == 404
    r = mallory.client.post("/api/v1/results/shares", json={
        "result": "\u0000", "recipient": "employer", "employer_name": "X\u0000",
        "purpose": "p"})
    assert r.status_code == 404
    # withdrawing the other's share: page and API
    r = mallory.client.post(f"/results/en/shares/{share['id']}/withdraw",
                            data={"_csrf": mallory.token()})
    assert r.status_code == 404
    r = mallory.client.post(f"/api/v1/results/shares/{share['id']}/withdraw", json={})
    assert r.status_code == 404
    assert employer(app).client.get(path).status_code == 200  # still active
    # lists and the export show only one's own
    for url in ("/results/en/results", "/results/en/shares", "/api/v1/results/mine",
                "/api/v1/results/shares", "/results/en/account/export", "/results/en/account"):
        r = mallory.client.get(url)
        assert r.status_code == 200, url
        for secret in (seeker.result, share["id"], seeker.email, "hr@siivous.fi", "Anna"):
            assert secret not in r.text, (url, secret)
    assert own in mallory.client.get("/results/en/account/export").text
    # nobody signed in: the pages ask to sign in, the API answers 401
    anon = JobSeekerBrowser(app)
    for url in ("/results/en/results", "/results/en/shares", "/results/en/share",
                "/results/en/account", "/results/en/account/export"):
        r = anon.client.get(url)
        assert r.status_code == 302 and "/sign-in" in r.location, url
    for url in ("/api/v1/results/mine", "/api/v1/results/shares"):
        assert anon.client.get(url).status_code == 401
    r = anon.client.post(f"/api/v1/results/shares/{share['id']}/withdraw", json={})
    assert r.status_code == 401


def test_forms_without_the_token_and_cross_site_api_writes_are_refused(app, seeker):
    share_form = seeker.client.get("/results/en/share")
    assert share_form.status_code == 200
    for url, data in (("/results/en/share", {"result": seeker.result, "recipient": "employer",
                                             "employer_name": "X", "purpose": "p"}),
                      ("/results/en/results/keep", {}),
                      ("/results/en/account/delete", {"confirm": "yes"}),
                      ("/results/en/sign-out", {})):
        r = seeker.client.post(url, data=data)
        assert r.status_code == 400 and "form has expired" in r.text, url
        r = seeker.client.post(url, data={**data, "_csrf": "forged"})
        assert r.status_code == 400, url
    assert seeker.shares() == []
    assert seeker.client.get("/results/en/results").status_code == 200  # still signed in
    r = seeker.client.post("/api/v1/results/shares", headers={"Origin": "https://evil.example"},
                           json={"result": seeker.result, "recipient": "employer",
                                 "employer_name": "X Oy", "purpose": "p"})
    assert r.status_code == 403
    r = seeker.client.post("/api/v1/results/shares", data={
        "result": seeker.result, "recipient": "employer", "employer_name": "X", "purpose": "p"})
    assert r.status_code in (415, 422)
    assert seeker.shares() == []
    # the same request from the site itself works
    r = seeker.client.post("/api/v1/results/shares", headers={"Origin": "http://localhost"},
                           json={"result": seeker.result, "recipient": "employer",
                                 "employer_name": "X Oy", "purpose": "p", "days": 7})
    assert r.status_code == 201 and r.json["link"].startswith(f"{PUBLIC}/results/v/")
    assert employer(app).client.get(r.json["link"].removeprefix(PUBLIC)) \
        .status_code == 200


# -- GDPR ----------------------------------------------------------------------------------
def test_export_gives_all_my_data_without_secrets(app, seeker):
    path = seeker.share_link(seeker.result, employer_email="hr@siivous.fi")
    employer(app).client.get(path)
    r = seeker.client.get("/results/en/account/export")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "attachment" in r.headers["Content-Disposition"]
    data = r.json
    assert data["account"]["email"] == seeker.email
    assert data["account"]["display_name"] == "Anna Virtanen"
    assert data["identities"] == [{"provider": "password", "subject": seeker.email,
                                   "created_at": data["identities"][0]["created_at"]}]
    assert [x["id"] for x in data["results"]] == [seeker.result]
    assert data["results"][0]["overall"]["cefr"]
    (share,) = data["shares"]
    assert share["employer_email"] == "hr@siivous.fi" and share["view_count"] == 1
    assert share["views"][0]["viewer"] == "employer link"
    assert "scrypt" not in r.text and "secret" not in r.text and "token_hash" not in r.text


def test_deleting_the_account_removes_personal_data_and_revokes_shares(app, db, seeker):
    path = seeker.share_link(seeker.result, show_name="yes")
    boss = employer(app)
    cred = boss.client.get(path + "/credential.jwt").text
    status_path = jwt.decode(cred, options={"verify_signature": False})["vc"][
        "credentialStatus"]["id"].removeprefix(PUBLIC)
    with seeker.client.session_transaction() as s:
        seeker_id = s["_user_id"].partition("|")[2]

    page = seeker.client.get("/results/en/account/delete")
    assert page.status_code == 200 and "cannot be undone" in page.text
    r = seeker.client.post("/results/en/account/delete", data={"_csrf": csrf(page.text)})
    assert r.status_code == 422 and "Tick the box" in r.text  # the confirmation step
    r = seeker.client.post("/results/en/account/delete",
                           data={"_csrf": csrf(page.text), "confirm": "yes"})
    assert r.status_code == 303

    assert seeker.client.get("/results/en/results").status_code == 302  # signed out
    assert seeker.sign_in().status_code == 401
    assert boss.client.get(path).status_code == 404
    assert boss.client.get(path).data == boss.client.get("/results/v/" + "B" * 43).data
    assert boss.client.get(status_path).json["revokedCredentials"][0]["revoked"] is True
    with db.session() as s:
        row = s.get(JobSeeker, seeker_id)
        assert row.email is None and row.display_name is None and row.deleted_at is not None
        assert s.scalars(select(Identity).where(Identity.job_seeker_id == seeker_id)).all() == []
        assert s.scalars(select(OwnedResult).where(OwnedResult.job_seeker_id == seeker_id)).all() == []
        shares = s.scalars(select(Share).where(Share.job_seeker_id == seeker_id)).all()
        assert shares and all(sh.revoked_at is not None and sh.employer_name is None
                              for sh in shares)
        test = s.get(SessionRow, seeker.result)  # the anonymous test stays
        assert test is not None and test.result["overall"]["cefr"]
    # the email address is free again
    again = JobSeekerBrowser(app, email=seeker.email)
    assert again.sign_up().status_code == 303
    assert again.client.get("/api/v1/results/mine").json["results"] == []


# -- the result page leads here ------------------------------------------------------------
def test_the_result_page_offers_to_keep_the_result(app):
    b = JobSeekerBrowser(app)
    b.take_test()
    page = b.client.get("/en/result")
    assert page.status_code == 200 and 'href="/results/en/keep"' in page.text
    r = b.client.get("/results/en/keep")
    assert r.status_code == 302 and r.location.startswith("/results/en/sign-up?next=")
    for lang in ("fi", "sv", "en"):
        page = b.client.get(f"/results/{lang}/sign-up")
        assert page.status_code == 200 and f'<html lang="{lang}" dir="ltr">' in page.text
    assert b.client.get("/results/de/sign-up").status_code == 404


# -- the kept copy takes a change made while it was being kept -----------------------------
def _change_result(db, session_id: str, cefr: str, stamp: str | None = None) -> dict:
    """The testing service changes a finished test's result and commits it, stamped as a
    coach's review stamps it (services/testing/estimates.py apply_reviewed_level; ``stamp``:
    a change stamped earlier and committed only now); returns the event
    ``test.result_changed`` it then publishes (services/testing/jobs.py)."""
    from services.testing.records import result_of

    stamp = stamp or datetime.now(timezone.utc).isoformat()
    with db.session() as s:
        sess = s.get(SessionRow, session_id)
        sess.result = {**sess.result, "overall": {**sess.result["overall"], "cefr": cefr},
                       "result_changed_at": stamp}
        s.flush()
        return {"session_id": session_id, "changed_at": stamp, "test": result_of(sess)}


class ChangedWhileRead:
    """The results service's port to the testing service (the in-process adapter) whose
    first read answers the test as it was, while the testing service changes its result
    and the event ``test.result_changed`` is handled before the answer comes back: the
    window between reading a test to keep and storing its copy. Later reads answer the test
    as it is now, or ``then`` when one is given (e.g. the testing service away)."""

    def __init__(self, db, cefr: str, then=None):
        from services.adapters.testing import InProcessFinishedTests

        self.db, self.cefr, self.then = db, cefr, then
        self.tests = InProcessFinishedTests(db)
        self.reads, self.event = 0, None

    def finished(self, session_id: str, token: str) -> dict | None:
        from services.results.seekers import keep_in_step

        self.reads += 1
        if self.reads > 1 and self.then is not None:
            return self.then(session_id, token)
        test = self.tests.finished(session_id, token)
        if self.reads == 1:
            self.event = _change_result(self.db, session_id, self.cefr)
            assert keep_in_step(self.db, self.event) is False   # no copy yet: nothing to change
        return test


def _kept(db, session_id: str) -> OwnedResult:
    with db.read() as s:
        return s.get(OwnedResult, session_id)


def _a_finished_test_and_an_account(app, db) -> tuple[dict, str]:
    from .conftest import Taker

    taker = Taker(app.test_client(), "en")
    taker.finish()
    seeker_id = str(uuid.uuid4())
    with db.session() as s:
        s.add(JobSeeker(id=seeker_id, ui_language="en"))
    return {"id": taker.id, "token": taker.token}, seeker_id


def _other_level(db, session_id: str) -> str:
    with db.read() as s:
        was = s.get(SessionRow, session_id).result["overall"]["cefr"]
    return "C1" if was != "C1" else "A1"


def test_a_change_of_the_result_while_it_is_kept_reaches_the_copy(app, db):
    from services.results.seekers import aware, claim, keep_in_step

    test, seeker_id = _a_finished_test_and_an_account(app, db)
    new = _other_level(db, test["id"])
    tests = ChangedWhileRead(db, new)
    assert claim(db, seeker_id, test, tests=tests) == test["id"]
    kept = _kept(db, test["id"])
    assert kept.result["overall"]["cefr"] == new   # not the level the first read gave
    assert aware(kept.result_changed_at) == datetime.fromisoformat(tests.event["changed_at"])
    assert tests.reads == 2
    # the event delivered again later, or an older one, changes nothing
    assert keep_in_step(db, tests.event) is True and _kept(db, test["id"]).result["overall"]["cefr"] == new
    older = {**tests.event, "changed_at": (datetime.fromisoformat(tests.event["changed_at"])
                                            - timedelta(seconds=1)).isoformat(),
             "test": {**tests.event["test"], "result": {"overall": {"cefr": "A1"}}}}
    assert keep_in_step(db, older) is False
    assert _kept(db, test["id"]).result["overall"]["cefr"] == new


def test_when_the_second_read_fails_keeping_again_brings_the_change(app, db):
    from services.results.ports import TestingUnavailable
    from services.results.seekers import claim

    def away(session_id, token):
        raise TestingUnavailable("the testing service did not answer")

    test, seeker_id = _a_finished_test_and_an_account(app, db)
    new = _other_level(db, test["id"])
    with pytest.raises(TestingUnavailable):
        claim(db, seeker_id, test, tests=ChangedWhileRead(db, new, then=away))
    assert _kept(db, test["id"]).result["overall"]["cefr"] != new   # kept, as first read
    tests = ChangedWhileRead(db, new)
    tests.reads = 1   # the change is made: this port just reads
    assert claim(db, seeker_id, test, tests=tests) == test["id"]   # keeping it again
    assert _kept(db, test["id"]).result["overall"]["cefr"] == new


def test_a_change_stamped_before_the_second_read_and_committed_after_it_still_applies(app, db):
    """The second read orders itself by the testing service's stamp, not by when it was
    made: a change in flight while it is read (stamped, not yet committed) still reaches
    the copy when its event comes."""
    from services.results.seekers import claim, keep_in_step

    test, seeker_id = _a_finished_test_and_an_account(app, db)
    first = _other_level(db, test["id"])
    second = "B2" if first != "B2" else "A2"
    in_flight = {}

    def read_while_a_change_is_made(session_id, token):
        answer = tests.tests.finished(session_id, token)   # the test as committed now
        in_flight["stamp"] = datetime.now(timezone.utc).isoformat()
        return answer

    tests = ChangedWhileRead(db, first, then=read_while_a_change_is_made)
    claim(db, seeker_id, test, tests=tests)
    assert _kept(db, test["id"]).result["overall"]["cefr"] == first
    event = _change_result(db, test["id"], second, stamp=in_flight["stamp"])   # committed now
    assert keep_in_step(db, event) is True
    assert _kept(db, test["id"]).result["overall"]["cefr"] == second
