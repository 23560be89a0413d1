"""The scoring service called in the same process (the embedded default): written answers
(:class:`InProcessScorer`) and spoken ones (:class:`InProcessSpeechScoring`)."""
from __future__ import annotations

from services.common.config import Config
from services.common.db import Database
from services.common.errors import APIError


class InProcessScorer:
    """:class:`services.testing.ports.Scorer` by the scoring service layer in this process."""

    def __init__(self, db: Database, config: Config, service=None):
        from services.scoring.handlers import ScoringService

        self.service = service or ScoringService(db, config)

    def score_writing(self, text: str, *, item_id: str, prompt: str, min_words: int | None,
                      session_id: str | None, review: bool = True) -> dict:
        return self.service.score_writing(text, prompt_text=prompt, min_words=min_words,
                                          item_id=item_id, session_id=session_id, review=review)


class InProcessSpeechScoring:
    """:class:`services.testing.ports.SpeechScoring` by the scoring service layer in this
    process: the recording is checked and kept by the scoring service, its job queued on the
    scoring service's queue (``queue``, or the shared service's own)."""

    def __init__(self, db: Database, config: Config, service=None, queue=None):
        from services.scoring.handlers import ScoringService

        self.service = service or ScoringService(db, config, queue=queue)

    def submit(self, data: bytes, *, task: str, text: str, item_id: str,
               passage_cefr: str | None, max_seconds: float | None, session_id: str,
               ui_language: str) -> dict:
        # the fields the scoring API's form gives the service layer (SpeechRequestSchema)
        fields = {"reference_text" if task == "read_aloud" else "prompt_text": text,
                  "item_id": item_id, "ui_language": ui_language}
        if task not in ("read_aloud", "open_speaking"):
            raise ValueError(f"unknown speaking task {task!r}")
        if passage_cefr:
            fields["passage_cefr"] = passage_cefr
        if max_seconds:
            fields["max_seconds"] = float(max_seconds)
        return self.service.submit_speech(data, fields, session_id=session_id)

    def jobs(self, session_id: str) -> list[dict]:
        return self.service.speech_jobs(session_id)

    def job(self, job_id: str) -> dict | None:
        try:
            return self.service.speech_job(job_id)
        except APIError as err:
            if err.status == 404:
                return None
            raise


class InProcessScoringRecords:
    """:class:`services.results.ports.ScoringRecords` by the scoring service layer in this
    process: the same rows and answers as the scoring API's ``/records`` part; a decision
    is committed and ``review.decided`` published by the scoring service, on ``queue``."""

    def __init__(self, db: Database, config: Config, service=None, queue=None):
        from services.scoring.handlers import ScoringService

        self.service = service or ScoringService(db, config, queue=queue)

    @staticmethod
    def _sessions(session_ids) -> list[str]:
        return sorted({str(x) for x in session_ids})

    def reviews(self, session_ids, *, status: str = "all", limit: int = 200) -> list[dict]:
        ids = None if session_ids is None else self._sessions(session_ids)
        return self.service.reviews_of(ids, status, limit)

    def review(self, review_id: int) -> dict | None:
        try:
            return self.service.review_of(int(review_id))
        except APIError as err:
            if err.status == 404:
                return None
            raise

    def review_audio(self, review_id: int) -> bytes | None:
        try:
            return self.service.review_audio(int(review_id)) or None
        except APIError as err:
            if err.status == 404:
                return None
            raise

    def decide(self, review_id: int, *, cefr: str, reviewer: str, reason: str | None) -> dict:
        from services.results.ports import AlreadyReviewed, DecisionRefused, NoSuchReview

        try:
            return self.service.review(int(review_id), cefr, reviewer, reason)
        except APIError as err:
            if err.status == 404:
                raise NoSuchReview(review_id) from None
            if err.status == 409:
                raise AlreadyReviewed(err.message) from None
            raise DecisionRefused(err.message, err.errors) from None

    def speech_jobs(self, session_ids) -> dict[str, list[dict]]:
        return self.service.speech_jobs_of(self._sessions(session_ids))

    def export(self, session_ids) -> dict:
        return self.service.export_sessions(self._sessions(session_ids))

    def erase(self, session_ids) -> dict:
        return self.service.erase_sessions(self._sessions(session_ids))


class InProcessScoringFigures:
    """:class:`services.authoring.ports.ScoringFigures` by the scoring service's layer."""

    def __init__(self, db: Database, config: Config | None = None):
        self.db = db

    def agreement(self) -> dict:
        from services.scoring.records import machine_coach_agreement

        return machine_coach_agreement(self.db)
