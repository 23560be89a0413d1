"""The job seeker's pages: language, self-assessment, items one at a time, result, the
optional speaking part; practice after the result is in ``practice_pages.py``."""
from __future__ import annotations

from flask import (Blueprint, current_app, g, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from assessment.cefr import LEVELS
from services.common.errors import APIError, error_body
from services.common.i18n import LEARNER_LANGUAGES, language_in_path
from services.common.item_view import answer_from_form
from services.common.rate_limit import enforce

from . import next_steps
from .ports import SittingRefused, SittingsUnavailable
from .texts import (CAN_DO, LEVEL_BY_SKILL, LEVEL_SUMMARY, NEXT_STEPS, ONE_ANSWER, SKILL_NAMES,
                    SPEAKING_TASK_NAMES, SPEECH_STAGES, SPEECH_SUBSCORES, certainty_text)

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/testing")


def service():
    from flask import current_app

    return current_app.extensions["taitotaso.testing"]


language_in_path(bp, LEARNER_LANGUAGES)


@bp.get("/")
def landing():
    return render_template("landing.html")


@bp.app_context_processor
def _language_switch():
    return {"same_page_in": same_page_in}


def same_page_in(code: str) -> str:
    """This page in another language (a GET page of the test keeps its place in the test;
    anything else goes to the start page, which offers to continue a test in progress)."""
    endpoint = request.endpoint or ""
    if request.method == "GET" and endpoint.startswith("pages.") and request.view_args is not None \
            and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        return url_for(endpoint, **{**request.view_args, "lang": code})
    return url_for("pages.start", lang=code)


def _start_page(status: int = 200, **extra):
    return render_template("start.html", can_do=CAN_DO, skills=SKILL_NAMES, levels=LEVELS,
                           config_max_items=service().stopping.max_items,
                           test_in_progress=bool(session.get("test")), **extra), status


@bp.get("/<lang>/")
def start():
    return _start_page()


@bp.post("/<lang>/start")
def begin():
    levels = {skill: request.form.get(f"sa_{skill}", "") for skill in CAN_DO}
    levels = {k: v for k, v in levels.items() if v in LEVELS}
    if session.get("test") and not request.form.get("replace_test"):
        # a start form from before the test began (another tab, the back button): never end
        # the test in progress without the job seeker saying so
        return _start_page(409, start_error=_("You already have a test in progress. Continue it, "
                                              "or start a new test with the button below."))
    enforce(current_app.extensions["taitotaso.session_starts"],
            _("Too many tests have been started from your network in a minute. Wait a moment "
              "and try again."))
    code = request.form.get("supervision_code", "")[:40].strip()
    try:   # a supervised sitting: the coach's one-time code, checked by the results service
        session_id, token = service().start(g.lang, levels, sitting_code=code or None)
    except SittingRefused:   # mistyped, unknown, used (a moment ago elsewhere too) or expired
        return _start_page(422, supervision_error=_(
            "This supervision code does not work: it may be mistyped, already used or expired "
            "(a code is valid for two hours, for one test). Ask the coach for a new code, or "
            "leave the field empty to take the test without supervision."),
            supervision_code=code)
    except SittingsUnavailable:   # no answer, so no test was started here
        html, status = _start_page(503, supervision_error=_(
            "Your supervision code cannot be checked right now, so the test has not started. "
            "Try again in a moment; if it still does not work, tell the coach."),
            supervision_code=code)
        return html, status, {"Retry-After": "30"}
    session["test"] = {"id": session_id, "token": token}
    return redirect(url_for("pages.test"))


def _current() -> dict:
    current = session.get("test")
    if not current:
        raise APIError(404, _("You have no test in progress. Start a new test from the first page."))
    return current


def block_answers_from_form(form) -> dict[str, str]:
    """The answers of a block page: one radio pair a word, named ``w_<item id>``."""
    return {k[2:]: v for k, v in form.items() if k.startswith("w_") and len(k) <= 82}


def _answered_elsewhere():
    """An answer to a question that was answered already (a page left open in another tab,
    or sent twice): the answer is not saved, and the next page says so instead of dropping
    it without a word."""
    session["test_notice"] = "answered_elsewhere"
    return redirect(url_for("pages.test"))


@bp.route("/<lang>/test", methods=["GET", "POST"])
def test():
    current = _current()
    error = None
    notice = None
    if request.method == "GET" and session.pop("test_notice", None) == "answered_elsewhere":
        notice = _("That question had already been answered, perhaps in another tab or window, so "
                   "the answer from that page was not saved. Here is where your test is now.")
    chosen: dict[str, str] = {}
    missing: set[str] = set()
    if request.method == "POST" and "block_id" in request.form:
        chosen = block_answers_from_form(request.form)
        try:
            outcome = service().answer_block(current["id"], current["token"],
                                             request.form["block_id"][:80], chosen)
        except APIError as err:
            if err.status == 422:
                missing = {str(k) for k in (err.errors.get("answers") or {})}
                error = True  # the words are named below, once the page knows them
            elif err.status == 409:  # answered already (a second click) or not this block
                return _answered_elsewhere()
            else:
                raise
        else:
            if outcome["done"]:
                return redirect(url_for("pages.speaking"))
            return redirect(url_for("pages.test"))
    elif request.method == "POST":
        item_id = request.form.get("item_id", "")
        answer = answer_from_form(request.form)
        if answer is None:
            error = _("Choose an answer before you continue.")
        elif isinstance(answer, str) and not answer.strip():
            error = _("Write your answer before you continue. An answer of only spaces is not "
                      "sent.")
        else:
            try:
                outcome = service().answer(current["id"], current["token"], item_id, answer)
            except APIError as err:
                if err.status == 422:
                    error = _("This answer could not be read. Choose one of the options or type a word.")
                elif err.status == 409 and "already" in err.message:
                    return _answered_elsewhere()
                else:
                    raise
            else:
                if outcome["done"]:  # the optional speaking part comes before the result
                    return redirect(url_for("pages.speaking"))
                return redirect(url_for("pages.test"))
    nxt = service().next(current["id"], current["token"])
    if nxt["done"]:
        return redirect(url_for("pages.result"))
    block = nxt.get("block")
    if error is True:
        words = [w["word"] for w in (block or {}).get("items", []) if w["id"] in missing]
        error = (_("Choose Yes or No for every word. Not answered yet: %(words)s",
                   words=", ".join(words)) if words else
                 _("Choose Yes or No for every word before you continue."))
    return render_template("item.html", item=nxt["item"], block=block, progress=nxt["progress"],
                           skills=SKILL_NAMES, error=error, chosen=chosen, notice=notice,
                           missing=missing), (422 if error else 200)


@bp.get("/<lang>/result")
def result():
    from .api import RETRY_AFTER_S
    from .pending import ResultWaiting

    current = _current()
    try:
        res = service().result(current["id"], current["token"])
    except ResultWaiting:   # a written answer waits for the scoring service
        return render_template("result_waiting.html", retry_after=RETRY_AFTER_S), 202
    skills = [
        {"key": k, "name": SKILL_NAMES.get(k, k), "est": v,
         "explanation": LEVEL_BY_SKILL.get(k, {}).get(v["cefr"], ""),
         "certainty": certainty_text(v["certainty"])}
        for k, v in sorted(res["skills"].items(), key=lambda kv: list(SKILL_NAMES).index(kv[0])
                           if kv[0] in SKILL_NAMES else 99)
    ]
    overall = res["overall"]
    try:
        jobs = service().speaking_jobs(current["id"], current["token"], g.lang)
    except APIError as err:   # the scoring service does not answer: the result without them
        if err.status != 503:
            raise
        jobs = []
    weakest = next_steps.weakest_skill(res)
    return render_template("result.html", res=res, overall=overall, skills=skills, levels=LEVELS,
                           summary=LEVEL_SUMMARY[overall["cefr"]],
                           overall_certainty=certainty_text(overall["certainty"]),
                           next_steps=NEXT_STEPS[overall["cefr"]],
                           courses=_courses(res), step_kinds=STEP_KINDS,
                           weakest=weakest, weakest_name=SKILL_NAMES.get(weakest, weakest),
                           speaking_jobs=jobs, speaking_finished=_all_scored(jobs),
                           one_answer=ONE_ANSWER, **speech_texts())


STEP_KINDS = {"course": _l("Course"), "service": _l("Service"), "self_study": _l("Self-study")}


def _courses(res: dict) -> list[dict]:
    """Courses and services for this result, in the interface language; none (and the
    reason in the log) when the city's file cannot be read."""
    try:
        entries = next_steps.load()
    except (OSError, next_steps.NextStepsError) as err:
        current_app.logger.error("next steps not shown: %s", err)
        return []
    return [e.localised(g.lang) for e in next_steps.match(res, entries)]


@bp.post("/<lang>/new")
def new_test():
    session.pop("test", None)
    session.pop("practice", None)
    return redirect(url_for("pages.start"))


# -- the optional speaking part ---------------------------------------------------------
WAITING = ("queued", "running")


def speech_texts() -> dict:
    """What the spoken answers' templates need besides the jobs."""
    return {"task_names": SPEAKING_TASK_NAMES, "stages": SPEECH_STAGES,
            "subscore_names": SPEECH_SUBSCORES, "level_of": level_of}


def level_of(score) -> str:
    """A 0–5 score (A1 = 0 … C2 = 5) as the nearest CEFR level."""
    return LEVELS[min(max(int(round(float(score))), 0), len(LEVELS) - 1)]


def _all_scored(jobs: list[dict]) -> bool:
    return all(j["status"] not in WAITING for j in jobs)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _speaking_state(current: dict, tasks: list[dict]) -> tuple[dict | None, int]:
    """The task to do now (none sent, or its scoring failed; not skipped) and its number."""
    skipped = set(current.get("skipped", []))
    for n, task in enumerate(tasks, start=1):
        job = task["job"]
        if task["item_id"] not in skipped and (job is None or job["status"] == "failed"):
            return task, n
    return None, len(tasks)


def _speaking_tasks_or_redirect(current: dict):
    try:
        return service().speaking_tasks(current["id"], current["token"], g.lang), None
    except APIError as err:
        if err.status == 409:  # the test is not finished: back to its items
            return None, redirect(url_for("pages.test"))
        raise


def _render_speaking(task: dict, step: int, steps: int, error: str | None = None, status: int = 200):
    from scoring.speech.audio import AudioProblem
    from services.common.feedback import audio_problem

    too_large = audio_problem(AudioProblem("too_large", "larger than 10 MB"), g.lang)
    return render_template("speaking.html", task=task, step=step, steps=steps, error=error,
                           too_large=too_large), status


@bp.get("/<lang>/speaking")
def speaking():
    current = _current()
    tasks, back = _speaking_tasks_or_redirect(current)
    if back is not None:
        return back
    task, step = _speaking_state(current, tasks)
    if task is None:
        return redirect(url_for("pages.result"))
    return _render_speaking(task, step, len(tasks))


@bp.post("/<lang>/speaking")
def speaking_upload():
    """A recording from the speaking page: sent by speaking.js with fetch (answers JSON) or
    by the plain form with a file (answers a redirect, or the page with the error)."""
    from scoring.speech.audio import AudioProblem
    from services.common.feedback import audio_problem

    current = _current()
    item_id = request.form.get("item_id", "")
    upload = request.files.get("audio")
    data = upload.read() if upload is not None else b""
    status, error = 422, None
    if upload is None or (not data and not upload.filename):  # the form sent without a file
        error = _("Record your answer, or choose an audio file, before you send it.")
    else:
        try:
            job = service().submit_speaking(current["id"], current["token"], item_id, data)
        except AudioProblem as problem:
            status = 413 if problem.code == "too_large" else 422
            error = audio_problem(problem, g.lang)
        except APIError as err:
            reason = err.errors.get("item_id", [None])[0]
            if reason == "already answered":
                status, error = 409, _("You have already sent a recording for this task. It is "
                                       "kept and scored. Go on to the next task or to your result.")
            elif err.status == 409:  # the test is not finished
                if _wants_json():
                    return _speaking_error_json(409, err.message)
                return redirect(url_for("pages.test"))
            elif reason == "not a speaking task of this session":
                status, error = 404, _("This task is not part of your test. Reload the page to "
                                       "see your tasks.")
            elif err.status == 503:   # the scoring service cannot take it now: nothing kept
                status, error = 503, _("Your recording could not be sent for scoring now. "
                                       "Nothing was stored: send it again in a minute.")
            else:
                raise
    if error is None:
        if _wants_json():
            return jsonify({"job": job, "next": url_for("pages.speaking")}), 202
        return redirect(url_for("pages.speaking"), code=303)
    if _wants_json():
        return _speaking_error_json(status, error)
    tasks, back = _speaking_tasks_or_redirect(current)
    if back is not None:
        return back
    task = next((t for t in tasks if t["item_id"] == item_id), None)
    if task is None:
        task, step = _speaking_state(current, tasks)
        if task is None:
            return redirect(url_for("pages.result"))
    else:
        step = tasks.index(task) + 1
    return _render_speaking(task, step, len(tasks), error, status)


def _speaking_error_json(status: int, message: str):
    return jsonify(error_body(status, message)), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(err):
    """A body over the limit is refused before any view runs: say it as the recorder does."""
    from scoring.speech.audio import AudioProblem
    from services.common.feedback import audio_problem

    message = audio_problem(AudioProblem("too_large", "larger than 10 MB"),
                            getattr(g, "lang", None) or "en")
    if _wants_json() or request.path.startswith("/api/"):
        return _speaking_error_json(413, message)
    return render_template("error.html", code=413, message=message), 413


@bp.post("/<lang>/speaking/skip")
def speaking_skip():
    current = dict(_current())
    item_id = request.form.get("item_id", "")[:80]
    current["skipped"] = sorted(set(current.get("skipped", [])) | {item_id})
    session["test"] = current
    return redirect(url_for("pages.speaking"), code=303)


@bp.get("/<lang>/speaking/status")
def speaking_status():
    """The spoken answers for the result page to poll: each as data and as its HTML."""
    current = _current()
    jobs = service().speaking_jobs(current["id"], current["token"], g.lang)
    texts = speech_texts()
    return jsonify({
        "finished": _all_scored(jobs),
        "jobs": [{"id": j["id"], "item_id": j["item_id"], "task": j["task"], "status": j["status"],
                  "stage": j["stage"], "stage_text": str(SPEECH_STAGES.get(j["stage"], j["stage"])),
                  "progress": j["progress"], "result": j["result"],
                  "html": render_template("speech_job.html", job=j, **texts)} for j in jobs],
    })


# the practice pages join this blueprint (after bp and the helpers above, which they import)
from . import practice_pages  # noqa: E402,F401
