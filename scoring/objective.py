"""Scoring answers to objective items (multiple choice, yes/no, cloze).

Each function checks that an answer has the shape its item kind takes and raises
:class:`AnswerError` with a message a person can act on when it does not.
"""
from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from typing import Any

from item_bank.model import Item

MAX_TYPED = 200


class AnswerError(ValueError):
    """The answer does not have the shape the item takes."""


def normalise(text: str) -> str:
    """Case, Unicode form and surrounding space or punctuation do not change a typed answer."""
    text = unicodedata.normalize("NFC", text).strip().casefold()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .,!?;:\"'")


def words(text: str) -> list[str]:
    """Words of a typed sentence, for comparing word by word (case and punctuation ignored)."""
    return re.findall(r"\w+(?:-\w+)*", unicodedata.normalize("NFC", text).casefold())


def _typed(answer: Any, what: str) -> str:
    if not isinstance(answer, str):
        raise AnswerError(f"answer must be {what}, as a string")
    if len(answer) > MAX_TYPED:
        raise AnswerError(f"answer is longer than {MAX_TYPED} characters")
    return answer


def score_dictation(key: str, answer: str) -> int:
    """2: every word right, in order; 1: at least 60 % of the words right (matched in
    order, e.g. one or two words wrong or missing); 0: less."""
    want, got = words(key), words(answer)
    if got == want:
        return 2
    matched = sum(block.size for block in SequenceMatcher(a=want, b=got, autojunk=False).get_matching_blocks())
    extra = max(0, len(got) - len(want))
    return 1 if (matched - extra) / max(len(want), 1) >= 0.6 else 0


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def partial_cloze(given: str, accepted: set[str], analyzer=None) -> bool:
    """Partial credit: the right word in a wrong form (same base form by Voikko), or a
    near miss of the right form (one letter off, e.g. a lost double consonant)."""
    if any(len(a) >= 4 and edit_distance(given, a) == 1 for a in accepted):
        return True
    if analyzer is None:
        return False
    bases = {x.get("BASEFORM", "").casefold() for a in accepted for x in analyzer.analyze(a)}
    return any(x.get("BASEFORM", "").casefold() in bases for x in analyzer.analyze(given))


def score(item: Item, answer: Any, analyzer=None) -> int:
    """0..max_score: 0/1 for the dichotomous kinds, partial credit where the item's model
    has room for it (cloze items under the graded response model; ``analyzer``, Voikko,
    tells a wrong form of the right word)."""
    if item.kind == "multiple_choice":
        choices = item.content["choices"]
        if not isinstance(answer, str) or answer not in choices:
            raise AnswerError(f"answer must be one of the choice ids {', '.join(sorted(choices))}")
        return int(answer == item.key)
    if item.kind == "yes_no":
        if answer not in ("yes", "no"):
            raise AnswerError('answer must be "yes" (a real Finnish word) or "no"')
        return int(answer == item.key)
    if item.kind == "cloze":
        if not isinstance(answer, str):
            raise AnswerError("answer must be the word typed into the gap, as a string")
        if len(answer) > MAX_TYPED:
            raise AnswerError(f"answer is longer than {MAX_TYPED} characters")
        given = normalise(answer)
        accepted = {normalise(a) for a in item.accept}
        if given != "" and given in accepted:
            return item.max_score
        if item.max_score > 1 and given and partial_cloze(given, accepted, analyzer):
            return 1
        return 0
    if item.kind == "dictation":
        return score_dictation(item.key, _typed(answer, "the sentence you heard"))
    if item.kind == "sentence_building":
        given = words(_typed(answer, "the sentence built from the words"))
        return int(any(given == words(ok) for ok in item.accept))
    if item.kind == "c_test":
        from item_bank.ctest import gaps

        expected = gaps(item.content["text"])
        if not isinstance(answer, list) or len(answer) != len(expected):
            raise AnswerError(f"answer must be a list of {len(expected)} strings, one per gap "
                              "(an empty string for a gap left empty)")
        points = 0
        for gap, given in zip(expected, answer):
            if not isinstance(given, str) or len(given) > 60:
                raise AnswerError("each gap's answer must be a string of at most 60 characters")
            g = normalise(given)
            points += g != "" and g in (normalise(gap.missing), normalise(gap.word))
        return points
    raise AnswerError(f"items of kind {item.kind} are not scored on submission yet")
