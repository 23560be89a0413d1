"""The results API under /api/v1/results.

Public: the status of a credential (``/credentials/<id>/status``), which employers' tools
fetch to see whether a credential has been revoked.

For the job seeker's own browser: their kept results and their shares, authenticated by
the same session cookie as the pages (Flask-Login's ``current_user``). Cookie-authenticated writes
are protected against cross-site requests instead of with the form token: the cookie is
``SameSite=Lax`` (not sent with another site's POST), the body must be JSON (another site
cannot send JSON without a CORS preflight, which this API never grants) and an ``Origin``
header, when the browser sends one, must be this site.
"""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from services.common.errors import APIError

from . import seekers, sharing
from .pages import context, current_seeker, db

blp = Blueprint("results", __name__, url_prefix="/api/v1/results",
                description="Results job seekers own, their shares, credentials")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ShareCreateSchema(StrictSchema):
    result = fields.String(required=True, validate=validate.Length(min=1, max=36),
                           metadata={"description": "Id of a result kept in the account"})
    recipient = fields.String(required=True, validate=validate.OneOf(sharing.RECIPIENTS))
    coach_id = fields.Integer(load_default=None, metadata={
        "description": "A staff member with the coach role (recipient coach)"})
    employer_name = fields.String(load_default=None, validate=validate.Length(max=200))
    employer_email = fields.String(load_default=None, validate=validate.Length(max=254))
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=300))
    days = fields.Integer(load_default=sharing.DEFAULT_DAYS,
                          validate=validate.Range(min=1, max=sharing.MAX_DAYS))
    show_name = fields.Boolean(load_default=False, metadata={
        "description": "Show the account's display name to the recipient"})


def _iso(value):
    return value.isoformat(timespec="seconds") if value is not None else None


def _share_json(share: dict) -> dict:
    out = {k: v for k, v in share.items() if k not in ("views",)}
    for k in ("created_at", "expires_at", "withdrawn_at"):
        out[k] = _iso(share[k])
    out["views"] = [{"viewer": v["viewer"], "viewed_at": _iso(v["viewed_at"])}
                    for v in share["views"]]
    return out


def _seeker() -> seekers.Seeker:
    seeker = current_seeker()
    if seeker is None:
        raise APIError(401, "Sign in first: this needs a job seeker's account (the session "
                            "cookie of the results pages).")
    return seeker


def _same_origin_json() -> None:
    """A cookie-authenticated write must come from this site's own pages as JSON."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise APIError(403, "Requests from other sites are not accepted.")
    if request.method == "POST" and request.content_length and not request.is_json:
        raise APIError(415, "Send JSON with Content-Type: application/json.")


@blp.route("/credentials/<string:credential_id>/status")
class CredentialStatus(MethodView):
    @blp.response(200)
    def get(self, credential_id):
        """The 1EdTech revocation list of one credential: empty, or the credential listed as
        revoked (withdrawn by the job seeker). No personal data."""
        doc = sharing.credential_status(db(), credential_id, context().issuer_url)
        if doc is None:
            raise APIError(404, "No credential with this id has been issued here.")
        return doc, 200, {"Cache-Control": "no-cache"}


@blp.route("/mine")
class MyResults(MethodView):
    @blp.response(200)
    def get(self):
        """The results kept in the signed-in job seeker's account, oldest first."""
        out = []
        for r in seekers.history(db(), _seeker().id):
            out.append({"id": r["session_id"], "finished_at": _iso(r["finished_at"]),
                        "kept_at": _iso(r["claimed_at"]), "assurance": r["assurance"],
                        "overall": r["overall"], "skills": r["skills"],
                        "n_items": r["n_items"], "item_bank_version": r["bank_version"],
                        "cut_scores_version": r["cut_scores_version"]})
        return {"results": out}, 200, {"Cache-Control": "no-store"}


@blp.route("/shares")
class Shares(MethodView):
    @blp.response(200)
    def get(self):
        """Every share of the signed-in job seeker, with its views."""
        return ({"shares": [_share_json(s) for s in sharing.shares_of(db(), _seeker().id)]},
                200, {"Cache-Control": "no-store"})

    @blp.arguments(ShareCreateSchema)
    @blp.response(201)
    def post(self, body):
        """Share one kept result. An employer share answers with its link, once: only a
        hash of its token is kept."""
        _same_origin_json()
        seeker = _seeker()
        try:
            share, token = sharing.create_share(
                db(), seeker.id, session_id=body["result"], recipient=body["recipient"],
                coach_id=body["coach_id"], employer_name=body["employer_name"],
                employer_email=body["employer_email"], purpose=body["purpose"],
                days=body["days"], show_name=body["show_name"])
        except seekers.SeekerError as err:
            errors = {err.field: [str(err.message)]} if err.field and err.status != 404 else None
            raise APIError(err.status, str(err.message), errors) from None
        out = _share_json(share)
        if token:
            # the pages' mount point: the API is served on its own path, not under it
            pages = current_app.config.get("RESULTS_PAGES_PATH", "/results").rstrip("/")
            out["link"] = f"{context().issuer_url}{pages}/v/{token}"
        return out, 201, {"Cache-Control": "no-store"}


@blp.route("/shares/<string:share_id>/withdraw")
class WithdrawShare(MethodView):
    @blp.response(200)
    def post(self, share_id):
        """Withdraw a share now: its link stops working and its credential shows as revoked."""
        _same_origin_json()
        seeker = _seeker()
        if not sharing.withdraw(db(), seeker.id, share_id):
            raise APIError(404, "There is no such share in your account.")
        share = next(s for s in sharing.shares_of(db(), seeker.id) if s["id"] == share_id)
        return _share_json(share), 200, {"Cache-Control": "no-store"}
