"""Scoring answers to objective items (multiple choice, yes/no, cloze).

Each function checks that an answer has the shape its item kind takes and raises
:class:`AnswerError` with a message a person can act on when it does not.
"""
from __future__ import annotations

import re
import unicodedata
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


def score(item: Item, answer: Any) -> int:
    """0 or 1 for the dichotomous kinds."""
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
        return int(given != "" and given in {normalise(a) for a in item.accept})
    raise AnswerError(f"items of kind {item.kind} cannot be answered here")
