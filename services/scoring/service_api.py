"""The scoring API's part for the suite's other services, under /api/v1/scoring/records:
the rows this service owns (``score_reviews``, ``speech_jobs``) of the test sessions a
caller names, and a decision on a review made by a person the caller vouches for.

Every call carries the calling service's credential (``TAITOTASO_SCORING_CLIENTS``). Which
sessions a person may see is the caller's decision (e.g. the results service's: a coach sees
the sessions shared with them), so this part answers for any session named; staff use
``/api/v1/scoring/reviews`` with their own session instead.
"""
from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.common.errors import APIError

from .access import SUITE_SERVICES, require_service
from .schemas import (AgreementSchema, ReviewDecidedSchema, ReviewListSchema, ReviewSchema, ReviewSearchSchema,
                      ServiceReviewDecisionSchema, SessionErasureSchema, SessionExportSchema,
                      SessionIdsSchema, SessionJobsSchema)

records_blp = Blueprint("scoring-records", __name__, url_prefix="/api/v1/scoring/records",
                        description="For the suite's services, with their credentials: the "
                                    "reviews and spoken answers of given test sessions")

SERVICE_AUTH = [{"serviceAuth": []}]


@records_blp.before_request
def _only_services():
    """The caller's credential first: a request without it learns nothing, not even which
    body it should have sent. Only the suite's own services (``SUITE_SERVICES``): an API
    client that may send answers to be scored reads and erases nobody's rows."""
    caller = require_service()
    if caller.name not in SUITE_SERVICES:
        raise APIError(403, "This part of the scoring API is for the suite's own services "
                            f"({', '.join(sorted(SUITE_SERVICES))} in TAITOTASO_SCORING_CLIENTS); "
                            "this credential may send answers to be scored only.")
    if caller.name == "authoring" and request.endpoint != "scoring-records.Agreement":
        # the validity report needs the agreement figures, not anyone's answers
        raise APIError(403, "The authoring service may read the agreement figures here, "
                            "not reviews or answers.")


def service():
    return current_app.extensions["taitotaso.scoring"]


@records_blp.route("/reviews/search")
class ReviewSearch(MethodView):
    @records_blp.doc(security=SERVICE_AUTH)
    @records_blp.arguments(ReviewSearchSchema)
    @records_blp.response(200, ReviewListSchema)
    def post(self, body):
        """The reviews of the sessions named (of every session when ``session_ids`` is left
        out), oldest first, ``status`` open, reviewed or all, at most ``limit``. A POST, so
        that a coach's many sessions fit in the body."""
        return {"reviews": service().reviews_of(body.get("session_ids"), body["status"],
                                                body["limit"])}


@records_blp.route("/reviews/<int:review_id>")
class OneReview(MethodView):
    @records_blp.doc(security=SERVICE_AUTH)
    @records_blp.response(200, ReviewSchema)
    def get(self, review_id):
        """One review (404 when there is none)."""
        return service().review_of(review_id)


@records_blp.route("/reviews/<int:review_id>/audio")
class OneReviewAudio(MethodView):
    @records_blp.doc(security=SERVICE_AUTH, responses={"200": {
        "description": "The recording (16 kHz mono WAV)",
        "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}}})
    def get(self, review_id):
        """The recording of a spoken answer under review, as bytes (404 for a written answer,
        or when its recording was deleted)."""
        data = service().review_audio(review_id)
        if not data:   # deleted after the retention period (retention.py)
            raise APIError(404, "This answer's recording was deleted after the retention period.")
        return Response(data, mimetype="audio/wav", headers={"Cache-Control": "private, no-store"})


@records_blp.route("/reviews/<int:review_id>/decision")
class Decision(MethodView):
    @records_blp.doc(security=SERVICE_AUTH)
    @records_blp.arguments(ServiceReviewDecisionSchema)
    @records_blp.response(200, ReviewDecidedSchema)
    def post(self, body, review_id):
        """A person's level for an uncertain answer, passed on by the service they used:
        ``reviewer`` is their email. ``note`` (the reason) is required when ``cefr`` differs
        from the machine's level (422). 409 when the answer was already reviewed. This
        service commits the review and publishes ``review.decided``, as for staff."""
        return service().review(review_id, body["cefr"], body["reviewer"], body.get("note"))


@records_blp.route("/speech-jobs/search")
class SessionJobs(MethodView):
    @records_blp.doc(security=SERVICE_AUTH)
    @records_blp.arguments(SessionIdsSchema)
    @records_blp.response(200, SessionJobsSchema)
    def post(self, body):
        """The spoken answers' jobs of the sessions named, per session, in the order sent
        (without the recordings)."""
        return {"sessions": service().speech_jobs_of(body["session_ids"])}


@records_blp.route("/export")
class SessionExport(MethodView):
    @records_blp.doc(security=SERVICE_AUTH)
    @records_blp.arguments(SessionIdsSchema)
    @records_blp.response(200, SessionExportSchema)
    def post(self, body):
        """What this service keeps of the sessions named, for a person's data export (GDPR
        art. 15): spoken answers with their recordings (base64 WAV) and transcripts, and the
        reviews of the answers."""
        return service().export_sessions(body["session_ids"])


@records_blp.route("/erasure")
class SessionErasure(MethodView):
    @records_blp.doc(security=SERVICE_AUTH)
    @records_blp.arguments(SessionIdsSchema)
    @records_blp.response(200, SessionErasureSchema)
    def post(self, body):
        """Delete the reviews and spoken answers of the sessions named (a person deleted
        their account, GDPR art. 17), and make the database files forget them. Idempotent:
        calling again deletes nothing more."""
        return service().erase_sessions(body["session_ids"])


@records_blp.route("/agreement")
class Agreement(MethodView):
    @records_blp.doc(security=SERVICE_AUTH)
    @records_blp.response(200, AgreementSchema)
    def get(self):
        """Machine against coach on the answers a coach reviewed, per skill (writing,
        speaking, all): exact and adjacent agreement, quadratic weighted kappa, how often
        the coach went higher or lower. For the validity report."""
        from .records import machine_coach_agreement

        return machine_coach_agreement(current_app.extensions["taitotaso.resources"].db)
