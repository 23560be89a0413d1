"""Result credentials: OB 3.0 credentials signed as EdDSA VC-JWTs, checked by independent
JOSE libraries (PyJWT, jwcrypto) against the published JWKS; keys, rotation, retirement."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
from jwcrypto import jwk as jc_jwk
from jwcrypto import jwt as jc_jwt

from services.results.credentials import (
    CONTEXTS,
    CredentialError,
    KeyRing,
    KeyRingError,
    Revocation,
    achievement_credential,
    check_status,
    revocation_list,
    sign_credential,
    verify_credential,
)

ISSUER = "https://taitotaso.example.fi"
KID_BASE = f"{ISSUER}/.well-known/jwks.json#"
ISSUED = datetime(2025, 3, 1, 10, 0, tzinfo=timezone.utc)
NOW = ISSUED + timedelta(days=30)
SUBJECT = "urn:uuid:7d1c6f5e-2b1a-4c3e-9f10-5a4b3c2d1e0f"
CRED_ID = "urn:uuid:0b6c2c4e-6f0e-4a55-9c59-2a8f0a7e9d11"
STATUS_URL = f"{ISSUER}/results/credentials/0b6c2c4e-6f0e-4a55-9c59-2a8f0a7e9d11/status"
RESULT = {
    "overall": {"cefr": "B1", "sem": 0.281, "certainty": 0.812, "at_least": False,
                "theta": 0.4, "level_probabilities": {"B1": 0.812}},
    "skills": {
        "reading": {"cefr": "B2", "sem": 0.35, "certainty": 0.7, "at_least": False},
        "listening": {"cefr": "B1", "sem": 0.33, "certainty": 0.66, "at_least": False},
        "vocabulary": {"cefr": "C1", "sem": 0.4, "certainty": 0.9, "at_least": True},
        "structure": {"cefr": "A2", "sem": 0.41, "certainty": 0.58, "at_least": False},
    },
    "finished_at": "2025-03-01T09:31:12.345678",
    "bank_version": "bank-3f2a9c",
    "cut_scores_version": "provisional-2025-01",
    "n_items": 24,
    "assurance": "unsupervised",
}


def make_credential(*, expires=None, name="Aino K.", result=RESULT):
    return achievement_credential(result, credential_id=CRED_ID, issuer_url=ISSUER,
                                  issuer_name="Taitotaso", subject_name=name, issued=ISSUED,
                                  expires=expires, status_url=STATUS_URL)


def issue(ring, *, expires=None, **kw):
    return sign_credential(make_credential(expires=expires), ring, subject=SUBJECT,
                           expires=expires, **kw)


@pytest.fixture
def ring(tmp_path):
    return KeyRing.load_or_create(tmp_path / "keys")


def pyjwt_verify(token, jwks):
    """What an employer does with PyJWT: pick the published key by kid, allow EdDSA only."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(token, key.key, algorithms=["EdDSA"], issuer=ISSUER,
                      options={"require": ["iss", "sub", "jti", "nbf", "iat"]})


def b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def unb64(part: str):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# -- independent verification -------------------------------------------------------------
def test_pyjwt_verifies_against_the_published_jwks(ring):
    token = issue(ring)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": "JWT",
                      "kid": f"{ISSUER}/.well-known/jwks.json#{ring.active.kid}"}
    claims = pyjwt_verify(token, json.loads(json.dumps(ring.jwks(ISSUER))))  # as served over HTTP
    vc = claims["vc"]
    assert claims["sub"] == SUBJECT == vc["credentialSubject"]["id"]
    assert claims["jti"] == CRED_ID == vc["id"]
    assert claims["iss"] == ISSUER == vc["issuer"]["id"]
    assert claims["nbf"] == claims["iat"] == int(ISSUED.timestamp())
    assert "exp" not in claims
    assert vc == verify_credential(token, ring.jwks(ISSUER), now=NOW)


def test_jwcrypto_verifies_against_the_published_jwks(ring):
    expires = ISSUED + timedelta(days=3 * 365)
    token = issue(ring, expires=expires)
    keyset = jc_jwk.JWKSet.from_json(json.dumps(ring.jwks(ISSUER)))
    checked = jc_jwt.JWT(jwt=token, key=keyset, algs=["EdDSA"],
                         check_claims={"iss": ISSUER, "sub": SUBJECT, "exp": None, "nbf": None})
    claims = json.loads(checked.claims)
    assert claims["exp"] == int(expires.timestamp())
    assert claims["vc"]["validUntil"] == "2028-02-29T10:00:00Z"


def test_kid_is_the_url_of_the_key_named_by_its_rfc7638_thumbprint(ring):
    published = ring.jwks(ISSUER)["keys"][0]
    public = {k: published[k] for k in ("kty", "crv", "x")}
    assert published["kid"] == f"{ISSUER}/.well-known/jwks.json#" + jc_jwk.JWK(**public).thumbprint()
    assert ring.jwks()["keys"][0]["kid"] == jc_jwk.JWK(**public).thumbprint()
    assert set(published) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (published["kty"], published["crv"], published["use"], published["alg"]) == \
        ("OKP", "Ed25519", "sig", "EdDSA")


def test_the_vc_data_model_2_form_verifies_too(ring):
    token = issue(ring, vc_claim=False)
    claims = pyjwt_verify(token, ring.jwks(ISSUER))
    assert "vc" not in claims and claims["credentialSubject"]["id"] == SUBJECT
    vc = verify_credential(token, ring.jwks(ISSUER), now=NOW)
    assert vc["id"] == CRED_ID and "iss" not in vc and "nbf" not in vc


# -- refusals -----------------------------------------------------------------------------
def test_changing_one_level_breaks_the_signature(ring):
    token = issue(ring)
    head, payload, sig = token.split(".")
    claims = unb64(payload)
    claims["vc"]["credentialSubject"]["result"][0]["achievedLevel"] = \
        claims["vc"]["credentialSubject"]["result"][0]["achievedLevel"].replace("-B1", "-C1")
    forged = f"{head}.{b64(claims)}.{sig}"
    with pytest.raises(CredentialError, match="not signed by Taitotaso, or it has been changed"):
        verify_credential(forged, ring.jwks(ISSUER), now=NOW)
    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_verify(forged, ring.jwks(ISSUER))


def test_a_key_that_is_not_published_is_refused(ring, tmp_path):
    stranger = KeyRing.load_or_create(tmp_path / "elsewhere")
    token = issue(stranger)
    with pytest.raises(CredentialError, match="signed with a key this service no longer publishes"):
        verify_credential(token, ring.jwks(ISSUER), now=NOW)


def test_an_expired_credential_is_refused(ring):
    token = issue(ring, expires=ISSUED + timedelta(days=10))
    with pytest.raises(CredentialError, match="expired on 11 March 2025"):
        verify_credential(token, ring.jwks(ISSUER), now=NOW)
    assert verify_credential(token, ring.jwks(ISSUER), now=ISSUED + timedelta(days=9))
    with pytest.raises(jwt.ExpiredSignatureError):
        pyjwt_verify(token, ring.jwks(ISSUER))


def test_a_credential_not_yet_valid_is_refused(ring):
    token = issue(ring)
    with pytest.raises(CredentialError, match="not valid before 1 March 2025, 10:00 UTC"):
        verify_credential(token, ring.jwks(ISSUER), now=ISSUED - timedelta(hours=1))


def test_alg_none_is_refused(ring):
    claims = unb64(issue(ring).split(".")[1])
    unsigned = f"{b64({'alg': 'none', 'kid': KID_BASE + ring.active.kid, 'typ': 'JWT'})}.{b64(claims)}."
    with pytest.raises(CredentialError, match="not signed by Taitotaso.*'none'"):
        verify_credential(unsigned, ring.jwks(ISSUER), now=NOW)
    with pytest.raises(jwt.InvalidTokenError):
        pyjwt_verify(unsigned, ring.jwks(ISSUER))


def test_hs256_with_the_public_key_as_secret_is_refused(ring):
    """The algorithm-confusion attack: an HMAC keyed with what the JWKS publishes."""
    claims = unb64(issue(ring).split(".")[1])
    published = ring.jwks(ISSUER)["keys"][0]
    for secret in (published["x"].encode(), base64.urlsafe_b64decode(published["x"] + "="),
                   json.dumps(published).encode()):
        header = {"alg": "HS256", "kid": published["kid"], "typ": "JWT"}
        signing_input = f"{b64(header)}.{b64(claims)}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
        with pytest.raises(CredentialError, match="not signed by Taitotaso.*'HS256'"):
            verify_credential(forged, ring.jwks(ISSUER), now=NOW)
        with pytest.raises(jwt.InvalidTokenError):
            pyjwt_verify(forged, ring.jwks(ISSUER))


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "é.é.é", "e30.e30.e30", None])
def test_damaged_text_is_refused_plainly(ring, token):
    with pytest.raises(CredentialError):
        verify_credential(token, ring.jwks(ISSUER), now=NOW)


def test_claims_that_disagree_with_the_credential_are_refused(ring):
    credential = make_credential()
    key = ring.active
    claims = {"iss": ISSUER, "sub": "urn:uuid:someone-else", "jti": CRED_ID,
              "iat": int(ISSUED.timestamp()), "nbf": int(ISSUED.timestamp()),
              "vc": {**credential,
                     "credentialSubject": {**credential["credentialSubject"], "id": SUBJECT}}}
    signing_input = f"{b64({'alg': 'EdDSA', 'kid': KID_BASE + key.kid, 'typ': 'JWT'})}.{b64(claims)}"
    sig = base64.urlsafe_b64encode(key.private_key.sign(signing_input.encode()))
    sig = sig.rstrip(b"=").decode()
    with pytest.raises(CredentialError, match="do not match the credential"):
        verify_credential(f"{signing_input}.{sig}", ring.jwks(ISSUER), now=NOW)


# -- keys ---------------------------------------------------------------------------------
def test_rotation_keeps_old_credentials_valid(ring):
    old_kid = ring.active.kid
    before = issue(ring)
    new = ring.rotate()
    assert new.kid != old_kid and ring.active.kid == new.kid
    after = issue(ring)
    assert jwt.get_unverified_header(after)["kid"].endswith("#" + new.kid)
    jwks = ring.jwks(ISSUER)
    assert [k["kid"].rsplit("#", 1)[1] for k in jwks["keys"]] == [new.kid, old_kid]
    for token in (before, after):
        assert verify_credential(token, jwks, now=NOW)["id"] == CRED_ID
        assert pyjwt_verify(token, jwks)["jti"] == CRED_ID


def test_retiring_a_key_unpublishes_it(ring):
    old_kid = ring.active.kid
    old_token = issue(ring)
    new_kid = ring.rotate().kid
    ring.retire(old_kid)
    assert ring.kids == [new_kid]
    assert old_kid not in json.dumps(ring.jwks(ISSUER))
    with pytest.raises(CredentialError, match="no longer publishes"):
        verify_credential(old_token, ring.jwks(ISSUER), now=NOW)
    with pytest.raises(KeyError):
        ring.public_key(old_kid)
    assert list((ring.directory / "retired").glob("*.public.pem"))
    assert verify_credential(issue(ring), ring.jwks(ISSUER), now=NOW)


def test_retiring_the_last_key_makes_a_new_one(ring):
    leaked = ring.active.kid
    ring.retire(leaked)
    assert len(ring.kids) == 1 and ring.active.kid != leaked


def test_key_files_are_private_and_reload_gives_the_same_kids(ring):
    ring.rotate()
    files = sorted(ring.directory.glob("*.pem"))
    assert len(files) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert b"PRIVATE KEY" in path.read_bytes()
    assert stat.S_IMODE(ring.directory.stat().st_mode) == 0o700
    again = KeyRing.load_or_create(ring.directory)
    assert again.kids == ring.kids and again.active.kid == ring.active.kid


def test_another_process_rotating_is_seen(ring):
    import os

    os.utime(ring.directory, (1, 1))
    other = KeyRing.load_or_create(ring.directory)
    new_kid = other.rotate().kid
    assert ring.active.kid == new_kid and len(ring.jwks(ISSUER)["keys"]) == 2


def test_the_key_directory_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TAITOTASO_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TAITOTASO_SIGNING_KEYS", raising=False)
    assert KeyRing.load_or_create().directory == tmp_path / "var" / "keys"
    monkeypatch.setenv("TAITOTASO_SIGNING_KEYS", str(tmp_path / "secret"))
    ring = KeyRing.load_or_create()
    assert ring.directory == tmp_path / "secret" and len(ring.kids) == 1


def test_a_key_that_is_not_ed25519_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    (tmp_path / "k").mkdir()
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "k" / "20250101T000000Z.pem").write_bytes(pem)
    with pytest.raises(KeyRingError, match="not an Ed25519 key"):
        KeyRing.load_or_create(tmp_path / "k")


# -- the credential -----------------------------------------------------------------------
def test_the_credential_has_the_open_badges_3_required_fields():
    c = make_credential(expires=ISSUED + timedelta(days=365))
    assert c["@context"] == [*CONTEXTS, f"{ISSUER}/api/v1/results/contexts/taitotaso-v1.jsonld"]
    assert list(CONTEXTS) == ["https://www.w3.org/ns/credentials/v2",
                              "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert c["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert c["id"] == CRED_ID and c["name"] == \
        "Finnish language self-assessment, unsupervised: level B1 (CEFR)"
    assert c["issuer"] == {"id": ISSUER, "type": ["Profile"], "name": "Taitotaso", "url": ISSUER}
    assert c["validFrom"] == "2025-03-01T10:00:00Z" and c["validUntil"] == "2026-03-01T10:00:00Z"
    assert c["credentialStatus"] == {"id": STATUS_URL, "type": "1EdTechRevocationList"}

    subject = c["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["activityEndDate"] == "2025-03-01T09:31:12Z"
    assert subject["identifier"] == [{"type": "IdentityObject", "identityType": "name",
                                      "hashed": False, "identityHash": "Aino K."}]
    ach = subject["achievement"]
    assert ach["type"] == ["Achievement"] and ach["achievementType"] == "Assessment"
    assert ach["id"] == f"{ISSUER}/achievements/finnish-language-cefr"
    assert ach["name"] and ach["description"] and ach["criteria"]["narrative"]

    descriptions = {d["id"]: d for d in ach["resultDescription"]}
    assert len(descriptions) == 7  # overall and the six skills
    levels = {}
    for d in descriptions.values():
        assert d["type"] == ["ResultDescription"] and d["resultType"] == "RubricCriterionLevel"
        assert [lv["name"] for lv in d["rubricCriterionLevel"]] == \
            ["A1", "A2", "B1", "B2", "C1", "C2"]
        for lv in d["rubricCriterionLevel"]:
            assert lv["type"] == ["RubricCriterionLevel"]
            levels[lv["id"]] = d["id"]

    results = subject["result"]
    assert [r["resultDescription"].rsplit("#", 1)[1] for r in results] == \
        ["overall", "reading", "listening", "vocabulary", "structure"]
    for r in results:
        assert r["type"] == ["Result"]
        assert levels[r["achievedLevel"]] == r["resultDescription"]  # a level of that description
        assert r["achievedLevel"].endswith("-" + r["value"])
        assert isinstance(r["sem"], float) and r["assurance"] == "unsupervised"
    assert results[0]["sem"] == 0.281 and results[0]["certainty"] == 0.812
    assert results[3]["value"] == "C1" and results[3]["atLeast"] is True

    evidence = c["evidence"][0]
    assert evidence["type"] == ["Evidence"] and evidence["assurance"] == "unsupervised"
    assert evidence["itemBankVersion"] == "bank-3f2a9c" and evidence["itemsAnswered"] == 24
    assert evidence["cutScoresVersion"] == "provisional-2025-01"


def test_the_credential_holds_no_personal_data_beyond_the_chosen_name():
    anonymous = make_credential(name=None)
    text = json.dumps(anonymous)
    assert "identifier" not in anonymous["credentialSubject"]
    for private in ("theta", "level_probabilities", "ui_language"):
        assert private not in text
    assert "id" not in anonymous["credentialSubject"]  # the subject URI comes at signing


def test_supervised_results_say_so():
    c = make_credential(result={**RESULT, "assurance": "supervised"})
    assert {r["assurance"] for r in c["credentialSubject"]["result"]} == {"supervised"}
    assert "identity was checked" in c["evidence"][0]["narrative"]
    with pytest.raises(ValueError, match="assurance"):
        make_credential(result={**RESULT, "assurance": "proctored-ish"})


def test_signing_checks_subject_and_expiry(ring):
    credential = make_credential(expires=ISSUED + timedelta(days=10))
    with pytest.raises(ValueError, match="validUntil"):
        sign_credential(credential, ring, subject=SUBJECT, expires=None)
    for address in ("aino@example.fi", "mailto:aino@example.fi"):
        with pytest.raises(ValueError, match="URI"):
            sign_credential(credential, ring, subject=address,
                            expires=ISSUED + timedelta(days=10))


# -- status -------------------------------------------------------------------------------
def test_a_revoked_credential_is_visible_in_its_status_list(ring):
    vc = verify_credential(issue(ring), ring.jwks(ISSUER), now=NOW)
    check_status(vc, revocation_list(STATUS_URL, ISSUER, []))
    document = revocation_list(STATUS_URL, ISSUER, [Revocation(CRED_ID, "withdrawn by its holder")])
    assert document == {"id": STATUS_URL, "issuer": ISSUER, "revokedCredentials": [
        {"id": CRED_ID, "revoked": True, "revocationReason": "withdrawn by its holder"}]}
    with pytest.raises(CredentialError, match="revoked: withdrawn by its holder"):
        check_status(vc, json.loads(json.dumps(document)))
    with pytest.raises(CredentialError, match="not the one the credential names"):
        check_status(vc, revocation_list(f"{ISSUER}/other", ISSUER, []))


# -- Open Badges 3.0 schema, extension context, issuer -----------------------------------
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "ob_v3p0_achievementcredential_schema.json"


def ob3_errors(credential) -> list[str]:
    """What 1EdTech's JSON Schema of an AchievementCredential says is wrong (the structure;
    date-time formats only where jsonschema has its optional format checkers installed)."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(credential)]


@pytest.mark.parametrize("assurance", ["unsupervised", "supervised"])
@pytest.mark.parametrize("name", ["Aino K.", None])
def test_issued_credentials_validate_against_the_open_badges_3_json_schema(ring, assurance, name):
    expires = ISSUED + timedelta(days=60)
    credential = achievement_credential({**RESULT, "assurance": assurance}, credential_id=CRED_ID,
                                        issuer_url=ISSUER, issuer_name="Taitotaso", subject_name=name,
                                        issued=ISSUED, expires=expires, status_url=STATUS_URL)
    signed = verify_credential(sign_credential(credential, ring, subject=SUBJECT, expires=expires),
                               ring.jwks(ISSUER), now=NOW)
    assert ob3_errors(signed) == []
    # the schema does check: without the subject's achievement or the status type it fails
    broken = json.loads(json.dumps(signed))
    del broken["credentialSubject"]["achievement"]
    del broken["credentialStatus"]["type"]
    assert len(ob3_errors(broken)) == 2


def test_the_extension_fields_are_defined_in_the_credentials_own_context():
    from services.results.credentials import extension_context

    c = make_credential()
    terms = extension_context()["@context"]
    used = {"assurance", "itemBankVersion", "cutScoresVersion", "itemsAnswered"}
    for r in c["credentialSubject"]["result"]:
        used |= set(r) - {"type", "resultDescription", "achievedLevel", "value"}
    assert used <= set(terms) and all(terms[t]["@id"].startswith("https://") for t in used)


def test_levels_the_test_could_not_tell_apart_are_a_range_with_its_probability():
    uncertain = {"cefr": "B2", "sem": 0.5, "certainty": 0.42, "at_least": False,
                 "level_probabilities": {"A2": 0.02, "B1": 0.4, "B2": 0.42, "C1": 0.16}}
    c = make_credential(result={**RESULT, "overall": uncertain})
    overall = c["credentialSubject"]["result"][0]
    assert overall["value"] == "B2" and overall["certainty"] == 0.42
    assert overall["levelRange"] == {"lowest": "B1", "highest": "B2", "text": "B1–B2",
                                     "probability": 0.82}
    assert c["name"] == "Finnish language self-assessment, unsupervised: level B1–B2 (CEFR)"
    # a sure level stays one level; a level without stored probabilities too
    sure = c["credentialSubject"]["result"][1]
    assert sure["levelRange"] == {"lowest": "B2", "highest": "B2", "text": "B2", "probability": 0.7}


def test_a_credential_naming_another_issuer_is_refused_even_when_our_key_signed_it(ring):
    """The status address and keys of a credential belong to its issuer: one claiming to be
    issued elsewhere cannot be passed off with a Taitotaso signature."""
    evil = "https://evil.example"
    credential = achievement_credential(RESULT, credential_id=CRED_ID, issuer_url=evil,
                                        issuer_name="Taitotaso", subject_name=None, issued=ISSUED,
                                        expires=None, status_url=f"{evil}/status")
    token = sign_credential(credential, ring, subject=SUBJECT, expires=None)
    with pytest.raises(CredentialError, match="no longer publishes"):
        verify_credential(token, ring.jwks(ISSUER), now=NOW)
    # even with its kid rewritten to our key's URL, the claims name another issuer
    header, claims = jwt.get_unverified_header(token), unb64(token.split(".")[1])
    forged = jwt.encode(claims, ring.active.private_key, algorithm="EdDSA",
                        headers={"kid": KID_BASE + ring.active.kid, "typ": "JWT"})
    assert header["kid"].startswith(evil)
    with pytest.raises(CredentialError, match="whose published keys did not sign it"):
        verify_credential(forged, ring.jwks(ISSUER), now=NOW)
