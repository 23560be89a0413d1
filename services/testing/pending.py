"""Written answers and the scoring service: a writing task is scored on submission by the
scoring service; when it cannot be reached the text is stored unscored, the test ends in
``scoring`` (:class:`ResultWaiting` for the learner), and :meth:`WrittenAnswers.score_pending`
scores it later and makes the result. A mixin of
:class:`services.testing.handlers.TestingService`."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from assessment.cefr import LEVELS
from item_bank.model import Item
from item_bank.orm import utcnow
from services.common.errors import APIError

from .estimates import _unscored, estimate_from_answers
from .orm import SessionItem, TestSession
from .ports import ScoringUnavailable

log = logging.getLogger(__name__)


class ResultWaiting(Exception):
    """The test is over for the learner, but a written answer waits for the scoring
    service (it could not be reached when the answer was sent): the result comes when it
    is scored. Nothing is lost: the answer is stored."""

    def __init__(self, waiting: int):
        super().__init__(f"{waiting} written answer(s) wait for scoring")
        self.waiting = waiting


class WrittenAnswers:
    """The written answers' part of the testing service (``self`` is the
    :class:`~services.testing.handlers.TestingService`)."""

    def _written_first(self, session_id: str, token: str | None, item: Item | None,
                       answer) -> tuple[Item, int | None, str] | None:
        """A written answer is scored before the answer's transaction, so that no
        transaction waits for the scoring service: (item, points or None, cleaned text).
        The session's token is checked first, so that nobody else's text is scored: by its
        signature (:class:`~services.testing.handlers.TokenSigner`, no statement), or for an
        unsigned token in the database (one SELECT, and a finished test's text is not sent).
        None for other kinds of item."""
        if item is None or item.kind != "writing_task" or (isinstance(answer, str)
                                                           and not answer.strip()):
            return None
        if not self.tokens.signed(session_id, token):
            with self.db.read() as s:
                if self._load(s, session_id, token).status != "active":
                    return None   # _answer says why
        points, text = self._score_writing(item, answer, session_id)
        return item, points, text

    def _score_writing(self, item: Item, answer, session_id: str) -> tuple[int | None, str]:
        """A writing task is scored on submission by the scoring service (0..5 = A1..C2,
        the graded response model's categories); there an uncertain score, or one that the
        scorer's checks changed (repetition, copying, off-task text, a word list), also goes
        to the coaches' review queue. When the scoring service cannot be reached the score
        is None: the text is stored and scored later (:meth:`score_pending`)."""
        from scoring.textinput import TextInputError, clean

        if not isinstance(answer, str):
            raise APIError(422, "answer must be your text, as a string", {"answer": "not text"})
        try:
            text = clean(answer)
        except TextInputError as err:
            raise APIError(422, str(err), {"answer": str(err)}) from None
        try:
            return self._writing_points(item, text, session_id), text
        except ScoringUnavailable as err:
            log.warning("session %s: the written answer to %s is stored unscored: %s",
                        session_id, item.id, err)
            return None, text

    def _writing_points(self, item: Item, text: str, session_id: str) -> int:
        result = self.scorer.score_writing(text, item_id=item.id, prompt=item.content["prompt"],
                                           min_words=item.content.get("min_words"),
                                           session_id=session_id)
        return LEVELS.index(result["cefr"])

    def score_pending(self, session_id: str) -> int:
        """Score the written answers of a session that waited for the scoring service, and
        when none waits any more and the test is over, estimate its result. Returns how many
        still wait (0: nothing left; the scoring service is still away otherwise).
        Idempotent: a score already stored is kept, and the result is made once."""
        bank = self.bank.get()
        with self.db.read() as s:
            waiting = [(r.item_id, r.item_version, r.answer) for r in s.scalars(
                select(SessionItem).where(SessionItem.session_id == session_id,
                                          SessionItem.answer.is_not(None),
                                          SessionItem.score.is_(None))).all()]
            items = {k: self._item(bank, s, k, v) for k, v, _a in waiting}
        points: dict[str, int] = {}
        for item_id, _version, text in waiting:   # no transaction is held while scoring
            try:
                points[item_id] = self._writing_points(items[item_id], text, session_id)
            except ScoringUnavailable:
                break
            except APIError as err:   # the scorer refuses the stored text: the lowest level
                log.warning("session %s: the scorer refused the stored answer to %s: %s",
                            session_id, item_id, err.message)
                points[item_id] = 0
        with self.db.session() as s:
            sess = s.execute(select(TestSession).where(TestSession.id == session_id)
                             .options(joinedload(TestSession.items)).with_for_update(of=TestSession)
                             ).unique().scalar_one_or_none()
            if sess is None:
                return 0
            for row in sess.items:
                if row.item_id in points and row.score is None and row.answer is not None:
                    row.score = points[row.item_id]
                    # the kept state counted it as set aside: replay from the answers now
                    sess.engine_state = None
            left = len(_unscored(sess.items))
            finished = not left and sess.status == "scoring"
            if finished:
                sess.engine_state = None
                sess.result = {**estimate_from_answers(s, sess),
                               "stop_reason": sess.stop_reason, "bank_version": sess.bank_version,
                               "cut_scores_version": sess.cut_scores_version}
                sess.status, sess.finished_at = "finished", utcnow()
        if finished:
            self._after_finish(session_id)
        return left
