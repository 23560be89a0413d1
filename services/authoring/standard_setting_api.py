"""The standard-setting JSON API under /api/v1/standard-setting (flask-smorest).

Panelists (the ``panelist`` or ``reviewer`` role) see the studies they sit on and place
their bookmarks; admins make studies, close and open rounds and publish the cut scores.
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from . import auth
from .api import item_out
from .schemas import (BookletItemSchema, BookmarksOutSchema, BookmarksSchema,
                      CutScoreVersionSchema, CutScoreVersionsSchema, PublishSchema,
                      StudyCreateSchema, StudyListSchema, StudyOptionsSchema, StudySchema)

blp = Blueprint("standard_setting_api", __name__, url_prefix="/api/v1/standard-setting",
                description="Standard setting by the bookmark method: studies, the ordered "
                            "item booklet, rounds of bookmarks, and publishing the cut scores "
                            "(panelists and admins)")


def service():
    return current_app.extensions["taitotaso.standard_setting"]


def staff():
    return auth.current_staff()


@blp.route("/options")
class Options(MethodView):
    @blp.response(200, StudyOptionsSchema)
    def get(self):
        """What a new study can set (boundaries with live items) and who can sit on a panel."""
        return service().options()


@blp.route("/studies")
class Studies(MethodView):
    @blp.response(200, StudyListSchema)
    def get(self):
        """Your studies (every study for an admin)."""
        return {"studies": service().list_for(staff())}

    @blp.arguments(StudyCreateSchema)
    @blp.response(201, StudySchema)
    def post(self, body):
        """Make a study (admins): its booklet is fixed now and round 1 opens."""
        study_id = service().create(staff(), body["name"], body["boundaries"], body["panelists"],
                                    body["max_pages"], body["impact_days"])
        return service().view(study_id, staff())


@blp.route("/studies/<int:study_id>")
class Study(MethodView):
    @blp.response(200, StudySchema)
    def get(self, study_id):
        """The study: booklet, your bookmarks, the panel's progress, closed rounds' feedback."""
        return service().view(study_id, staff())


@blp.route("/studies/<int:study_id>/booklet/<int:page>")
class BookletPage(MethodView):
    @blp.response(200, BookletItemSchema)
    def get(self, study_id, page):
        """One page of the booklet: the item with its key and its location at RP."""
        found = service().booklet_page(study_id, page, staff())
        return {**found, "item": item_out(found["item"])}


@blp.route("/studies/<int:study_id>/bookmarks")
class Bookmarks(MethodView):
    @blp.arguments(BookmarksSchema)
    @blp.response(200, BookmarksOutSchema)
    def put(self, body, study_id):
        """Save your bookmarks of the open round; ``submit`` makes them count (every
        boundary, each after the one below). 409 once the round is closed."""
        return service().save_bookmarks(study_id, staff(), body["bookmarks"], body["submit"])


@blp.route("/studies/<int:study_id>/close")
class CloseRound(MethodView):
    @blp.response(200, StudySchema)
    def post(self, study_id):
        """Close the open round (admins): its feedback and impact data are made and shown."""
        service().close_round(study_id, staff())
        return service().view(study_id, staff())


@blp.route("/studies/<int:study_id>/rounds")
class NextRound(MethodView):
    @blp.response(201, StudySchema)
    def post(self, study_id):
        """Open the next round (admins); each panelist starts from their last bookmarks."""
        service().open_round(study_id, staff())
        return service().view(study_id, staff())


@blp.route("/studies/<int:study_id>/publish")
class Publish(MethodView):
    @blp.arguments(PublishSchema)
    @blp.response(201, CutScoreVersionSchema)
    def post(self, body, study_id):
        """Publish the last closed round's medians as a new cut-score version (admins).
        Tests started from then on use it; 409 when the cuts do not increase."""
        return service().publish(study_id, staff(), body.get("version"))


@blp.route("/cut-scores")
class CutScoreVersions(MethodView):
    @blp.response(200, CutScoreVersionsSchema)
    def get(self):
        """Published cut-score versions, newest first, and the shipped provisional ones."""
        return service().cut_score_versions()
