"""The testing API's service-only part, under /api/v1/testing: what the other services read
or ask of the tables the testing service owns (``test_sessions``, ``session_items``). Each
call carries the calling service's credential (``TAITOTASO_TESTING_CLIENTS``); job seekers'
browsers use /api/v1/sessions instead."""
from __future__ import annotations

import functools
from datetime import timezone

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from services.common.service_calls import require_service

from . import item_exposure
from .impact import MAX_SESSIONS, recent_thetas

service_blp = Blueprint("testing-services", __name__, url_prefix="/api/v1/testing",
                        description="For the suite's other services, with their credentials")

SERVICE_AUTH = [{"serviceAuth": []}]


def service():
    return current_app.extensions["taitotaso.testing"]


def caller() -> str:
    """The calling service's name, or 401."""
    config = current_app.extensions["taitotaso.resources"].config
    return require_service(config.testing_clients, "TAITOTASO_TESTING_CLIENTS", "testing")


# -- for the authoring service: item exposure and recent results ---------------------------
# (services/authoring/ports.py: HttpItemExposure, HttpRecentResults)
def service_only(view):
    """``view`` for the suite's services only: 401 before its parameters are even read."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        caller()
        return view(*args, **kwargs)
    return checked


class ServiceView(MethodView):
    decorators = [service_only]


NO_CREDENTIAL = "No service's credential (TAITOTASO_TESTING_CLIENTS): nothing is read"


class ServedVersionsSchema(Schema):
    item_id = fields.String()
    versions = fields.List(fields.Integer(), metadata={
        "description": "The versions of the item given in any test, ascending (an item no test "
                       "has given, or no such item: [])"})


class ExposureQuerySchema(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "The item's version"})
    since = fields.AwareDateTime(required=True, default_timezone=timezone.utc, metadata={
        "description": "ISO 8601 moment (UTC unless it says otherwise), e.g. when the version "
                       "was made: tests started at or after it are counted"})


class ExposureSchema(Schema):
    item_id = fields.String()
    version = fields.Integer()
    since = fields.AwareDateTime()
    served = fields.Integer(metadata={"description": "Times this version was given in any test"})
    sessions = fields.Integer(metadata={"description": "Tests started at or after `since`"})


class RecentThetasQuerySchema(Schema):
    days = fields.Integer(load_default=365, validate=validate.Range(min=1, max=3650),
                          metadata={"description": "How many days back (1-3650)"})


class RecentThetasSchema(Schema):
    days = fields.Integer()
    thetas = fields.List(fields.Float(), metadata={
        "description": f"Overall θ of the tests finished in the last `days` days, newest "
                       f"first, at most {MAX_SESSIONS}"})


@service_blp.route("/items/<string(maxlength=80):item_id>/served-versions")
class ServedVersions(ServiceView):
    @service_blp.doc(security=SERVICE_AUTH)
    @service_blp.alt_response(401, description=NO_CREDENTIAL)
    @service_blp.response(200, ServedVersionsSchema)
    def get(self, item_id):
        """Which versions of an item have been given in a test: the authoring service never
        changes such a version again. 401 without a service's credential."""
        versions = item_exposure.served_versions(_db(), item_id) if _storable(item_id) else []
        return {"item_id": item_id, "versions": versions}


@service_blp.route("/items/<string(maxlength=80):item_id>/exposure")
class Exposure(ServiceView):
    @service_blp.doc(security=SERVICE_AUTH)
    @service_blp.alt_response(401, description=NO_CREDENTIAL)
    @service_blp.arguments(ExposureQuerySchema, location="query", unknown=RAISE)
    @service_blp.response(200, ExposureSchema)
    def get(self, args, item_id):
        """How often one version of an item was given, and how many tests started since a
        moment (the version's exposure rate is their ratio). 401 without a service's
        credential, 422 naming a missing or malformed ``version`` or ``since``."""
        since = item_exposure.as_utc(args["since"])
        counts = item_exposure.exposure(_db(), item_id if _storable(item_id) else "",
                                        args["version"], since)
        return {"item_id": item_id, "version": args["version"], "since": since, **counts}


@service_blp.route("/recent-thetas")
class RecentThetas(ServiceView):
    @service_blp.doc(security=SERVICE_AUTH)
    @service_blp.alt_response(401, description=NO_CREDENTIAL)
    @service_blp.arguments(RecentThetasQuerySchema, location="query", unknown=RAISE)
    @service_blp.response(200, RecentThetasSchema)
    def get(self, args):
        """The overall θ of recently finished tests (a coach's reviewed level counts), for a
        standard-setting study's impact data. 401 without a service's credential, 422 for
        ``days`` outside 1-3650."""
        return {"days": args["days"], "thetas": recent_thetas(_db(), days=args["days"])}


# -- for the validity report: exposure, length, precision, kinds served --------------------
# (services/authoring/ports.py: HttpTestFigures)
class FiguresQuerySchema(Schema):
    max_exposure_rate = fields.Float(required=True, validate=validate.Range(min=0, max=1),
                                     metadata={"description": "The exposure limit (0-1): the "
                                                              "items shown more often are listed"})


class ItemRateSchema(Schema):
    item = fields.String()
    rate = fields.Float(allow_none=True)


class ExposureFiguresSchema(Schema):
    tests = fields.Integer(metadata={"description": "Finished tests"})
    max_rate = fields.Float(allow_none=True)
    limit = fields.Float()
    over_limit = fields.List(fields.Nested(ItemRateSchema))
    top = fields.List(fields.Nested(ItemRateSchema), metadata={"description": "The 10 most shown"})
    live_items = fields.Integer()
    never_shown = fields.Integer()
    median_rate = fields.Float(allow_none=True)


class LengthFiguresSchema(Schema):
    tests = fields.Integer()
    max_length_share = fields.Float(allow_none=True)
    mean_items = fields.Float(allow_none=True)
    stop_reasons = fields.Dict(keys=fields.String(), values=fields.Float())


class SemBinSchema(Schema):
    from_ = fields.Float(data_key="from", attribute="from")
    to = fields.Float(allow_none=True)
    share = fields.Float(allow_none=True)


class SemFiguresSchema(Schema):
    tests = fields.Integer()
    mean = fields.Float()
    p10 = fields.Float()
    median = fields.Float()
    p90 = fields.Float()
    max = fields.Float()
    bins = fields.List(fields.Nested(SemBinSchema))


class KindFiguresSchema(Schema):
    tests = fields.Integer()
    units = fields.Integer()
    blueprint = fields.String()
    design = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    units_per_test = fields.Float(allow_none=True)
    share = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    never_served = fields.List(fields.String())


class FiguresSchema(Schema):
    exposure = fields.Nested(ExposureFiguresSchema)
    length = fields.Nested(LengthFiguresSchema)
    sem = fields.Nested(SemFiguresSchema, metadata={
        "description": "The overall SEM of finished tests (only `tests` when there are none)"})
    kinds = fields.Nested(KindFiguresSchema)


@service_blp.route("/figures")
class Figures(ServiceView):
    @service_blp.doc(security=SERVICE_AUTH)
    @service_blp.alt_response(401, description=NO_CREDENTIAL)
    @service_blp.arguments(FiguresQuerySchema, location="query", unknown=RAISE)
    @service_blp.response(200, FiguresSchema)
    def get(self, args):
        """The validity report's figures of finished tests: exposure, length, precision (SEM)
        and the kinds of items served. 401 without a service's credential, 422 for a missing
        ``max_exposure_rate`` or one outside 0-1."""
        from .figures import figures

        return figures(_db(), args["max_exposure_rate"])


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
class Erasures(ServiceView):
    @service_blp.alt_response(401, description=NO_CREDENTIAL)
    @service_blp.arguments(SessionIdsSchema)
    @service_blp.response(200, ErasedSchema)
    @service_blp.doc(security=SERVICE_AUTH)
    def post(self, body):
        """Forget a job seeker's tests (GDPR art. 17): their answers are deleted and their
        tokens replaced; each stays only as its anonymous levels. Idempotent."""
        from .records import erase_tests

        return erase_tests(_db(), body["session_ids"])


@service_blp.route("/answers")
class Answers(ServiceView):
    @service_blp.alt_response(401, description=NO_CREDENTIAL)
    @service_blp.arguments(SessionIdsSchema)
    @service_blp.response(200, AnswersSchema)
    @service_blp.doc(security=SERVICE_AUTH)
    def post(self, body):
        """The answers given in these tests, for the job seeker's data export (a POST: the
        ids travel in the body, not in a logged address)."""
        from .records import answers_of

        return {"answers": answers_of(_db(), body["session_ids"])}


def _db():
    return current_app.extensions["taitotaso.resources"].db


def _storable(item_id: str) -> bool:
    """Whether an item could have this id: PostgreSQL cannot even compare one with NUL."""
    return "\x00" not in item_id
