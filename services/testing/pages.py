"""The job seeker's pages: language, self-assessment, items one at a time, result."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from assessment.cefr import LEVELS
from services.common.errors import APIError
from services.common.i18n import LANGUAGES

from .texts import (CAN_DO, LEVEL_BY_SKILL, LEVEL_SUMMARY, NEXT_STEPS, SKILL_NAMES,
                    certainty_text)

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/testing")


def service():
    from flask import current_app

    return current_app.extensions["taitotaso.testing"]


@bp.url_value_preprocessor
def _lang(endpoint, values):
    if values and "lang" in values:
        lang = values.pop("lang")
        if lang not in LANGUAGES:
            abort(404)
        g.lang = lang


@bp.url_defaults
def _keep_lang(endpoint, values):
    if "lang" not in values and getattr(g, "lang", None) and \
            current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = g.lang


@bp.get("/")
def landing():
    return render_template("landing.html")


@bp.get("/<lang>/")
def start():
    return render_template("start.html", can_do=CAN_DO, skills=SKILL_NAMES, levels=LEVELS,
                           config_max_items=service().stopping.max_items)


@bp.post("/<lang>/start")
def begin():
    levels = {skill: request.form.get(f"sa_{skill}", "") for skill in CAN_DO}
    levels = {k: v for k, v in levels.items() if v in LEVELS}
    session_id, token = service().start(g.lang, levels)
    session["test"] = {"id": session_id, "token": token}
    return redirect(url_for("pages.test"))


def _current() -> dict:
    current = session.get("test")
    if not current:
        raise APIError(404, _("You have no test in progress. Start a new test from the first page."))
    return current


def answer_from_form(form):
    """The answer of the item form (item.html): one field, or for a C-test one field a gap;
    None when nothing was chosen."""
    answer = form.get("answer")
    if answer is None and form.get("gaps", "").isdigit():
        n = min(int(form["gaps"]), 60)
        answer = [form.get(f"answer_{i}", "") for i in range(n)]
    return answer


@bp.route("/<lang>/test", methods=["GET", "POST"])
def test():
    current = _current()
    error = None
    if request.method == "POST":
        item_id = request.form.get("item_id", "")
        answer = answer_from_form(request.form)
        if answer is None:
            error = _("Choose an answer before you continue.")
        else:
            try:
                outcome = service().answer(current["id"], current["token"], item_id, answer)
            except APIError as err:
                if err.status == 422:
                    error = _("This answer could not be read. Choose one of the options or type a word.")
                elif err.status == 409 and "already" in err.message:
                    return redirect(url_for("pages.test"))
                else:
                    raise
            else:
                if outcome["done"]:
                    return redirect(url_for("pages.result"))
                return redirect(url_for("pages.test"))
    nxt = service().next(current["id"], current["token"])
    if nxt["done"]:
        return redirect(url_for("pages.result"))
    return render_template("item.html", item=nxt["item"], progress=nxt["progress"],
                           skills=SKILL_NAMES, error=error), (422 if error else 200)


@bp.get("/<lang>/result")
def result():
    current = _current()
    res = service().result(current["id"], current["token"])
    skills = [
        {"key": k, "name": SKILL_NAMES.get(k, k), "est": v,
         "explanation": LEVEL_BY_SKILL.get(k, {}).get(v["cefr"], ""),
         "certainty": certainty_text(v["certainty"])}
        for k, v in sorted(res["skills"].items(), key=lambda kv: list(SKILL_NAMES).index(kv[0])
                           if kv[0] in SKILL_NAMES else 99)
    ]
    overall = res["overall"]
    return render_template("result.html", res=res, overall=overall, skills=skills, levels=LEVELS,
                           summary=LEVEL_SUMMARY[overall["cefr"]],
                           overall_certainty=certainty_text(overall["certainty"]),
                           next_steps=NEXT_STEPS[overall["cefr"]])


@bp.post("/<lang>/new")
def new_test():
    session.pop("test", None)
    return redirect(url_for("pages.start"))
