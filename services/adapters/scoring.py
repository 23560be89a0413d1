"""The scoring service called in the same process (the embedded default): written answers
(:class:`InProcessScorer`) and spoken ones (:class:`InProcessSpeechScoring`)."""
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
        from services.common.errors import APIError

        try:
            return self.service.speech_job(job_id)
        except APIError as err:
            if err.status == 404:
                return None
            raise
