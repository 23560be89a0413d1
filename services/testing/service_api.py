"""The testing API's service-only part, under /api/v1/testing: what the other services read
or ask of the tables the testing service owns (``test_sessions``, ``session_items``). Each
call carries the calling service's credential (``TAITOTASO_TESTING_CLIENTS``); job seekers'
browsers use /api/v1/sessions instead."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.common.service_calls import require_service

service_blp = Blueprint("testing-services", __name__, url_prefix="/api/v1/testing",
                        description="For the suite's other services, with their credentials")

SERVICE_AUTH = [{"serviceAuth": []}]


def service():
    return current_app.extensions["taitotaso.testing"]


def caller() -> str:
    """The calling service's name, or 401."""
    config = current_app.extensions["taitotaso.resources"].config
    return require_service(config.testing_clients, "TAITOTASO_TESTING_CLIENTS", "testing")


# -- for the results service: a job seeker's tests, erased or exported ----------------------
class SessionIdsSchema(Schema):
    session_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)),
                              required=True, validate=validate.Length(max=1000),
                              metadata={"description": "The tests (session ids) of one job seeker"})


class ErasedSchema(Schema):
    session_items = fields.Integer(metadata={"description": "Answers deleted"})
    test_sessions = fields.Integer(metadata={"description": "Tests kept only as their levels"})


class AnswerSchema(Schema):
    test = fields.String()
    item_id = fields.String()
    skill = fields.String()
    answer = fields.Raw(allow_none=True)
    score = fields.Raw(allow_none=True)
    answered_at = fields.String(allow_none=True)


class AnswersSchema(Schema):
    answers = fields.List(fields.Nested(AnswerSchema))


@service_blp.route("/erasures")
class Erasures(MethodView):
    @service_blp.arguments(SessionIdsSchema)
    @service_blp.response(200, ErasedSchema)
    @service_blp.doc(security=SERVICE_AUTH)
    def post(self, body):
        """Forget a job seeker's tests (GDPR art. 17): their answers are deleted and their
        tokens replaced; each stays only as its anonymous levels. Idempotent."""
        caller()
        from .records import erase_tests

        return erase_tests(_db(), body["session_ids"])


@service_blp.route("/answers")
class Answers(MethodView):
    @service_blp.arguments(SessionIdsSchema)
    @service_blp.response(200, AnswersSchema)
    @service_blp.doc(security=SERVICE_AUTH)
    def post(self, body):
        """The answers given in these tests, for the job seeker's data export (a POST: the
        ids travel in the body, not in a logged address)."""
        caller()
        from .records import answers_of

        return {"answers": answers_of(_db(), body["session_ids"])}


def _db():
    return current_app.extensions["taitotaso.resources"].db
