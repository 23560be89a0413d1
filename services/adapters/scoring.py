"""The scoring service called in the same process (the embedded default)."""
from __future__ import annotations

from services.common.config import Config
from services.common.db import Database


class InProcessScorer:
    """:class:`services.testing.ports.Scorer` by the scoring service layer in this process."""

    def __init__(self, db: Database, config: Config, service=None):
        from services.scoring.handlers import ScoringService

        self.service = service or ScoringService(db, config)

    def score_writing(self, text: str, *, item_id: str, prompt: str, min_words: int | None,
                      session_id: str | None, review: bool = True) -> dict:
        return self.service.score_writing(text, prompt_text=prompt, min_words=min_words,
                                          item_id=item_id, session_id=session_id, review=review)
