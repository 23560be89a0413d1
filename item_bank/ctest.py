"""The C-test rule (Klein-Braley & Raatz 1984): the first sentence stays whole; from the
second sentence on, the second half of every second word is deleted (the larger half of
a word with an odd number of letters), until the wanted number of gaps is reached; the
rest of the text stays whole. Numbers, one-letter words and names (capitalised words
inside a sentence) are not damaged and not counted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TOKEN = re.compile(r"\w+(?:-\w+)*|\W+", re.UNICODE)
MIN_GAPS, MAX_GAPS = 8, 25


@dataclass(frozen=True)
class Gap:
    prefix: str   # the letters left standing
    missing: str  # what the test taker writes

    @property
    def word(self) -> str:
        return self.prefix + self.missing


def damage(text: str, max_gaps: int = MAX_GAPS) -> list[str | Gap]:
    """The text as a list of plain strings and gaps, in order."""
    text = " ".join(text.split())
    sentences = _SENTENCE_END.split(text)
    parts: list[str | Gap] = []
    counter = 0
    gaps = 0
    for s_index, sentence in enumerate(sentences):
        if s_index:
            parts.append(" ")
        first_word = True
        for token in _TOKEN.findall(sentence):
            is_word = token[0].isalpha()
            damageable = (s_index > 0 and is_word and len(token) > 1 and gaps < max_gaps
                          and not any(ch.isdigit() for ch in token)
                          and not (token[0].isupper() and not first_word) and "-" not in token)
            if is_word:
                first_word = False
            if damageable:
                counter += 1
                if counter % 2 == 0:
                    keep = len(token) // 2
                    parts.append(Gap(token[:keep], token[keep:]))
                    gaps += 1
                    continue
            parts.append(token)
    merged: list[str | Gap] = []
    for p in parts:  # join neighbouring strings
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def gaps(text: str) -> list[Gap]:
    return [p for p in damage(text) if isinstance(p, Gap)]
