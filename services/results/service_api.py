"""The results API's service-only part, under /api/v1/results/sittings: what the other
services ask of the tables the results service owns. Each call carries the calling service's
credential (``TAITOTASO_RESULTS_CLIENTS``); job seekers' browsers and coaches never call it.

The testing service starts a supervised test here: the job seeker typed a coach's one-time
sitting code on the start page (services/results/sittings.py).
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from services.common.errors import APIError
from services.common.service_calls import require_service

from . import sittings

service_blp = Blueprint("results-services", __name__, url_prefix="/api/v1/results/sittings",
                        description="For the suite's other services, with their credentials")

SERVICE_AUTH = [{"serviceAuth": []}]


@service_blp.before_request
def caller() -> None:
    """Only the suite's services get in: 401 without a credential, before the body is read."""
    config = current_app.extensions["taitotaso.resources"].config
    require_service(config.results_clients, "TAITOTASO_RESULTS_CLIENTS", "results")


class SittingClaimSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "The code as the job seeker typed it (ABCD-EFGH; case, spaces and "
                       "dashes do not matter)"})
    session_id = fields.UUID(required=True, metadata={
        "description": "The test session that starts with the code (the testing service's id)"})


class SittingClaimedSchema(Schema):
    sitting_id = fields.String(metadata={"description": "The supervised sitting"})
    session_id = fields.String(metadata={"description": "The test it started"})
    coach_id = fields.Integer(metadata={"description": "The coach who opened the sitting"})
    used_at = fields.DateTime(metadata={"description": "When the code was used"})
    expires_at = fields.DateTime(metadata={"description": "When the code would have expired"})


def claim(sitting: dict) -> dict:
    """A claimed sitting (services.results.sittings) as SittingClaimedSchema dumps it."""
    return {**sitting, "sitting_id": sitting["id"]}


def claimed(sitting: dict) -> dict:
    """A claimed sitting as the API answers it (JSON: ISO 8601 times)."""
    return SittingClaimedSchema().dump(claim(sitting))


@service_blp.route("/claims")
class SittingClaims(MethodView):
    @service_blp.arguments(SittingClaimSchema)
    @service_blp.response(200, SittingClaimedSchema)
    @service_blp.alt_response(401, description="No service credential (TAITOTASO_RESULTS_CLIENTS)")
    @service_blp.alt_response(409, description="The code has started another test already "
                                               "(``errors.code``: [\"used\"])")
    @service_blp.alt_response(422, description=(
        "The code cannot start a test: ``errors.code`` is [\"malformed\"], [\"unknown\"] or "
        "[\"expired\"] (or a field error of the body)"))
    @service_blp.doc(security=SERVICE_AUTH)
    def post(self, body):
        """Start test ``session_id`` with a coach's one-time sitting code: the code is used
        up and the result kept from that test is supervised. Only one test gets a sitting,
        even when two start with the same code at once; claiming again for the same test
        answers the same sitting (a retry is safe)."""
        res = current_app.extensions["taitotaso.resources"]
        try:
            sitting = sittings.claim(res.db, body["code"], str(body["session_id"]),
                                     res.config.secret_key)
        except sittings.CodeRefused as err:
            raise APIError(err.status, err.message, {"code": [err.reason]}) from None
        return claim(sitting)
