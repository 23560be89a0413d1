"""Blocks of yes/no words: a served block is shown whole (one page) and answered in one
request, each word keeping its own stored answer and score while the estimate scores the
block as one unit. A mixin of :class:`services.testing.handlers.TestingService`."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from item_bank.assembly import is_block_id
from scoring.objective import AnswerError, score as score_answer
from services.common.errors import APIError

from .bank import LoadedBank
from .orm import SessionItem


class Blocks:
    """The yes/no blocks' part of the testing service (``self`` is the
    :class:`~services.testing.handlers.TestingService`)."""

    def _open_block(self, block_id: str, rows: list[SessionItem]) -> dict:
        """The words of a served block still to answer, in order, for one page and one
        request (POST /block-responses); ``answered``: its words answered already (by the
        one-word path)."""
        bank = self.bank.get()
        mine = [r for r in rows if r.testlet_id == block_id and not r.pretest]
        waiting = [r for r in mine if r.answer is None]
        words = []
        for r in waiting:
            item = bank.items.get(r.item_id)
            if item is None or item.version != r.item_version:  # the bank changed since
                with self.db.read() as s:
                    item = self._item(bank, s, r.item_id, r.item_version)
            words.append(self._public(item))
        return {"id": block_id, "kind": words[0]["kind"] if words else "yes_no",
                "answered": len(mine) - len(waiting), "items": words}

    def answer_block(self, session_id: str, token: str | None, block_id: str,
                     answers: dict[str, str]) -> dict:
        """Answer the open words of a served block at once (``answers``: item id -> "yes" or
        "no"). Each word keeps its own stored answer and score (calibration uses them); the
        block is scored as one unit by the estimate. Every open word must be answered: a
        word left out, or an item that is not a word of the block, is a 422 that names
        them; a block not served in this session, or a word already answered, a 409."""
        bank = self.bank.get()
        for serve in (True, False):  # without serving the next item after a clash
            try:
                return self._answer_block(session_id, token, block_id, answers, bank, serve)
            except IntegrityError:
                if not serve:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer_block(self, session_id: str, token: str | None, block_id: str,
                      answers: dict[str, str], bank: LoadedBank, serve: bool) -> dict:
        with self.db.session() as s:
            sess = self._load(s, session_id, token, items=True)
            if sess.status != "active":
                raise APIError(409, "This test is already finished; its result is ready.")
            rows = list(sess.items)
            mine = [r for r in rows if r.testlet_id == block_id and not r.pretest]
            if not is_block_id(block_id) or not mine:
                raise APIError(409, f"Block {block_id} was not served in this session: answer "
                                    "the block that GET /next returns.",
                               {"block_id": ["not served in this session"]})
            by_id = {r.item_id: r for r in mine}
            strangers = sorted(set(answers) - set(by_id))
            if strangers:
                raise APIError(422, f"Not words of block {block_id}: {', '.join(strangers)}. "
                                    "Answer the words that GET /next lists in block.items.",
                               {"answers": {k: ["not a word of this block"] for k in strangers}})
            again = sorted(k for k in answers if by_id[k].answer is not None)
            if again:
                raise APIError(409, f"Already answered (an answer cannot be changed): "
                                    f"{', '.join(again)}.",
                               {"answers": {k: ["already answered"] for k in again}})
            waiting = [r for r in mine if r.answer is None]
            items = {r.item_id: self._item(bank, s, r.item_id, r.item_version) for r in waiting}
            missing = [r.item_id for r in waiting if r.item_id not in answers]
            if missing:
                words = {k: items[k].content.get("word", k) for k in missing}
                raise APIError(422, "Answer every word of the block, yes or no. Not answered: "
                                    + ", ".join(words.values()) + ".",
                               {"answers": {k: [f"missing: answer yes or no for {w!r}"]
                                            for k, w in words.items()}})
            points = {}
            for k in answers:
                try:
                    points[k] = score_answer(items[k], answers[k], self.analyzer)
                except AnswerError as err:
                    raise APIError(422, f"{k}: {err}", {"answers": {k: [str(err)]}}) from None
            if not self._store_answers(s, by_id, {k: (answers[k], p) for k, p in points.items()}):
                # another request answered a word first: nothing of this answer is kept
                s.rollback()
                taken = sorted(s.scalars(select(SessionItem.item_id).where(
                    SessionItem.session_id == session_id, SessionItem.item_id.in_(list(points)),
                    SessionItem.answer.is_not(None))).all())
                raise APIError(409, f"Already answered (an answer cannot be changed): "
                                    f"{', '.join(taken)}.",
                               {"answers": {k: ["already answered"] for k in taken}})
            finished, served = self._after_answers(s, sess, bank, rows, serve)
            outcome = {"accepted": True, "answered": len(points), "done": finished,
                       "progress": self._progress(rows)}
            waiting = sess.status == "scoring"
        self._served_or_finished(session_id, bank, served, finished, waiting)
        return outcome
