"""The validity page for admins (``/authoring/validity``): the figures of
:func:`services.validity.report` as tables, one section each. Anyone else signed in gets
403 with what is needed; signed out, the sign-in page."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.common.names import SKILL_NAMES

from .. import validity
from services.common.staff_session import staff_with

bp = Blueprint("validity", __name__, template_folder="templates")

STOP_REASON_NAMES = {
    "max_items": _l("maximum length"),
    "sem_target": _l("precision target (SEM)"),
    "cefr_band": _l("level certain (its 95 per cent interval within one band)"),
    "level_certainty": _l("level certain (probability)"),
    "bank_exhausted": _l("no items left"),
}
FLAG_NAMES = {"misfit": _l("misfit"), "drift": _l("drift")}


@bp.get("/validity")
@staff_with(("admin",), lambda: _("Only an admin can see the validity report: ask an admin "
                                  "for the admin role."))
def report():
    res = current_app.extensions["taitotaso.resources"]
    data = validity.report(res.db, res.config)
    return render_template("validity.html", report=data, SKILL_NAMES=SKILL_NAMES,
                           STOP_REASON_NAMES=STOP_REASON_NAMES, FLAG_NAMES=FLAG_NAMES)
