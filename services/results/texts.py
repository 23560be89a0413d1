"""Interface texts of the results pages that depend on data. English source strings;
Finnish and Swedish come from the catalogues."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services.common.names import LEVEL_SUMMARY, SKILL_NAMES

__all__ = ["LEVEL_SUMMARY", "SKILL_NAMES", "ASSURANCE_NAMES", "ASSURANCE_EXPLAINED",
           "SHARE_STATES", "RECIPIENT_KINDS", "VIEWERS", "ASSURANCE_TITLES", "VERIFY_STATES",
           "VERIFY_REASONS"]

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
# the title of a result wherever an employer sees it: what kind of sitting it came from
ASSURANCE_TITLES = {
    "unsupervised": _l("Finnish level: self-assessment, unsupervised"),
    "supervised": _l("Finnish level: supervised test"),
}
VERIFY_STATES = {
    "valid": _l("Valid: the signature checks against Taitotaso's published keys, and the "
                "credential has not been withdrawn or expired."),
    "withdrawn": _l("Withdrawn: the signature is genuine, but the job seeker has withdrawn "
                    "this credential. It no longer counts."),
    "expired": _l("Expired: the signature is genuine, but the credential's validity has ended. "
                  "It no longer counts."),
    "invalid": _l("Not valid: this credential cannot be trusted."),
}
VERIFY_REASONS = {
    "damaged": _l("The text is not a complete credential. Download the file again from the "
                  "link you were given, or copy its text again in full."),
    "algorithm": _l("It was not signed the way Taitotaso signs its credentials."),
    "key": _l("It was signed with a key Taitotaso does not publish (any more). Ask the job "
              "seeker for a newly issued credential."),
    "signature": _l("Its signature does not match its content: it has been changed after it "
                    "was issued, or it was not issued by Taitotaso."),
    "not_yet": _l("It is not valid yet."),
    "claims": _l("Its contents do not agree with what was signed."),
    "issuer": _l("It names another issuer than this Taitotaso service."),
    "status": _l("This service has no record of issuing it."),
}
