"""Standard-setting pages: the studies, the round view with the bookmark panel and the
feedback of closed rounds, the booklet's pages (each item as the job seeker sees it, with
its key) and the admin's controls. Forms carry the session's CSRF token like every other
staff page; errors a person can fix come back on the page with the message."""
from __future__ import annotations

from flask import (Blueprint, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _

from assessment.cefr import LEVELS
from item_bank.model import OBJECTIVE_KINDS, Item
from services.common.errors import APIError
from services.common.item_view import answer_from_form
from services.common.names import SKILL_NAMES

from . import auth
from .standard_setting import DEFAULT_PAGES, boundary_name
from .texts import KIND_NAMES, STUDY_STATUS_NAMES

bp = Blueprint("standard_setting", __name__, url_prefix="/standard-setting",
               template_folder="templates")


def service():
    return current_app.extensions["taitotaso.standard_setting"]


@bp.app_context_processor
def _names():
    return {"STUDY_STATUS_NAMES": STUDY_STATUS_NAMES, "boundary_name": boundary_name}


def _staff():
    return auth.current_staff()


# -- the studies ---------------------------------------------------------------------------
def _studies_page(form: dict | None = None, errors: dict | None = None, message: str | None = None,
                  status: int = 200):
    staff = _staff()
    options = service().options() if staff.has("admin") else None
    if form is None and options is not None:
        form = {"name": "", "boundaries": [b["level"] for b in options["boundaries"]],
                "panelists": [], "max_pages": DEFAULT_PAGES}
    return render_template("studies.html", studies=service().list_for(staff), options=options,
                           form=form, errors=errors or {}, message=message,
                           versions=service().cut_score_versions()), status


@bp.get("/")
def studies():
    return _studies_page()


@bp.post("/")
def create_study():
    staff = _staff()
    if not staff.has("admin"):
        raise APIError(403, _("Only an admin can make a standard-setting study."))
    raw_pages = request.form.get("max_pages", "").strip()
    form = {"name": request.form.get("name", "").strip()[:200],
            "boundaries": [b for b in request.form.getlist("boundaries") if b in LEVELS],
            "panelists": [int(p) for p in request.form.getlist("panelists") if p.isdigit()],
            "max_pages": raw_pages}
    if not raw_pages.isdigit() or not 5 <= int(raw_pages) <= 300:
        return _studies_page(form, {"max_pages": [_("Give a number of pages from 5 to 300.")]},
                             _("The study was not made: see the errors of each field."), 422)
    try:
        study_id = service().create(staff, form["name"], form["boundaries"], form["panelists"],
                                    int(raw_pages))
    except APIError as err:
        if err.status not in (409, 422):
            raise
        return _studies_page(form, err.errors, err.message, err.status)
    flash(_("Study made. Round 1 is open for the panelists' bookmarks."))
    return redirect(url_for("standard_setting.study", study_id=study_id))


# -- one study: the round view -------------------------------------------------------------
def _study_page(study_id: int, errors: dict | None = None, message: str | None = None,
                status: int = 200, draft: dict | None = None):
    view = service().view(study_id, _staff())
    marks = dict(view["my_bookmarks"])
    if draft:
        marks.update(draft)
    by_page: dict[int, list[str]] = {}
    for level, page in view["my_bookmarks"].items():
        by_page.setdefault(page, []).append(level)
    closed = [r for r in view["rounds"] if r["summary"]]
    return render_template("study.html", study=view, marks=marks, marks_by_page=by_page,
                           feedback=list(reversed(closed)), errors=errors or {},
                           message=message, levels=LEVELS,
                           skills=SKILL_NAMES, kinds=KIND_NAMES), status


@bp.get("/<int:study_id>")
def study(study_id):
    return _study_page(study_id)


@bp.post("/<int:study_id>/bookmarks")
def save_bookmarks(study_id):
    submit = request.form.get("action") == "submit"
    view = service().view(study_id, _staff())
    marks, errors = {}, {}
    for b in view["boundaries"]:
        raw = request.form.get(f"bookmark-{b['level']}", "").strip()
        if raw == "":
            marks[b["level"]] = None
        elif raw.isdigit():
            marks[b["level"]] = int(raw)
        else:
            errors[b["level"]] = [_("Choose a page of the booklet, 1–%(n)s.", n=len(view["booklet"]))]
    if errors:
        return _study_page(study_id, errors, _("The bookmarks were not saved: see the errors of "
                                               "each boundary."), 422)
    try:
        service().save_bookmarks(study_id, _staff(), marks, submit)
    except APIError as err:
        if err.status not in (409, 422):
            raise
        return _study_page(study_id, err.errors, err.message, err.status,
                           draft={k: v for k, v in marks.items() if v is not None})
    flash(_("Your bookmarks are submitted for round %(n)s. You can change them until the "
            "round closes.", n=view["round"]) if submit else
          _("Your bookmarks are saved. Submit them when every boundary has one."))
    return redirect(url_for("standard_setting.study", study_id=study_id) + "#bookmarks")


def _admin_action(study_id: int, action, done: str):
    try:
        action()
    except APIError as err:
        if err.status not in (403, 409, 422, 503):   # 503: the testing service away
            raise
        return _study_page(study_id, err.errors, err.message, err.status)
    flash(done)
    return redirect(url_for("standard_setting.study", study_id=study_id))


@bp.post("/<int:study_id>/close")
def close_round(study_id):
    return _admin_action(study_id, lambda: service().close_round(study_id, _staff()),
                         _("The round is closed. Its feedback is shown to the panel."))


@bp.post("/<int:study_id>/rounds")
def open_round(study_id):
    return _admin_action(study_id, lambda: service().open_round(study_id, _staff()),
                         _("The next round is open. Each panelist starts from their bookmarks of "
                           "the round before."))


@bp.post("/<int:study_id>/publish")
def publish(study_id):
    version = request.form.get("version", "").strip()[:64]
    if version and not all(ch.isalnum() or ch in "._-" for ch in version):
        return _study_page(study_id, {"version": [_("Use letters, digits, dots, hyphens and "
                                                    "underscores.")]},
                           _("The cut scores were not published: see the errors of each field."), 422)
    published = {}

    def act():
        published.update(service().publish(study_id, _staff(), version or None))

    result = _admin_action(study_id, act, _("Published. Tests started from now on use these "
                                            "cut scores."))
    if published:
        flash(_("Cut-score version %(v)s.", v=published["version"]))
    return result


# -- the booklet ----------------------------------------------------------------------------
def key_lines(item: Item) -> list[str]:
    """The right answer as a reader of the booklet needs it."""
    c = item.content
    if item.kind == "multiple_choice":
        return [f"{item.key}) {c['choices'].get(item.key, '')}"]
    if item.kind == "yes_no":
        return [_("a real Finnish word") if item.key == "yes" else _("not a Finnish word")]
    if item.kind in ("cloze", "sentence_building"):
        return list(item.accept) or [str(item.key)]
    if item.kind == "c_test" and isinstance(item.key, (list, tuple)):
        return [_("Word endings: %(endings)s", endings=", ".join(item.key))]
    if item.kind == "writing_task":
        return [_("No key: the text is scored 0–5 (A1–C2) by the writing scorer.")]
    return [str(item.key)] if item.key is not None else []


@bp.route("/<int:study_id>/booklet/<int:page>", methods=["GET", "POST"])
def booklet(study_id, page):
    from scoring.objective import AnswerError, score

    found = service().booklet_page(study_id, page, _staff())
    item: Item = found["item"]
    error, bookmark_error, checked, status = None, None, None, 200
    if request.method == "POST" and request.form.get("boundary"):
        boundary = request.form["boundary"]
        try:
            service().save_bookmarks(study_id, _staff(), {boundary: page}, submit=False)
        except APIError as err:
            if err.status not in (403, 409, 422):
                raise
            details = [str(m) for msgs in err.errors.values() for m in
                       (msgs if isinstance(msgs, list) else [msgs])]
            bookmark_error, status = " ".join([err.message, *details]), err.status
        else:
            flash(_("Your %(name)s bookmark is on page %(page)s. Submit your bookmarks on the "
                    "study page when every boundary has one.", name=boundary_name(boundary),
                    page=page))
            return redirect(url_for("standard_setting.booklet", study_id=study_id, page=page))
    elif request.method == "POST":
        answer = answer_from_form(request.form)
        if answer is None:
            error, status = _("Choose an answer before you continue."), 422
        elif item.kind in OBJECTIVE_KINDS:
            try:
                checked = {"score": score(item, answer), "max": item.max_score}
            except AnswerError:
                error, status = _("This answer could not be read. Choose one of the options or "
                                  "type a word."), 422
    public = item.public()
    if public.get("audio"):
        public["audio"] = url_for("staff_api.AssetFile", sha256=item.assets["audio"])
    if public.get("stimulus", {}).get("audio"):
        public["stimulus"]["audio"] = url_for("staff_api.AssetFile",
                                              sha256=item.assets["stimulus_audio"])
    here = url_for("standard_setting.booklet", study_id=study_id, page=page)

    def booklet_url_for(endpoint, **values):
        """The job seeker's form posts back to this page, which checks the answer."""
        if endpoint == "pages.test":
            return here
        return url_for(endpoint, **values)

    progress = {"answered": 0, "min_items": current_app.config["TAITOTASO_MIN_ITEMS"],
                "max_items": current_app.config["TAITOTASO_MAX_ITEMS"]}
    return render_template("booklet_page.html", item=public, source=item, found=found,
                           keys=key_lines(item), progress=progress, skills=SKILL_NAMES,
                           kinds=KIND_NAMES, error=error, bookmark_error=bookmark_error, checked=checked,
                           url_for=booklet_url_for, lang=g.get("lang")), status


__all__ = ["bp", "key_lines"]
