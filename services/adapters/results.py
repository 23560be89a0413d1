"""The results service called in the same process (the embedded default): a coach's
supervised sittings (:class:`InProcessSittings`)."""
from __future__ import annotations

from services.common.config import Config
from services.common.db import Database


class InProcessSittings:
    """:class:`services.testing.ports.Sittings` by the results service's sittings in this
    process and database, answering what the results API answers."""

    def __init__(self, db: Database, config: Config):
        self.db = db
        self.secret = config.secret_key   # the results service's: its codes are HMACs under it

    def claim(self, code: str, session_id: str) -> dict:
        from services.results import sittings
        from services.results.service_api import claimed
        from services.testing.ports import SittingRefused

        try:
            return claimed(sittings.claim(self.db, code, session_id, self.secret))
        except sittings.CodeRefused as err:
            raise SittingRefused(err.reason) from None
