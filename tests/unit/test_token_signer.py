"""A session's bearer token carries a signature of its session's id, so that the testing
service can tell its own token without reading the database (a written answer's pre-check)."""
from services.testing.handlers import TokenSigner


def test_a_token_is_signed_for_its_session_only():
    signer = TokenSigner("the service's secret key")
    token = signer.new("session-1")
    assert signer.signed("session-1", token)
    assert not signer.signed("session-2", token)
    assert signer.new("session-1") != token   # random: never the same token twice


def test_a_changed_or_foreign_token_is_not_signed():
    signer = TokenSigner("the service's secret key")
    token = signer.new("session-1")
    nonce, mac = token.rsplit(".", 1)
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    assert not signer.signed("session-1", f"{nonce}.{flipped}")
    assert not signer.signed("session-1", f"{nonce}x.{mac}")
    assert not TokenSigner("another key").signed("session-1", token)   # the key changed
    for unsigned in (None, "", "no-signature-at-all", ".", f".{mac}"):
        assert not signer.signed("session-1", unsigned)
