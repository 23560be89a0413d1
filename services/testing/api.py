"""The JSON API under /api/v1 (flask-smorest: the OpenAPI document comes with it)."""
from __future__ import annotations

from flask import Response, current_app, request
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


assets_blp = Blueprint("assets", __name__, url_prefix="/api/v1/assets",
                       description="Media of items (listening audio), addressed by SHA-256")


@assets_blp.route("/<string:sha256>")
class AssetFile(MethodView):
    @assets_blp.response(200, content_type="audio/ogg")
    def get(self, sha256):
        """The bytes of one asset; its address never changes, so it may be cached forever."""
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise APIError(404, "No such audio or image.")
        media_type, data = service().asset(sha256)
        return Response(data, mimetype=media_type,
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
