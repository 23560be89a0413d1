"""The authoring JSON API under /api/v1 (flask-smorest: the OpenAPI document comes with it).

Staff sign in with ``POST /api/v1/auth/sign-in`` (or the sign-in page); the session
cookie then carries who they are. Bodies must be JSON, so a form on another site cannot
call the API in their name.
"""
from __future__ import annotations

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from item_bank.content import item_to_dict
from item_bank.model import Item
from services.common.errors import APIError

from . import auth
from .handlers import summary
from .schemas import (ItemBodySchema, ItemDetailSchema, ItemEditSchema, ItemListSchema,
                      ItemQuerySchema, QtiExportQuerySchema, QtiImportResultSchema,
                      QtiImportSchema, SignInSchema, StaffSchema, StatisticsSchema,
                      TransitionSchema, VersionQuerySchema)

blp = Blueprint("staff_api", __name__, url_prefix="/api/v1",
                description="Items of the bank: list, create, edit, review, statistics "
                            "(staff only: sign in first)")


def service():
    return current_app.extensions["taitotaso.authoring"]


def staff():
    return auth.current_staff()


def item_out(item: Item) -> dict:
    return {"id": item.id, "version": item.version, "status": item.status, "kind": item.kind,
            "skill": item.skill, "cefr": item.cefr, "topic": item.topic, "testlet": item.testlet,
            "position": item.position, "stimulus": item.stimulus, "content": item.content,
            "key": item.key, "accept": list(item.accept), "irt": item.irt.as_dict(),
            "assets": item.assets, "content_hash": item.content_hash(),
            "source": item_to_dict(item, service().cuts)}


def detail_out(detail: dict, **extra) -> dict:
    return {**detail, "item": item_out(detail["item"]), **extra}


@blp.route("/auth/sign-in")
class SignIn(MethodView):
    @blp.arguments(SignInSchema)
    @blp.response(200, StaffSchema)
    def post(self, body):
        """Sign in with email and password; the session cookie keeps you signed in.
        401 for a wrong email or password, 429 after 5 failures within 15 minutes."""
        s = auth.attempt_sign_in(body["email"], body["password"])
        return {**s.session_record(), "id": s.id, "email": s.email, "name": s.name}


@blp.route("/auth/sign-out")
class SignOut(MethodView):
    @blp.response(204)
    def post(self):
        """Sign out."""
        auth.sign_out()


@blp.route("/auth/me")
class Me(MethodView):
    @blp.response(200, StaffSchema)
    def get(self):
        """Who is signed in."""
        s = staff()
        return {**s.session_record(), "id": s.id, "email": s.email, "name": s.name}


@blp.route("/items")
class Items(MethodView):
    @blp.arguments(ItemQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ItemListSchema)
    def get(self, args):
        """The newest version of each item, filtered and searched, a page at a time."""
        found = service().list_items(**args)
        found["items"] = [{"id": i.id, "version": i.version, "status": i.status, "kind": i.kind,
                           "skill": i.skill, "cefr": i.cefr, "topic": i.topic,
                           "testlet": i.testlet, "summary": summary(i)} for i in found["items"]]
        return found

    @blp.arguments(ItemBodySchema)
    @blp.response(201, ItemDetailSchema)
    def post(self, body):
        """Create an item as a draft; 422 names each field that breaks its kind's rules."""
        item = service().create(body, staff())
        return detail_out(service().detail(item.id), new_version=True)


@blp.route("/items/<string:item_id>")
class ItemResource(MethodView):
    @blp.arguments(VersionQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ItemDetailSchema)
    def get(self, args, item_id):
        """The newest version (or ``?version=``) with the list of versions and their status."""
        return detail_out(service().detail(item_id, args.get("version")))

    @blp.arguments(ItemEditSchema)
    @blp.response(200, ItemDetailSchema)
    def put(self, body, item_id):
        """Edit an item. A version that is live, retired or has been served stays as it was
        and the edit becomes a new draft version; an unused draft or reviewed version is
        changed in place and goes back to draft."""
        base = body.pop("base_version", None)
        item, new = service().edit(item_id, body, staff(), base)
        return detail_out(service().detail(item_id, item.version), new_version=new)


@blp.route("/items/<string:item_id>/transitions")
class Transitions(MethodView):
    @blp.arguments(TransitionSchema)
    @blp.response(200, ItemDetailSchema)
    def post(self, body, item_id):
        """Move a version between statuses: draft→reviewed, reviewed→live and live→retired
        (reviewers), reviewed→draft (authors too). 409 names the allowed moves."""
        item = service().transition(item_id, body["to"], staff(), body.get("version"))
        return detail_out(service().detail(item_id, item.version))


@blp.route("/items/<string:item_id>/statistics")
class Statistics(MethodView):
    @blp.arguments(VersionQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, StatisticsSchema)
    def get(self, args, item_id):
        """Served, answered, proportion correct and exposure rate of a version. 503 when the
        testing service, which counts the tests, does not answer: try again later."""
        return service().statistics(item_id, args.get("version"))


@blp.route("/assets/<string:sha256>")
class AssetFile(MethodView):
    @blp.response(200, content_type="audio/ogg")
    def get(self, sha256):
        """The recording of a listening item, for the preview."""
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise APIError(404, _("There is no such recording."))
        media_type, data = service().asset(sha256)
        return Response(data, mimetype=media_type,
                        headers={"Cache-Control": "private, max-age=86400"})


@blp.route("/qti/export")
class QtiExport(MethodView):
    @blp.arguments(QtiExportQuerySchema, location="query")
    @blp.response(200, content_type="application/zip")
    def get(self, args):
        """The items as an IMS QTI 3.0 package (zip): the live bank by default."""
        staff()
        status = None if args["status"] == "all" else args["status"]
        data, _n = service().export_qti(status)
        return Response(data, mimetype="application/zip", headers={
            "Content-Disposition": f'attachment; filename="taitotaso-{args["status"]}-qti.zip"'})


@blp.route("/qti/import")
class QtiImport(MethodView):
    @blp.arguments(QtiImportSchema, location="files")
    @blp.response(201, QtiImportResultSchema)
    def post(self, files):
        """Import an IMS QTI 3.0 package (multipart field ``package``): all or nothing."""
        keep = request.args.get("keep_status") in ("1", "true", "yes")
        return service().import_qti(files["package"].read(), staff(), keep_status=keep)
