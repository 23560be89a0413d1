"""Staff pages: sign-in, the item list, an item with its versions, review actions,
statistics and information curve, the job seeker's view of it, and the edit forms."""
from __future__ import annotations

from flask import (Blueprint, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import refresh

from assessment.cefr import LEVELS
from item_bank.content import item_to_dict
from item_bank.model import KINDS, OBJECTIVE_KINDS, SKILLS, STATUSES, TOPICS, Item
from item_bank.schema import KIND_SKILLS
from services.common.errors import APIError
from services.common.i18n import LANGUAGES
from services.common.item_view import answer_from_form
from services.common.names import SKILL_NAMES

from . import auth, yamlio
from .handlers import FLOW, ROLE_FOR, summary
from .plots import curve_plot
from .texts import (ACTION_NAMES, EVENT_NAMES, KIND_NAMES, ROLE_NAMES, STATUS_NAMES,
                    TOPIC_NAMES, YAML_TEMPLATES)

bp = Blueprint("staff", __name__, template_folder="templates")

PER_PAGE = 50
FILTERS = {"skill": SKILLS, "cefr": LEVELS, "kind": KINDS, "status": STATUSES, "topic": TOPICS}


def service():
    return current_app.extensions["taitotaso.authoring"]


@bp.app_context_processor
def _names():
    return {"KIND_NAMES": KIND_NAMES, "STATUS_NAMES": STATUS_NAMES, "TOPIC_NAMES": TOPIC_NAMES,
            "SKILL_NAMES": SKILL_NAMES, "ROLE_NAMES": ROLE_NAMES, "EVENT_NAMES": EVENT_NAMES,
            "ACTION_NAMES": ACTION_NAMES, "LEVELS": LEVELS}


# -- signing in ------------------------------------------------------------------------
@bp.get("/")
def home():
    return redirect(url_for("staff.items"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    next_url = auth.safe_next(request.values.get("next"))
    error, status, email = None, 200, ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        password = request.form.get("password", "")[:1024]
        if not email or not password:
            error, status = _("Enter your email address and your password."), 400
        else:
            try:
                staff = auth.attempt_sign_in(email, password)
            except APIError as err:
                error, status = err.message, err.status
            else:
                return redirect(next_url or auth.landing(staff) or url_for("staff.items"))
    elif auth.current_staff() is not None:
        return redirect(next_url or auth.landing(auth.current_staff()) or url_for("staff.items"))
    return render_template("sign_in.html", error=error, email=email, next_url=next_url,
                           pages_for=auth.pages_for(next_url)), status


@bp.post("/sign-out")
def sign_out():
    auth.sign_out()
    flash(_("You have signed out."))
    return redirect(url_for("staff.sign_in"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    back = auth.safe_next(request.form.get("next"))
    return redirect(back or url_for("staff.items"))


# -- the item list ---------------------------------------------------------------------
@bp.get("/items")
def items():
    chosen = {name: request.args.get(name) for name in FILTERS}
    chosen = {k: v for k, v in chosen.items() if v in FILTERS[k]}
    q = request.args.get("q", "").strip()[:200]
    try:
        page = max(1, min(int(request.args.get("page", 1)), 100000))
    except ValueError:
        page = 1
    found = service().list_items(**chosen, q=q or None, page=page, per_page=PER_PAGE)
    rows = [{"item": i, "summary": summary(i)} for i in found["items"]]
    args = {**chosen, **({"q": q} if q else {})}
    return render_template("items.html", found=found, rows=rows, chosen=chosen, q=q,
                           filters=FILTERS, args=args)


# -- one item --------------------------------------------------------------------------
def _version_arg() -> int | None:
    raw = request.args.get("version") or request.form.get("version")
    if raw is None or raw == "":
        return None
    if not str(raw).isdigit() or not 0 < int(raw) < 100000:
        raise APIError(404, _("There is no such version."))
    return int(raw)


def _actions(item: Item) -> tuple[list[str], list[str]]:
    """Moves the signed-in staff member may make, and those that need another role."""
    staff = auth.current_staff()
    allowed, other = [], []
    for to in FLOW[item.status]:
        (allowed if staff.has(ROLE_FOR[to]) else other).append(to)
    return allowed, other


def _item_page(item_id: str, version: int | None, action_error: str | None = None,
               status: int = 200):
    detail = service().detail(item_id, version)
    item = detail["item"]
    allowed, other = _actions(item)
    # the testing service away: the page still shows, with a note instead of the exposure
    stats = service().statistics(item_id, item.version, partial=True)
    source = item_to_dict(item, service().cuts)
    return render_template(
        "item_detail.html", detail=detail, item=item, allowed=allowed, needs_reviewer=other,
        stats=stats, plot=curve_plot(item, service().cuts), source_yaml=yamlio.dump(source),
        action_error=action_error, objective=item.kind in OBJECTIVE_KINDS), status


@bp.get("/items/<item_id>")
def item(item_id):
    return _item_page(item_id, _version_arg())


@bp.post("/items/<item_id>/status")
def change_status(item_id):
    to = request.form.get("to", "")
    version = _version_arg()
    try:
        changed = service().transition(item_id, to, auth.current_staff(), version)
    except APIError as err:
        if err.status in (403, 409, 422):
            return _item_page(item_id, version, action_error=err.message, status=err.status)
        raise
    flash(_("Version %(version)s is now: %(status)s.", version=changed.version,
            status=STATUS_NAMES.get(changed.status, changed.status)))
    return redirect(url_for("staff.item", item_id=item_id, version=changed.version))


# -- the job seeker's view -------------------------------------------------------------
@bp.route("/items/<item_id>/preview", methods=["GET", "POST"])
def preview(item_id):
    from scoring.objective import AnswerError, score

    lang = request.values.get("lang")
    if lang in LANGUAGES:
        g.lang = lang
        refresh()
    version = _version_arg()
    item = service().detail(item_id, version)["item"]
    public = item.public()
    # recordings come from this service, wherever it is mounted
    if public.get("audio"):
        public["audio"] = url_for("staff_api.AssetFile", sha256=item.assets["audio"])
    if public.get("stimulus", {}).get("audio"):
        public["stimulus"]["audio"] = url_for("staff_api.AssetFile",
                                              sha256=item.assets["stimulus_audio"])
    if item.testlet:
        public["testlet_position"] = {"index": item.position + 1,
                                      "of": max(service().testlet_size(item.testlet),
                                                item.position + 1)}
    checked, error = None, None
    if request.method == "POST":
        answer = answer_from_form(request.form)
        if answer is None:
            error = _("Choose an answer before you continue.")
        else:
            try:
                checked = {"score": score(item, answer), "max": item.max_score}
            except AnswerError:
                error = _("This answer could not be read. Choose one of the options or type a word.")
    here = url_for("staff.preview", item_id=item.id, version=item.version, lang=g.get("lang"))

    def preview_url_for(endpoint, **values):
        """The job seeker's form posts back to this preview instead of a test."""
        if endpoint == "pages.test":
            return here
        return url_for(endpoint, **values)

    progress = {"answered": 0, "min_items": current_app.config["TAITOTASO_MIN_ITEMS"],
                "max_items": current_app.config["TAITOTASO_MAX_ITEMS"]}
    preview_info = {"item": item, "checked": checked, "objective": item.kind in OBJECTIVE_KINDS,
                    "missing_audio": any(r not in item.assets for r in item.audio_texts())}
    return render_template("item.html", item=public, progress=progress, skills=SKILL_NAMES,
                           error=error, preview=preview_info, url_for=preview_url_for), \
        (422 if error else 200)


# -- creating and editing ----------------------------------------------------------------
def _flatten(errors, prefix="") -> list[tuple[str, str]]:
    out = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            if key == "_schema":
                name = prefix
            out += _flatten(value, name)
    elif isinstance(errors, (list, tuple)):
        for value in errors:
            out += _flatten(value, prefix)
    else:
        out.append((prefix, str(errors)))
    return out


def _form_errors(errors: dict) -> tuple[dict, list[tuple[str, str]]]:
    """Errors of the fields above the YAML box by field, and the others for the box."""
    meta, rest = {}, []
    for name, message in _flatten(errors):
        top = name.split(".", 1)[0]
        if top in yamlio.META:
            meta.setdefault(top, []).append(message)
        else:
            rest.append((name, message))
    return meta, rest


def _render_form(mode: str, form: dict, item: Item | None = None, errors: dict | None = None,
                 yaml_errors: list | None = None, message: str | None = None, status: int = 200):
    kind = form.get("kind") if form.get("kind") in KINDS else "multiple_choice"
    skills = sorted(KIND_SKILLS[kind], key=SKILLS.index)
    return render_template("item_form.html", mode=mode, form=form, item=item, kind=kind,
                           skills=skills, errors=errors or {}, yaml_errors=yaml_errors or [],
                           message=message, kinds=KINDS, topics=TOPICS), status


def _submit(mode: str, item: Item | None = None):
    form = {k: request.form.get(k, "").strip() for k in yamlio.META}
    form["fields"] = request.form.get("fields", "")
    if item is not None:
        form["id"] = item.id
    try:
        fields = yamlio.load_fields(form["fields"])
    except yamlio.YAMLFieldsError as err:
        return _render_form(mode, form, item, yaml_errors=[("", str(err))],
                            message=_("The item was not saved: fix the fields marked below."),
                            status=422)
    clash = [k for k in fields if k in yamlio.META]
    if clash:
        return _render_form(mode, form, item, yaml_errors=[
            (k, _("Set this in its own field above, not in the text box.")) for k in clash],
            message=_("The item was not saved: fix the fields marked below."), status=422)
    raw = {**{k: form[k] for k in yamlio.META if form[k]}, **fields}
    staff = auth.current_staff()
    try:
        if mode == "new":
            saved = service().create(raw, staff)
            flash(_("Draft %(id)s saved.", id=saved.id))
        else:
            base = request.form.get("base_version", "")
            saved, new = service().edit(item.id, raw, staff, int(base) if base.isdigit() else None)
            flash(_("Saved as a new draft, version %(version)s. The earlier version is unchanged.",
                    version=saved.version) if new else
                  _("Version %(version)s saved as a draft.", version=saved.version))
    except APIError as err:
        if err.status not in (409, 422, 503):   # 503: the testing service away, form kept
            raise
        meta, rest = _form_errors(err.errors)
        return _render_form(mode, form, item, errors=meta, yaml_errors=rest,
                            message=err.message, status=err.status)
    return redirect(url_for("staff.item", item_id=saved.id))


@bp.route("/items/new", methods=["GET", "POST"])
def new_item():
    if request.method == "POST":
        return _submit("new")
    kind = request.args.get("kind")
    kind = kind if kind in KINDS else "multiple_choice"
    form = {"id": "", "kind": kind, "skill": "", "cefr": "", "topic": "",
            "fields": YAML_TEMPLATES[kind]}
    return _render_form("new", form)


@bp.route("/items/<item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id):
    detail = service().detail(item_id)
    item = detail["item"]
    if request.method == "POST":
        return _submit("edit", item)
    source = item_to_dict(item, service().cuts)
    fields = {k: v for k, v in source.items() if k not in yamlio.META}
    form = {**{k: source[k] for k in yamlio.META}, "fields": yamlio.dump(fields)}
    return _render_form("edit", form, item)


# -- staff accounts (admins) -------------------------------------------------------------
def _staff_page(form: dict | None = None, error: str | None = None, made=None,
                password: str | None = None, status: int = 200):
    from services.common.accounts import ROLES, list_staff

    staff = auth.current_staff()
    if not staff.has("admin"):
        raise APIError(403, _("Only an admin can see and make staff accounts."))
    return render_template("staff.html", accounts=list_staff(service().db), roles=ROLES,
                           form=form or {"email": "", "name": "", "roles": []}, error=error,
                           made=made, password=password), status


@bp.get("/staff")
def staff_accounts():
    return _staff_page()


@bp.post("/staff")
def add_staff_account():
    """An admin makes a staff account. A password made here is shown once, on this page
    only (never in a flash message, which would travel in the cookie)."""
    from services.common.accounts import AccountError, add_staff

    if not auth.current_staff().has("admin"):
        raise APIError(403, _("Only an admin can see and make staff accounts."))
    form = {"email": request.form.get("email", "").strip()[:254],
            "name": request.form.get("name", "").strip()[:200],
            "roles": request.form.getlist("roles")}
    password = request.form.get("password", "")[:1024] or None
    if not form["email"] or not form["name"] or not form["roles"]:
        return _staff_page(form, _("Give the email address and the name, and choose at least one role."),
                           status=422)
    try:
        made, generated = add_staff(service().db, form["email"], form["name"], form["roles"], password)
    except AccountError as err:
        return _staff_page(form, str(err), status=422)
    return _staff_page(made=made, password=generated)


__all__ = ["bp"]


# -- QTI packages ----------------------------------------------------------------------
def _packages_page(error=None, report=None, status=200):
    export_names = {"live": _("The live bank"), "reviewed": _("Reviewed items"),
                    "draft": _("Drafts"), "all": _("All items, newest version of each")}
    return render_template("packages.html", error=error, report=report,
                           export_names=export_names,
                           can_keep=auth.current_staff().has("reviewer")), status


@bp.get("/packages")
def packages():
    return _packages_page()


@bp.get("/packages/export")
def export_package():
    status = request.args.get("status", "live")
    if status not in ("live", "reviewed", "draft", "all"):
        raise APIError(404, _("No items with this status to export."))
    data, _n = service().export_qti(None if status == "all" else status)
    return current_app.response_class(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="taitotaso-{status}-qti.zip"'})


@bp.post("/packages/import")
def import_package():
    upload = request.files.get("package")
    if upload is None or not upload.filename:
        return _packages_page(error=_("Choose a package file to import."), status=422)
    try:
        report = service().import_qti(upload.read(), auth.current_staff(),
                                      keep_status=request.form.get("keep_status") == "1")
    except APIError as err:
        if err.status in (403, 422):
            return _packages_page(error=err.message, status=err.status)
        raise
    return _packages_page(report=report, status=201)
