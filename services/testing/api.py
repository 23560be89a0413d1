"""The JSON API under /api/v1 (flask-smorest: the OpenAPI document comes with it)."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.common.errors import APIError

from .schemas import (NextSchema, ResponseAcceptedSchema, ResponseCreateSchema, ResultSchema,
                      SessionCreatedSchema, SessionCreateSchema)

blp = Blueprint("sessions", __name__, url_prefix="/api/v1/sessions",
                description="Adaptive test sessions of job seekers")


def service():
    return current_app.extensions["taitotaso.testing"]


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@blp.route("")
class Sessions(MethodView):
    @blp.arguments(SessionCreateSchema)
    @blp.response(201, SessionCreatedSchema)
    def post(self, body):
        """Start a test session; returns its id and bearer token."""
        session_id, token = service().start(body["ui_language"], body.get("self_assessment"))
        return {"id": session_id, "token": token}


@blp.route("/<string:session_id>/next")
class NextItem(MethodView):
    @blp.response(200, NextSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, session_id):
        """The item to answer now (the same until it is answered), or done."""
        return service().next(session_id, _bearer())


@blp.route("/<string:session_id>/responses")
class Responses(MethodView):
    @blp.arguments(ResponseCreateSchema)
    @blp.response(201, ResponseAcceptedSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, body, session_id):
        """Answer the item that was served."""
        return service().answer(session_id, _bearer(), body["item_id"], body["answer"])


@blp.route("/<string:session_id>/result")
class Result(MethodView):
    @blp.response(200, ResultSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, session_id):
        """CEFR level overall and per skill, each with theta, SEM and certainty."""
        return service().result(session_id, _bearer())


__all__ = ["blp", "APIError"]
