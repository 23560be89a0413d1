"""Interface texts of the results pages that depend on data. English source strings;
Finnish and Swedish come from the catalogues."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services.testing.texts import LEVEL_SUMMARY, SKILL_NAMES

__all__ = ["LEVEL_SUMMARY", "SKILL_NAMES", "ASSURANCE_NAMES", "ASSURANCE_EXPLAINED",
           "SHARE_STATES", "RECIPIENT_KINDS", "VIEWERS"]

ASSURANCE_NAMES = {
    "unsupervised": _l("Unsupervised"),
    "supervised": _l("Supervised"),
}
ASSURANCE_EXPLAINED = {
    "unsupervised": _l("Taken online without supervision: the identity of the test taker was "
                       "not checked."),
    "supervised": _l("Taken under supervision: a coach checked the identity of the test taker."),
}
SHARE_STATES = {
    "active": _l("Active"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
}
RECIPIENT_KINDS = {
    "coach": _l("Coach"),
    "employer": _l("Employer"),
}
VIEWERS = {
    "employer link": _l("Employer (the link)"),
    "employer link: credential downloaded": _l("Employer (credential downloaded)"),
}
