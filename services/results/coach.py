"""The coach's pages: clients who shared with this coach, their progress, the review queue.

Served by the results app under ``/coach`` (``/results/coach`` in the gateway). Staff sign
in once, on the authoring service's sign-in page; its signed cookie (``taitotaso_staff``,
same secret key) is read here and checked against the staff table on every request, so a
deactivated account or a removed role counts at once.

Who sees what is decided in :mod:`services.results.coaching`: a coach sees a job seeker only
through an active share to them, and anything else answers 404, the same as an unknown id.
POST forms carry the results app's CSRF token.
"""
from __future__ import annotations

from pathlib import Path

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import format_date, gettext as _, lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from assessment.cefr import LEVELS, CutScores
from services.common.staff_login import STAFF_COOKIE
from services.common.staff_session import SIGN_IN, current_staff, staff_language, staff_with
from services.common.staff_names import ROLE_NAMES
from services.common.accounts import Staff
from services.common.errors import APIError
from services.common.names import SKILL_NAMES, SPEAKING_TASK_NAMES

from . import coaching
from .coach_charts import profile_chart, progress_chart
from .coaching import RESULT_SKILLS, NotShared, level_text
from .ports import AlreadyReviewed, DecisionRefused, NoSuchReview, ScoringUnavailable

SERVICES = Path(__file__).resolve().parents[1]

bp = Blueprint("coach", __name__, url_prefix="/coach", template_folder="templates",
               static_folder="coach_static", static_url_path="/static")
# the job seeker's and the item bank's stylesheets, so that every staff page looks the same
bp.register_blueprint(Blueprint("look", __name__, static_folder=str(SERVICES / "testing" / "static"),
                                static_url_path="/static/testing"))
bp.register_blueprint(Blueprint("staff_look", __name__, static_folder=str(SERVICES / "authoring" / "static"),
                                static_url_path="/static/authoring"))

ASSURANCE_NAMES = {"unsupervised": _l("Unsupervised"), "supervised": _l("Supervised")}
KIND_NAMES = {"writing": _l("Written answer"), "speech": _l("Spoken answer")}
STATUS_NAMES = {"open": _l("Waiting for review"), "reviewed": _l("Reviewed")}
SUBSCORE_NAMES = {"task": _l("Task completion"), "vocabulary": _l("Vocabulary"),
                  "accuracy": _l("Accuracy"), "coherence": _l("Coherence"),
                  "fluency": _l("Fluency"), "range": _l("Range of vocabulary")}
MAX_REASON = 2000


# -- who is signed in ------------------------------------------------------------------
def _resources():
    return current_app.extensions["taitotaso.resources"]


def _scoring():
    """The scoring service's reviews and spoken answers (services/results/ports.py)."""
    return current_app.extensions["taitotaso.results.scoring"]


def _scoring_away() -> str:
    return _("The answers under review cannot be shown just now: the scoring service is not "
             "answering. Reload the page in a moment.")


coach_only = staff_with(("coach",), lambda: _(
    "These pages are for coaches: your account does not have the coach role. An admin can add it."))
review_staff = staff_with(("coach", "reviewer", "admin"), lambda: _(
    "The review queue is for coaches, reviewers and admins: your account has none of these "
    "roles. An admin can add one."))


@bp.before_request
def _before():
    # PostgreSQL cannot compare text with NUL characters: such a request finds nothing
    if "\x00" in request.full_path:
        raise APIError(404, _("There is no such page."))
    staff_language("coach_lang")


@bp.after_request
def _private(response):
    # the job seekers' results: kept out of every cache and frame
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@bp.errorhandler(APIError)
def _api_error(err: APIError):
    return render_template("coach_error.html", code=err.status, message=err.message), err.status


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    if err.code == 400 and "form has expired" in (err.description or ""):
        message = _("The form has expired. Go back, reload the page and try again.")
    elif err.code == 404:
        message = _("There is no such page.")
    else:
        message = err.description or err.name
    return render_template("coach_error.html", code=err.code, message=message), err.code or 500


@bp.context_processor
def _texts():
    def lang_url(code: str) -> str:
        args = {k: v for k, v in request.args.items() if k != "lang"}
        if request.endpoint and request.url_rule is not None and request.method == "GET":
            return url_for(request.endpoint, **(request.view_args or {}), **args, lang=code)
        return url_for("coach.clients", lang=code)

    return {"coach_staff": g.get("staff"), "ROLE_NAMES": ROLE_NAMES, "COACH_LEVELS": LEVELS,
            "lang_url": lang_url}


def _not_shared() -> APIError:
    return APIError(404, _("There is no such client among the job seekers who share results "
                           "with you. A share may have expired or been withdrawn."))


def _label(client: coaching.Client) -> str:
    return client.display_name or _("Client #%(id)s", id=client.short_id)


def _date(value) -> str:
    return format_date(value, format="medium") if value else ""


def _short_date(value) -> str:
    return format_date(value, format="short") if value else ""


def _clean(text: str | None, limit: int) -> str:
    return (text or "").replace("\x00", "").strip()[:limit]


# -- clients ---------------------------------------------------------------------------
def _filters() -> dict:
    level = request.args.get("level") if request.args.get("level") in LEVELS else None
    skill = request.args.get("skill") if request.args.get("skill") in RESULT_SKILLS else None
    return {"level": level, "skill": skill, "q": _clean(request.args.get("q"), 200)}


def _filtered(staff: Staff, chosen: dict) -> tuple[list[coaching.Client], int]:
    everyone = coaching.coach_clients(_resources().db, staff.id, scoring=_scoring())
    shown = coaching.filter_clients(everyone, chosen["level"], chosen["skill"], chosen["q"],
                                    label=_label)
    return shown, len(everyone)


@bp.get("/")
@coach_only
def clients():
    staff = current_staff()
    chosen = _filters()
    shown, total = _filtered(staff, chosen)
    coaching.record_views(_resources().db, [c.latest.share_id for c in shown], staff.email)
    skills = [s for s in RESULT_SKILLS if any(s in c.latest.skills for c in shown)]
    rows = [{"client": c, "label": _label(c), "latest": c.latest,
             "overall": level_text(c.latest.overall),
             "skills": {s: level_text(c.latest.skills.get(s)) for s in skills},
             "date": _date(c.latest.finished_at),
             "assurance": ASSURANCE_NAMES.get(c.latest.assurance, c.latest.assurance)}
            for c in shown]
    args = {k: v for k, v in chosen.items() if v}
    return render_template("coach_clients.html", rows=rows, skills=skills, chosen=chosen,
                           total=total, args=args, skill_names=SKILL_NAMES,
                           result_skills=RESULT_SKILLS,
                           from_authoring=request.args.get("from") == "authoring")


@bp.get("/clients.csv")
@coach_only
def clients_csv():
    staff = current_staff()
    shown, _total = _filtered(staff, _filters())
    coaching.record_views(_resources().db, [r.share_id for c in shown for r in c.results],
                          staff.email)
    skills = [s for s in RESULT_SKILLS if any(s in r.skills for c in shown for r in c.results)]
    header = [_("Client"), _("Client id"), _("Result id"), _("Date"), _("Assurance"),
              _("Overall level"), _("Overall SEM"), _("Overall probability of the level")]
    for s in skills:
        name = str(SKILL_NAMES.get(s, s))
        header += [_("%(skill)s level", skill=name), _("%(skill)s SEM", skill=name),
                   _("%(skill)s probability of the level", skill=name)]
    header += [_("Item bank version"), _("Shared until")]
    from services.common.spreadsheet import csv_separators

    delimiter, decimal = csv_separators(g.get("lang"))
    body = coaching.clients_csv(shown, header, skills, _label,
                                lambda a: str(ASSURANCE_NAMES.get(a, a)), delimiter, decimal)
    from datetime import date

    name = f"taitotaso-clients-{date.today().isoformat()}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/clients/<job_seeker_id>")
@coach_only
def client(job_seeker_id):
    staff = current_staff()
    db = _resources().db
    try:
        found = coaching.coach_client(db, staff.id, job_seeker_id, scoring=_scoring())
    except NotShared:
        raise _not_shared() from None
    coaching.record_views(db, [r.share_id for r in found.results], staff.email)
    names = {"overall": _("Overall"), **{k: str(v) for k, v in SKILL_NAMES.items()}}
    latest = found.latest
    profile = profile_chart(latest, names)
    progress = progress_chart(found.results, names, CutScores.load(),
                              lambda r: _short_date(r.finished_at))
    try:
        reviews, reviews_away = coaching.reviews_visible_to(
            db, _scoring(), staff, status="all", session_ids=[r.session_id for r in found.results],
            label=_label), None
    except ScoringUnavailable as err:   # the rest of the client's page stands
        current_app.logger.warning("coach client page without reviews: %s", err)
        reviews, reviews_away = [], _scoring_away()
    dates = {r.session_id: _date(r.finished_at) for r in found.results}
    return render_template("coach_client.html", client=found, label=_label(found), latest=latest,
                           profile=profile, progress=progress, names=names, reviews=reviews,
                           reviews_away=reviews_away,
                           results=list(reversed(found.results)), dates=dates,
                           date=_date, level_text=level_text, assurance_names=ASSURANCE_NAMES,
                           kind_names=KIND_NAMES, status_names=STATUS_NAMES,
                           skills=[s for s in RESULT_SKILLS
                                   if any(s in r.skills for r in found.results)])


# -- supervised sittings ----------------------------------------------------------------
@bp.route("/sittings", methods=["GET", "POST"])
@coach_only
def sittings():
    """Open a supervised sitting before the test: the identity checked in person, a
    one-time code for the job seeker's start page (see ``services.results.sittings``)."""
    from . import sittings as sit

    staff = current_staff()
    res = _resources()
    made, code, error, status = None, None, None, 200
    form = {"identity_method": "", "checked": False}
    if request.method == "POST":
        form = {"identity_method": request.form.get("identity_method", "")[:40],
                "checked": request.form.get("checked") == "yes"}
        try:
            made, code = sit.open_sitting(res.db, staff, form["identity_method"],
                                          request.form.get("document_number"), form["checked"],
                                          res.config.secret_key)
        except sit.SittingError as err:
            error, status = {err.field: str(err.message)}, err.status
        else:  # the next sitting starts from an empty form
            form = {"identity_method": "", "checked": False}
    return render_template("coach_sittings.html", made=made, code=code, error=error or {},
                           form=form, methods=sit.IDENTITY_METHODS,
                           valid_minutes=sit.VALID_MINUTES, date=_moment,
                           recent=sit.sittings_of_coach(res.db, staff.id)), status


def _moment(value) -> str:
    from flask_babel import format_datetime

    return format_datetime(value, "short") if value else ""


# -- the review queue ------------------------------------------------------------------
@bp.get("/reviews")
@review_staff
def reviews():
    staff = current_staff()
    status = request.args.get("status") if request.args.get("status") in ("open", "reviewed") else "open"
    db = _resources().db
    try:
        found, away = coaching.reviews_visible_to(db, _scoring(), staff, status=status,
                                                  label=_label), None
    except ScoringUnavailable as err:
        current_app.logger.warning("coach review queue not shown: %s", err)
        found, away = [], _scoring_away()
    coaching.record_views(db, [v.share_id for v in found if v.share_id], staff.email)
    return render_template("coach_reviews.html", reviews=found, status=status, reviews_away=away,
                           whole=coaching.sees_whole_queue(staff), kind_names=KIND_NAMES,
                           status_names=STATUS_NAMES, when=_review_date), 503 if away else 200


def _review_date(iso: str | None) -> str:
    from datetime import datetime

    return _date(datetime.fromisoformat(iso)) if iso else ""


def _review_page(view: coaching.ReviewView, error: str | None = None, form: dict | None = None,
                 status: int = 200):
    machine = view.review.get("machine") or {}
    return render_template(
        "coach_review.html", view=view, r=view.review, machine=machine, error=error,
        form=form or {"cefr": view.review.get("machine_cefr") or "", "reason": ""},
        subscores=[(SUBSCORE_NAMES.get(k, k), _subscore_level(v))
                   for k, v in (machine.get("subscores") or {}).items()],
        task_name=SPEAKING_TASK_NAMES.get(machine.get("task"), None),
        kind_names=KIND_NAMES, status_names=STATUS_NAMES, when=_review_date), status


def _subscore_level(value) -> str:
    try:
        return LEVELS[min(max(int(round(float(value))), 0), len(LEVELS) - 1)]
    except (TypeError, ValueError):
        return "–"


def _unavailable() -> APIError:
    return APIError(503, _("The scoring service is not answering just now, so this answer "
                           "cannot be shown or reviewed. Nothing was saved: try again in a "
                           "moment."))


def _visible(review_id: int) -> coaching.ReviewView:
    staff = current_staff()
    try:
        return coaching.review_visible_to(_resources().db, _scoring(), staff, review_id, label=_label)
    except ScoringUnavailable as err:
        current_app.logger.warning("coach review %s not shown: %s", review_id, err)
        raise _unavailable() from None
    except NotShared:
        raise _not_reviewable() from None


def _not_reviewable() -> APIError:
    return APIError(404, _("There is no such answer among those you may review: it may "
                           "belong to a job seeker who does not share results with you "
                           "(any more)."))


def _review_or_none(review_id: int) -> dict | None:
    try:
        return _scoring().review(review_id)
    except ScoringUnavailable:
        return None


def _own_decision(review: dict | None, email: str, cefr: str) -> bool:
    """Whether an answer already reviewed was reviewed so by this coach: the same decision
    sent once more (e.g. after a 503 whose request the scoring service had saved) is saved,
    as asked, not a conflict."""
    return bool(review) and review.get("status") == "reviewed" and \
        review.get("reviewer") == email and review.get("reviewed_cefr") == cefr


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@review_staff
def review(review_id):
    staff = current_staff()
    view = _visible(review_id)
    db = _resources().db
    if view.share_id:
        coaching.record_views(db, [view.share_id], staff.email)
    if request.method == "GET":
        return _review_page(view)
    form = {"cefr": request.form.get("cefr", ""), "reason": _clean(request.form.get("reason"), MAX_REASON)}
    machine_cefr = view.review.get("machine_cefr")
    if view.review["status"] == "reviewed":
        if _own_decision(view.review, staff.email, form["cefr"]):   # sent again after a 503
            return _saved(review_id, machine_cefr, form["cefr"])
        raise APIError(409, _("This answer was already reviewed by %(who)s.",
                              who=view.review.get("reviewer") or "?"))
    if form["cefr"] not in LEVELS:
        return _review_page(view, _("Choose the level of this answer."), form, 422)
    if form["cefr"] != machine_cefr and not form["reason"]:
        return _review_page(view, _("Give a reason: you changed the level from %(old)s to %(new)s.",
                                    old=machine_cefr or "–", new=form["cefr"]), form, 422)
    try:   # the scoring service commits the decision and publishes review.decided
        _scoring().decide(review_id, cefr=form["cefr"], reviewer=staff.email,
                          reason=form["reason"] or None)
    except ScoringUnavailable as err:
        current_app.logger.warning("coach decision on review %s not sent: %s", review_id, err)
        raise _unavailable() from None
    except AlreadyReviewed:
        if not _own_decision(_review_or_none(review_id), staff.email, form["cefr"]):
            raise APIError(409, _("This answer was already reviewed by someone else a moment "
                                  "ago. Reload the page to see their decision.")) from None
    except NoSuchReview:
        raise _not_reviewable() from None
    except DecisionRefused as err:   # the checks above make this rare: its own words then
        return _review_page(view, str(err), form, 422)
    return _saved(review_id, machine_cefr, form["cefr"])


def _saved(review_id: int, machine_cefr: str | None, cefr: str):
    if cefr == machine_cefr:
        flash(_("Saved: you confirmed the level %(level)s.", level=cefr))
    else:
        flash(_("Saved: you changed the level from %(old)s to %(new)s.", old=machine_cefr or "–",
                new=cefr))
    return redirect(url_for("coach.review", review_id=review_id))


@bp.get("/reviews/<int:review_id>/audio")
@review_staff
def review_audio(review_id):
    staff = current_staff()
    view = _visible(review_id)
    try:
        data = coaching.review_audio(_scoring(), view)
    except ScoringUnavailable as err:
        current_app.logger.warning("coach review %s audio not fetched: %s", review_id, err)
        raise _unavailable() from None
    if data is None:
        raise APIError(404, _("This answer has no recording: only spoken answers have one."))
    if view.share_id:
        coaching.record_views(_resources().db, [view.share_id], staff.email)
    return Response(data, mimetype="audio/wav")


# -- signing out -----------------------------------------------------------------------
@bp.post("/sign-out")
def sign_out():
    """Ends the staff session (the authoring service's cookie) from the coach pages."""
    from services.common.sessions import end_session

    end_session(STAFF_COOKIE)   # deleted on the server: a copy of the cookie no longer works
    response = redirect(current_app.config.get("STAFF_SIGN_IN_URL", SIGN_IN))
    response.delete_cookie(STAFF_COOKIE, path="/")
    return response
