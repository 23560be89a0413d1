"""The JSON API under /api/v1 (flask-smorest: the OpenAPI document comes with it)."""
from __future__ import annotations

import json

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from services.common.errors import APIError
from services.common.rate_limit import enforce
from services.common.feedback import audio_problem

from .schemas import (BlockResponseAcceptedSchema, BlockResponseCreateSchema, NextSchema,
                      ResponseAcceptedSchema, ResponseCreateSchema, ResultSchema,
                      ResultWaitingSchema, SessionCreatedSchema, SessionCreateSchema,
                      SessionStatusSchema, SpeakingSchema, SpeakingUploadSchema, SpeechJobSchema)

RETRY_AFTER_S = 5   # a result waiting for the scoring service is asked for again after this

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
        enforce(current_app.extensions["taitotaso.session_starts"],
                "Too many tests have been started from your address in a minute. Wait a "
                "moment and try again.")
        session_id, token = service().start(body["ui_language"], body.get("self_assessment"))
        return {"id": session_id, "token": token}


@blp.route("/<string:session_id>")
class Session(MethodView):
    @blp.response(200, SessionStatusSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, session_id):
        """The session's state for its bearer: active, scoring (the test is over, a written
        answer waits for its score) or finished. 404 for any other token: the scoring
        service checks a job seeker's token with it."""
        return service().status(session_id, _bearer())


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


@blp.route("/<string:session_id>/block-responses")
class BlockResponses(MethodView):
    @blp.arguments(BlockResponseCreateSchema)
    @blp.response(201, BlockResponseAcceptedSchema)
    @blp.alt_response(409, description="The block was not served in this session, a word of it "
                                        "is answered already, or the test is finished")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, body, session_id):
        """Answer a block of yes/no words in one request: every word in ``block.items`` of
        GET /next, each "yes" (a real Finnish word) or "no". A word left out, or an id that
        is not a word of the block, is refused with 422 and ``errors.answers`` naming each
        one; nothing is stored then. Each word keeps its own stored answer and score; the
        block counts as one item of the test."""
        return service().answer_block(session_id, _bearer(), body["block_id"], body["answers"])


@blp.route("/<string:session_id>/result")
class Result(MethodView):
    @blp.response(200, ResultSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    @blp.alt_response(202, schema=ResultWaitingSchema, description=(
        "The test is over, but a written answer waits for the scoring service: the "
        "result follows when it is scored (ask again after Retry-After seconds)"))
    def get(self, session_id):
        """CEFR level overall and per skill, each with theta, SEM and certainty."""
        from .pending import ResultWaiting

        try:
            return service().result(session_id, _bearer())
        except ResultWaiting as waiting:
            body = {"status": "scoring", "waiting": waiting.waiting, "retry_after": RETRY_AFTER_S,
                    "message": "Your written answer is being scored; the result follows as "
                               "soon as it is. Nothing you wrote is lost."}
            return Response(json.dumps(body), 202, {"Retry-After": str(RETRY_AFTER_S)},
                            mimetype="application/json")


@blp.route("/<string:session_id>/speaking")
class Speaking(MethodView):
    @blp.response(200, SpeakingSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, session_id):
        """The optional speaking part of a finished test: a read-aloud text and an open
        speaking task near the test's level, and the scoring jobs of what was sent."""
        token = _bearer()
        tasks = service().speaking_tasks(session_id, token)
        return {"tasks": tasks, "jobs": service().speaking_jobs(session_id, token)}

    @blp.response(202, SpeechJobSchema, headers={"Location": {
        "description": "The job's address in the scoring API", "schema": {"type": "string"}}})
    @blp.doc(security=[{"bearerAuth": []}], requestBody={"content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["item_id", "audio"], "properties": {
            "item_id": {"type": "string"},
            "audio": {"type": "string", "format": "binary",
                      "description": "WebM/Ogg Opus, WAV, MP3, M4A…; at most 10 MB and the "
                                     "task's time limit"}}}}}})
    def post(self, session_id):
        """Send the recording of one speaking task. It is checked at once (an error says what
        to do about it) and scored by a queued job of the scoring service: poll the job at
        ``Location``. 503 when the scoring service cannot take it now: nothing is kept,
        send it again in a minute."""
        from scoring.speech.audio import AudioProblem

        token = _bearer()
        language = service().session_language(session_id, token)  # 401/404 before the body
        if request.mimetype != "multipart/form-data":
            raise APIError(415, "Send a multipart form with item_id and the recording as the "
                                "file field audio.")
        try:
            upload = request.files.get("audio")
        except RequestEntityTooLarge:
            raise _too_large(language) from None
        try:
            fields = SpeakingUploadSchema().load(request.form.to_dict())
        except ValidationError as err:
            raise APIError(422, "The form is not valid: see errors for each field.",
                           err.normalized_messages()) from None
        if upload is None:
            raise APIError(422, "Send the recording as the file field audio.", {"audio": ["missing"]})
        try:
            job = service().submit_speaking(session_id, token, fields["item_id"], upload.read())
        except AudioProblem as problem:
            raise APIError(413 if problem.code == "too_large" else 422,
                           audio_problem(problem, language), {"audio": [problem.code]}) from None
        return job, {"Location": job["status_url"]}


def _too_large(language: str) -> APIError:
    from scoring.speech.audio import AudioProblem

    problem = AudioProblem("too_large", "the recording is larger than 10 MB")
    return APIError(413, audio_problem(problem, language), {"audio": ["too_large"]})


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
