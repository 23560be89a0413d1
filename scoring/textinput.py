"""Reading a written answer from bytes: what is refused and what is cleaned.

Refused with a message a person can act on: binary data, text that is not UTF-8, more
than 5,000 words. Cleaned: HTML tags and scripts are removed (a pasted web page is
scored on its words), Unicode is normalised, control characters dropped.
"""
from __future__ import annotations

import html
import re
import unicodedata

MAX_WORDS = 5000
MAX_BYTES = 200_000
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]{0,500}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TextInputError(ValueError):
    """The answer cannot be read as text."""


def clean(text: str) -> str:
    if "<" in text and ">" in text:
        text = _TAG.sub(" ", _SCRIPT.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    if len(text.split()) > MAX_WORDS:
        raise TextInputError(f"the answer has more than {MAX_WORDS} words: shorten it")
    return text.strip()


def read_answer(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise TextInputError(f"the answer is larger than {MAX_BYTES // 1000} kB: send the text only")
    if b"\x00" in data:
        raise TextInputError("this is not text (it looks like a binary file): send the answer as plain text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TextInputError("the answer is not UTF-8 text: save it as UTF-8 and send it again") from None
    return clean(text)
