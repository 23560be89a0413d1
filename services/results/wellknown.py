"""Public keys for verifying credentials: /.well-known/jwks.json.

Every published key is listed, the signing one first: after a rotation the older keys stay
until retired, so that what they signed still verifies (see ``credentials.KeyRing``).
Verifiers may cache the set for a few minutes; a retired key disappears within that time.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services.common.errors import error_body

bp = Blueprint("wellknown", __name__)

CACHE_SECONDS = 300


@bp.get("/.well-known/jwks.json")
def jwks():
    from .credentials import KeyRingError
    from .pages import context

    try:
        keys = context().keys.jwks(context().issuer_url)
    except KeyRingError:
        current_app.logger.exception("the signing keys cannot be read")
        body = error_body(503, "The public keys cannot be read at the moment: try again in "
                               "a few minutes.")
        return jsonify(body), 503, {"Retry-After": "300"}
    response = jsonify(keys)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public keys: any verifier may read
    return response


@bp.get("/api/v1/results/contexts/taitotaso-v1.jsonld")
def extension_context():
    """The JSON-LD context of Taitotaso's extension fields, named in every credential."""
    from .credentials import extension_context as document

    response = jsonify(document())
    response.mimetype = "application/ld+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
