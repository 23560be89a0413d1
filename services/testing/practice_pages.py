"""Practice after the result, with released (retired) items: rounds of questions for the
result's level and weakest skill, and writing practice scored by the test's writing scorer;
nothing of it is stored with the test.

The views join ``pages.bp`` (imported at the end of ``pages.py``)."""
from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from services.common.errors import APIError
from services.common.rate_limit import Limit, enforce

from . import next_steps
from .pages import _current, bp, service
from .texts import LEVEL_BY_SKILL, SKILL_NAMES, WRITING_FLAGS, certainty_text


# -- practice with released items, after the result ------------------------------------
PRACTICE_ROUND = 5  # questions in one round of practice
MAX_PRACTICE_TEXT = 6000  # characters of a practice text (the test's writing box takes 20000)
# scoring a text takes the writing scorer's time: practice texts are counted per address
PRACTICE_TEXTS = Limit("practice-writing", 20, 60)


def _practice_items(res: dict) -> list:
    """Released (retired) items for this result's level and weakest skill, best first.
    Live items are never practised: their keys would be revealed."""
    from item_bank.repository import ItemRepository

    with service().db.session() as s:
        retired = ItemRepository(s).latest_items(status="retired")
    return next_steps.practice_candidates(retired, res["overall"]["cefr"],
                                          next_steps.weakest_skill(res))


def _finished_result(current: dict):
    from .pending import ResultWaiting

    try:
        return service().result(current["id"], current["token"]), None
    except ResultWaiting:   # practice comes after the result
        return None, redirect(url_for("pages.result"))
    except APIError as err:
        if err.status == 409:  # not finished: practice comes after the test
            return None, redirect(url_for("pages.test"))
        raise


def _practice_state(current: dict) -> dict:
    state = session.get("practice")
    if not state or state.get("test") != current["id"]:
        state = {"test": current["id"], "done": [], "right": 0}
    return state


def practice_view(item) -> dict:
    """What practice.html shows of an item (never its key before the answer)."""
    view = {"id": item.id, "kind": item.kind, "skill": item.skill}
    c = item.content
    if item.stimulus and item.assets.get("stimulus_audio"):
        from item_bank.model import asset_url  # a listening question: its recording first

        view |= {"audio": asset_url(item.assets["stimulus_audio"]),
                 "title": item.stimulus.get("title")}
    if item.kind == "multiple_choice":
        view |= {"context": c.get("context"), "prompt": c["prompt"],
                 "choices": [{"id": k, "text": v} for k, v in sorted(c["choices"].items())]}
    elif item.kind == "yes_no":
        view["word"] = c["word"]
    elif item.kind == "cloze":
        before, after = c["text"].split("___", 1)
        view |= {"text_before": before, "text_after": after, "hint": c.get("hint")}
    return view


def correct_answer(item) -> str:
    """The right answer as the learner reads it."""
    if item.kind == "multiple_choice":
        return item.content["choices"][item.key]
    if item.kind == "yes_no":
        return (_("Yes, it is a Finnish word") if item.key == "yes"
                else _("No, it is not a Finnish word"))
    if item.kind == "cloze":
        return item.content["text"].replace("___", item.accept[0])
    return str(item.key)


def _render_practice(state: dict, item=None, feedback: dict | None = None,
                     error: str | None = None, status: int = 200, weakest: str | None = None):
    return render_template("practice.html", item=practice_view(item) if item else None,
                           feedback=feedback, error=error, right=state["right"],
                           answered=len(state["done"]), round=PRACTICE_ROUND, skills=SKILL_NAMES,
                           weakest=weakest, weakest_name=SKILL_NAMES.get(weakest, weakest)), status


@bp.get("/<lang>/practice")
def practice():
    current = _current()
    res, back = _finished_result(current)
    if back is not None:
        return back
    state = _practice_state(current)
    weakest = next_steps.weakest_skill(res)
    candidates = _practice_items(res)
    if not candidates:
        return _render_practice(state, weakest=weakest)
    done = set(state["done"])
    item = next((i for i in candidates if i.id not in done), None)
    if item is None or len(state["done"]) >= PRACTICE_ROUND:
        return _render_practice(state, feedback={"finished": True}, weakest=weakest)
    return _render_practice(state, item, weakest=weakest)


@bp.post("/<lang>/practice")
def practice_answer():
    """Score a practice answer at once. Nothing is stored but the count in the browser's
    session: the test's result and the item statistics never see practice."""
    from scoring.objective import AnswerError, score

    current = _current()
    res, back = _finished_result(current)
    if back is not None:
        return back
    state = _practice_state(current)
    weakest = next_steps.weakest_skill(res)
    item_id = request.form.get("item_id", "")
    item = next((i for i in _practice_items(res) if i.id == item_id), None)
    if item is None:
        return redirect(url_for("pages.practice"), code=303)
    answer = request.form.get("answer")
    if answer is None or (item.kind == "cloze" and not answer.strip()):
        return _render_practice(state, item, error=_("Choose an answer before you continue."),
                                status=422, weakest=weakest)
    try:
        points = score(item, answer)
    except AnswerError:
        return _render_practice(state, item, error=_("This answer could not be read. Choose one "
                                                     "of the options or type a word."),
                                status=422, weakest=weakest)
    right = points == item.max_score
    if item.id not in state["done"]:
        state["done"] = state["done"] + [item.id]
        state["right"] += int(right)
        session["practice"] = state
    feedback = {"right": right, "partial": 0 < points < item.max_score,
                "correct": correct_answer(item)}
    return _render_practice(state, item, feedback=feedback, weakest=weakest)


# -- writing practice: a released task, scored by the writing scorer, nothing stored ------
def _practice_writing_tasks(res: dict) -> list:
    """Released writing tasks, the one nearest the writing level (else the overall) first."""
    from item_bank.repository import ItemRepository

    with service().db.session() as s:
        retired = ItemRepository(s).latest_items(status="retired")
    level = (res.get("skills") or {}).get("writing", {}).get("cefr") or res["overall"]["cefr"]
    return next_steps.practice_writing_tasks(retired, level)


def _render_writing_practice(tasks: list, task, text: str = "", result: dict | None = None,
                             error: str | None = None, status: int = 200):
    from services.common.feedback import with_messages

    view = None
    if task is not None:
        c = task.content
        view = {"id": task.id, "prompt": c["prompt"], "min_words": c["min_words"],
                "max_words": c["max_words"], "cefr": task.cefr}
    feedback = [f for f in with_messages(result["feedback"], g.lang) if f["message"]] if result else []
    flags = [WRITING_FLAGS[f] for f in (result or {}).get("flags", []) if f in WRITING_FLAGS]
    others = [{"id": t.id, "cefr": t.cefr} for t in tasks if task is None or t.id != task.id]
    return render_template("practice_writing.html", task=view, text=text, result=result,
                           feedback=feedback, flags=flags, error=error, others=others,
                           certainty=certainty_text(result["confidence"]) if result else None,
                           level_meaning=LEVEL_BY_SKILL["writing"].get(result["cefr"]) if result else None,
                           ), status


def _chosen_task(tasks: list, task_id: str | None):
    return next((t for t in tasks if t.id == task_id), None) if task_id else (tasks[0] if tasks else None)


@bp.get("/<lang>/practice/writing")
def practice_writing():
    current = _current()
    res, back = _finished_result(current)
    if back is not None:
        return back
    tasks = _practice_writing_tasks(res)
    task = _chosen_task(tasks, request.args.get("task"))
    if task is None and tasks:
        raise APIError(404, _("There is no such writing task. Choose one of the tasks on the "
                              "writing practice page."))
    return _render_writing_practice(tasks, task)


@bp.post("/<lang>/practice/writing")
def practice_writing_answer():
    """Score a practice text with the test's writing scorer and show the level, what the
    checks found and the feedback. Nothing is stored: not the text, not a review."""
    from scoring.textinput import TextInputError, clean

    current = _current()
    res, back = _finished_result(current)
    if back is not None:
        return back
    enforce(PRACTICE_TEXTS, _("You have sent many practice texts in a minute. Wait a moment "
                              "and send your text again."))
    tasks = _practice_writing_tasks(res)
    task = _chosen_task(tasks, request.form.get("item_id") or "-")
    if task is None:
        raise APIError(404, _("There is no such writing task. Choose one of the tasks on the "
                              "writing practice page."))
    raw = request.form.get("answer") or ""
    if len(raw) > MAX_PRACTICE_TEXT:
        return _render_writing_practice(tasks, task, raw[:MAX_PRACTICE_TEXT], error=_(
            "Your text is too long for practice: write at most %(n)s characters.",
            n=MAX_PRACTICE_TEXT), status=422)
    try:
        text = clean(raw)
    except TextInputError:
        text = ""
    if not text:
        return _render_writing_practice(tasks, task, raw, error=_(
            "Write your text in the box before you send it."), status=422)
    c = task.content
    from .ports import ScoringUnavailable

    try:
        result = service().scorer.score_writing(text, item_id=task.id, prompt=c["prompt"],
                                                min_words=c.get("min_words"), session_id=None,
                                                review=False)
    except ScoringUnavailable:
        return _render_writing_practice(tasks, task, text, error=_(
            "Your text cannot be scored right now. Try again in a few minutes; your text "
            "is still in the box."), status=503)
    return _render_writing_practice(tasks, task, text, result=result)


@bp.post("/<lang>/practice/again")
def practice_again():
    session.pop("practice", None)
    return redirect(url_for("pages.practice"), code=303)
