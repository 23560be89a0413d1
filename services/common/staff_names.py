"""Names shown on the staff pages of every service (coach, item bank, Katso).

English source strings; Finnish and Swedish come from the catalogues."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_NAMES = {"author": _l("author"), "reviewer": _l("reviewer"), "coach": _l("coach"),
              "curator": _l("Katso curator"), "panelist": _l("standard-setting panelist"),
              "admin": _l("admin")}

