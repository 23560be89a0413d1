"""The testing service called in the same process."""
from __future__ import annotations


class InProcessRecentResults:
    """:class:`services.authoring.ports.RecentResults` by the testing service's layer."""

    def __init__(self, db):
        self.db = db

    def thetas(self, days: int) -> list[float]:
        from services.testing.impact import recent_thetas

        return recent_thetas(self.db, days=days)


class InProcessItemExposure:
    """:class:`services.authoring.ports.ItemExposure` by the testing service's layer."""

    def __init__(self, db):
        self.db = db

    def served_versions(self, item_id: str) -> list[int]:
        from services.testing.item_exposure import served_versions

        return served_versions(self.db, item_id)

    def exposure(self, item_id: str, version: int, since) -> dict:
        from services.testing.item_exposure import exposure

        return exposure(self.db, item_id, version, since)


class InProcessTestFigures:
    """:class:`services.authoring.ports.TestFigures` by the testing service's layer."""

    __test__ = False

    def __init__(self, db):
        self.db = db

    def figures(self, max_exposure_rate: float) -> dict:
        from services.testing.figures import figures

        return figures(self.db, max_exposure_rate)


class InProcessSessionTokens:
    """:class:`services.scoring.ports.SessionTokens` by the testing service's table, in the
    same process and database."""

    def __init__(self, db):
        self.db = db

    def matches(self, session_id: str, token: str) -> bool:
        import hmac

        from services.testing.handlers import hash_token
        from services.testing.orm import TestSession

        with self.db.read() as s:
            sess = s.get(TestSession, session_id)
            return sess is not None and hmac.compare_digest(sess.token_hash, hash_token(token))


class InProcessFinishedTests:
    """:class:`services.results.ports.FinishedTests` by the testing service's layer
    (``services.testing.records``), in the same process and database."""

    def __init__(self, db, config=None):
        self.db = db

    def finished(self, session_id: str, token: str) -> dict | None:
        from services.testing.records import finished_test

        return finished_test(self.db, session_id, token)

    def erase(self, session_ids: list[str]) -> dict:
        from services.testing.records import erase_tests

        return erase_tests(self.db, session_ids)

    def answers(self, session_ids: list[str]) -> list[dict]:
        from services.testing.records import answers_of

        return answers_of(self.db, session_ids)
