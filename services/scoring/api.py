"""The scoring API: POST /api/v1/scoring/writing, and the review queue of uncertain scores."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from scoring.textinput import TextInputError, clean, read_answer
from services.common.errors import APIError

from .access import limit_uploads, may_read_job, require_service
from services.common.feedback import audio_problem, with_messages
from .schemas import (JobListQuerySchema, JobListSchema, JobQuerySchema, ReviewDecisionSchema,
                      ReviewQuerySchema, SpeechJobSchema, SpeechRequestSchema,
                      SpeechUploadSchema, WritingRequestSchema, WritingResultSchema)

blp = Blueprint("scoring", __name__, url_prefix="/api/v1/scoring",
                description="Written and spoken answers scored to CEFR; the review queue")


def service():
    return current_app.extensions["taitotaso.scoring"]


def _staff():
    """The whole review queue is for reviewers and admins; a coach sees only the answers of
    clients who shared their results with them, on the coach pages."""
    from services.common.staff_login import current_staff

    staff = current_staff()
    if staff is None:
        raise APIError(401, "Sign in as staff (POST /authoring/api/v1/auth/sign-in) to see the review queue.")
    if not staff.has_any("reviewer", "admin"):
        raise APIError(403, "The whole review queue needs the reviewer or admin role. Coaches "
                            "review their clients' answers at /results/coach/reviews.")
    return staff


def _load(data: dict) -> dict:
    try:
        return WritingRequestSchema().load(data)
    except ValidationError as err:
        raise APIError(422, "The request body is not valid: see errors for each field.",
                       err.normalized_messages()) from None


@blp.route("/writing")
class Writing(MethodView):
    # the body is read by hand (JSON or a multipart form with a text file), so the document
    # names its schema here: the HTTP adapters of other services are tested against it
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": WritingRequestSchema}}})
    @blp.response(200, WritingResultSchema)
    def post(self):
        """Score a written answer: JSON {answer, task_id | prompt_text}, or multipart with the
        answer as a text file ``answer_file``. Level A1..C2, sub-scores, confidence, feedback.
        For the suite's services: ``Authorization: Bearer <the service's secret>``."""
        limit_uploads(require_service())
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("answer_file")
            if upload is None:
                raise APIError(422, "Send the answer as the file field answer_file.",
                               {"answer_file": ["missing"]})
            try:
                answer = read_answer(upload.read())
            except TextInputError as err:
                raise APIError(422, str(err), {"answer_file": [str(err)]}) from None
            body = _load({k: v for k, v in request.form.items()
                          if k in ("task_id", "prompt_text", "ui_language", "item_id",
                                   "min_words", "session_id", "review")} | {"answer": answer})
        else:
            if not request.is_json:
                raise APIError(415, "Send JSON (Content-Type: application/json) or a multipart form.")
            data = request.get_json(silent=True)
            if not isinstance(data, dict):
                raise APIError(400, "The request body is not valid JSON: send a JSON object.")
            body = _load(data)
            try:
                body["answer"] = clean(body["answer"])
            except TextInputError as err:
                raise APIError(422, str(err), {"answer": [str(err)]}) from None
        result = service().score_writing(body["answer"], body.get("task_id"), body.get("prompt_text"),
                                         session_id=body.get("session_id"),
                                         item_id=body.get("item_id"), min_words=body.get("min_words"),
                                         review=body["review"])
        result["feedback"] = with_messages(result["feedback"], body["ui_language"])
        return result


@blp.route("/speech")
class Speech(MethodView):
    # the form is read by hand (the recording beside it), so the document names its schema
    # here: the HTTP adapters of other services are tested against it
    @blp.doc(requestBody={"required": True, "content": {
        "multipart/form-data": {"schema": SpeechUploadSchema}}})
    @blp.response(202, SpeechJobSchema, headers={"Location": {
        "description": "The job's address", "schema": {"type": "string"}}})
    def post(self):
        """Score a spoken answer: multipart with the recording as ``audio`` (WebM/Ogg Opus, WAV,
        MP3, M4A…; at most 120 s and 10 MB) and ``item_id`` (a task of the shipped content),
        or ``reference_text`` (read-aloud) or ``prompt_text`` (open speaking) with
        ``item_id`` as the caller's label, and ``session_id`` for a test's answer. The
        recording is checked at once; the answer is 202 with the job, whose address is in
        ``Location``. For the suite's services: ``Authorization: Bearer <the service's secret>``."""
        limit_uploads(require_service())
        if request.mimetype != "multipart/form-data":
            raise APIError(415, "Send a multipart form with the recording as the file field audio.")
        upload = request.files.get("audio")
        if upload is None:
            raise APIError(422, "Send the recording as the file field audio.", {"audio": ["missing"]})
        try:
            fields = SpeechRequestSchema().load(request.form.to_dict())
        except ValidationError as err:
            raise APIError(422, "The form is not valid: see errors for each field.",
                           err.normalized_messages()) from None
        from scoring.speech.audio import AudioProblem

        try:
            job = service().submit_speech(upload.read(), fields)
        except AudioProblem as problem:
            raise APIError(413 if problem.code == "too_large" else 422,
                           audio_problem(problem, fields["ui_language"]),
                           {"audio": [problem.code]}) from None
        location = f"{blp.url_prefix}/jobs/{job['id']}"
        return {**job, "status_url": location}, 202, {"Location": location}


@blp.route("/jobs")
class Jobs(MethodView):
    @blp.arguments(JobListQuerySchema, location="query")
    @blp.response(200, JobListSchema)
    def get(self, args):
        """The scoring jobs of one test session (``session_id``), in the order they were sent:
        how the testing service reads the spoken answers of a test. For the suite's services
        only (``Authorization: Bearer <the service's secret>``); a job seeker reads one job at
        a time at its address."""
        require_service()
        jobs = service().speech_jobs(args["session_id"])
        for job in jobs:
            job["status_url"] = f"{blp.url_prefix}/jobs/{job['id']}"
            result = job.get("result")
            if result and result.get("feedback") is not None:
                result["feedback"] = with_messages(result["feedback"], args.get("ui_language") or "en")
        return {"jobs": jobs}


@blp.route("/jobs/<job_id>")
class Job(MethodView):
    @blp.arguments(JobQuerySchema, location="query")
    def get(self, args, job_id):
        """A scoring job: status (queued, running, done, failed), stage and progress 0–1,
        and when done the result with feedback in ``ui_language``. A service reads it with
        its credentials; a job seeker with the bearer token of the test session it belongs to."""
        from services.scoring.access import bearer, service_caller

        if service_caller() is None and bearer() is None:  # no database look-up for anonymous
            raise APIError(401, "Send the test session's token (or this service's credentials) "
                                "as 'Authorization: Bearer <token>' to see a scoring job.")
        try:
            job = service().speech_job(job_id)
        except APIError as err:
            if err.status == 404 and service_caller() is None:
                may_read_job({})   # the same answer as a job of another session
            raise
        may_read_job(job)
        result = job.get("result")
        if result and result.get("feedback") is not None:
            result["feedback"] = with_messages(result["feedback"], args.get("ui_language") or "en")
        return job


@blp.route("/reviews")
class Reviews(MethodView):
    @blp.arguments(ReviewQuerySchema, location="query")
    def get(self, args):
        """Answers whose machine score is uncertain, oldest first (staff only)."""
        _staff()
        return {"reviews": service().reviews(args["status"])}


@blp.route("/reviews/<int:review_id>/audio")
class ReviewAudio(MethodView):
    def get(self, review_id):
        """The recording of a spoken answer in the review queue (16 kHz WAV; staff only), so
        that a coach hears what the machine scored."""
        _staff()
        from flask import Response

        data = service().review_audio(review_id)
        return Response(data, mimetype="audio/wav",
                        headers={"Cache-Control": "private, no-store"})


@blp.route("/reviews/<int:review_id>")
class Review(MethodView):
    @blp.arguments(ReviewDecisionSchema)
    def post(self, body, review_id):
        """A reviewer's level for an uncertain answer: ``note`` (the reason) is required when
        ``cefr`` differs from the machine's level. Audited; the answer's level and the
        session's result follow it."""
        staff = _staff()
        return service().review(review_id, body["cefr"], staff.email, body.get("note"))
