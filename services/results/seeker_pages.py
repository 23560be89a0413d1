"""The signed-in job seeker's pages: My results (kept results and their chart), sharing a
result with an employer or a coach, and the account with its GDPR export and deletion.

The views join ``pages.bp`` (imported at the end of ``pages.py``)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from assessment.cefr import LEVELS
from services.common.errors import APIError

from . import seekers, sharing
from .pages import _form_errors, _short_day, bp, context, current_seeker, db, seeker_required
from .seekers import SeekerError
from .texts import RECIPIENT_KINDS, SHARE_STATES, SKILL_NAMES, VIEWERS


def scoring():
    """The scoring service's part of her data (services/results/ports.py)."""
    return current_app.extensions["taitotaso.results.scoring"]


def progress_chart(results: list[dict], width: int = 640, height: int = 260) -> dict | None:
    """Geometry of the SVG chart of the levels over time: one line per skill and overall,
    x the tests in order (evenly spaced), y the CEFR level (A1 at the bottom)."""
    if not results:
        return None
    left, right, top, bottom = 60, 20, 20, 40
    n = len(results)
    step_x = (width - left - right) / max(n - 1, 1)
    step_y = (height - top - bottom) / (len(LEVELS) - 1)

    def x(i: int) -> float:
        return round(left + (i * step_x if n > 1 else (width - left - right) / 2), 1)

    def y(level: str) -> float:
        return round(height - bottom - LEVELS.index(level) * step_y, 1)

    keys = ["overall"] + [k for k in SKILL_NAMES if any(k in r["skills"] for r in results)]
    lines = []
    for n_key, key in enumerate(keys):
        # lines on the same level are drawn a few pixels apart, so that each stays visible
        offset = round((n_key - (len(keys) - 1) / 2) * 3, 1)
        points = []
        for i, r in enumerate(results):
            est = r["overall"] if key == "overall" else r["skills"].get(key)
            if est and est.get("cefr") in LEVELS:
                points.append({"x": x(i), "y": y(est["cefr"]) + offset, "level": est["cefr"]})
        if points:
            lines.append({"key": key, "points": points,
                          "path": " ".join(f"{p['x']},{p['y']}" for p in points)})
    return {"width": width, "height": height, "left": left, "right": width - right,
            "rows": [{"level": lvl, "y": y(lvl)} for lvl in LEVELS],
            # dates under the chart: at most about eight, so that they never overlap
            "columns": [{"x": x(i), "label": _short_day(r["finished_at"])}
                        for i, r in enumerate(results) if i % (n // 8 + 1) == 0 or i == n - 1],
            "lines": lines, "bottom": height - bottom}


@bp.get("/<lang>/results")
@seeker_required
def results():
    seeker = current_seeker()
    kept = seekers.history(db(), seeker.id)
    test = seekers.test_to_offer(db(), session.get("test"), seeker.id)
    return render_template("seeker_results.html", results=kept, test=test,
                           chart=progress_chart(kept), newest_first=list(reversed(kept)),
                           columns=[k for k in SKILL_NAMES if any(k in r["skills"] for r in kept)])


@bp.post("/<lang>/results/keep")
@seeker_required
def claim():
    try:
        seekers.claim(db(), current_seeker().id, session.get("test"))
    except SeekerError as err:
        raise APIError(err.status, str(err.message)) from None
    flash(_("The result is now kept in your account."))
    return redirect(url_for("results_pages.results"), code=303)


# -- sharing -------------------------------------------------------------------------------
def _share_form(kept: list[dict], form: dict, errors: dict, status: int = 200):
    return render_template("share_form.html", results=list(reversed(kept)), form=form,
                           errors=errors, coaches=sharing.coaches(db()),
                           max_days=sharing.MAX_DAYS), status


@bp.get("/<lang>/share")
@seeker_required
def share_form():
    seeker = current_seeker()
    kept = seekers.history(db(), seeker.id)
    chosen = request.args.get("result")
    if chosen and seekers.owned_result(db(), seeker.id, chosen) is None:
        raise APIError(404, _("There is no such result in your account."))
    form = {"result": chosen or (kept[-1]["session_id"] if kept else ""), "recipient": "",
            "coach_id": "", "employer_name": "", "employer_email": "", "purpose": "",
            "days": str(sharing.DEFAULT_DAYS), "show_name": False}
    return _share_form(kept, form, {})


@bp.post("/<lang>/share")
@seeker_required
def share_create():
    seeker = current_seeker()
    f = request.form
    form = {"result": f.get("result", "")[:40], "recipient": f.get("recipient", "")[:20],
            "coach_id": f.get("coach_id", "")[:20], "employer_name": f.get("employer_name", "")[:300],
            "employer_email": f.get("employer_email", "")[:300], "purpose": f.get("purpose", "")[:400],
            "days": f.get("days", "")[:10], "show_name": f.get("show_name") == "yes"}
    try:
        share, token = sharing.create_share(
            db(), seeker.id, session_id=form["result"], recipient=form["recipient"],
            coach_id=form["coach_id"], employer_name=form["employer_name"],
            employer_email=form["employer_email"], purpose=form["purpose"], days=form["days"],
            show_name=form["show_name"])
    except SeekerError as err:
        if err.status == 404:  # not this account's result: no form to fix
            raise APIError(404, str(err.message)) from None
        return _share_form(seekers.history(db(), seeker.id), form, _form_errors(err), err.status)
    link = context().issuer_url + url_for("results_pages.employer_view", token=token) if token else None
    # post/redirect/get: reloading the page that shows the link makes no second share
    session["new_share"] = {"id": share["id"], "link": link}
    return redirect(url_for("results_pages.share_done"), 303)


@bp.get("/<lang>/share/done")
@seeker_required
def share_done():
    """The share just made, with the employer's link shown this once."""
    seeker = current_seeker()
    made = session.pop("new_share", None)
    share = next((sh for sh in sharing.shares_of(db(), seeker.id)
                  if isinstance(made, dict) and sh["id"] == made.get("id")), None)
    if share is None:  # shown already (a reload): the link is kept only as its hash
        return redirect(url_for("results_pages.shares"), 303)
    result = seekers.owned_result(db(), seeker.id, share["result"])
    return render_template("share_created.html", share=share, link=made.get("link"), result=result,
                           recipient_kinds=RECIPIENT_KINDS)


@bp.get("/<lang>/shares")
@seeker_required
def shares():
    seeker = current_seeker()
    kept = {r["session_id"]: r for r in seekers.history(db(), seeker.id)}
    return render_template("shares.html", shares=sharing.shares_of(db(), seeker.id), results=kept,
                           states=SHARE_STATES, recipient_kinds=RECIPIENT_KINDS, viewers=VIEWERS)


@bp.post("/<lang>/shares/<share_id>/withdraw")
@seeker_required
def withdraw(share_id):
    if not sharing.withdraw(db(), current_seeker().id, share_id):
        raise APIError(404, _("There is no such share in your account."))
    flash(_("The share has been withdrawn. Its link and its credential no longer work."))
    return redirect(url_for("results_pages.shares"), code=303)


# -- the account, GDPR ---------------------------------------------------------------------
@bp.get("/<lang>/account")
@seeker_required
def account():
    return render_template("account.html", seeker=current_seeker())


@bp.get("/<lang>/account/export")
@seeker_required
def export():
    data = seekers.export(db(), current_seeker().id, scoring())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d")
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="taitotaso-my-data-{stamp}.json"'})


@bp.route("/<lang>/account/delete", methods=["GET", "POST"])
@seeker_required
def delete_account():
    seeker = current_seeker()
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            return render_template("account_delete.html", seeker=seeker, error=_(
                "Tick the box to confirm that you want to delete your account.")), 422
        from services.common.sessions import revoke_sessions_of

        from .erasure import erase_account

        from .ports import ScoringUnavailable

        try:   # answers, recordings, notes, tokens: nothing stays
            erase_account(db(), seeker.id, scoring())
        except ScoringUnavailable as err:   # nothing deleted yet: she can try again
            current_app.logger.warning("account %s not deleted: %s", seeker.id, err)
            return render_template("account_delete.html", seeker=seeker, error=_(
                "Your account could not be deleted just now: a part of the service that keeps "
                "your spoken answers did not answer. Nothing was deleted. Try again in a few "
                "minutes.")), 503

        revoke_sessions_of(f"seeker:{seeker.id}")   # every browser she signed in with
        logout_user()
        session.pop("test", None)
        g.seeker = None
        flash(_("Your account has been deleted. Your shares have been withdrawn."))
        return redirect(url_for("results_pages.home"), code=303)
    return render_template("account_delete.html", seeker=seeker, error=None)
