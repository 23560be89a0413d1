"""Feedback on written answers in the learner's interface language (fi, sv, en).

The scorer gives codes with details; this turns them into sentences from the catalogues.
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

MESSAGES = {
    "misspelt_words": _l("Check the spelling of these words: %(words)s."),
    "colloquial_forms": _l("You used spoken forms such as 'mä' or 'sä'. In writing, use 'minä' and 'sinä'."),
    "sentence_variety_low": _l("Your sentences are all simple. Join your ideas with words such as 'koska', 'että' and 'kun'."),
    "sentence_variety_good": _l("Good: you join your ideas with subordinate clauses."),
    "too_short": _l("Your text is shorter than the task asks. Write more about each point."),
    "off_topic": _l("Your text does not seem to answer the task. Read the task again."),
    "words_used_well": _l("Words you used well: %(words)s."),
    "empty": _l("The answer is empty: write your text and send it again."),
    "not_finnish": _l("The answer is not in Finnish, so it cannot be scored as Finnish writing."),
    "copy_of_prompt": _l("The answer copies the task. Write the text in your own words."),
}


def _words(entry: dict) -> str:
    parts = []
    for w in entry.get("words", []):
        if isinstance(w, dict):
            hint = w.get("suggestions", [])[:1]
            parts.append(f"{w['word']} → {hint[0]}" if hint else w["word"])
        else:
            parts.append(str(w))
    return ", ".join(parts)


def with_messages(feedback: list[dict], language: str) -> list[dict]:
    with force_locale(language):
        out = []
        for entry in feedback:
            template = MESSAGES.get(entry.get("code"))
            message = str(template) % {"words": _words(entry)} if template is not None else ""
            out.append({**entry, "message": message})
        return out
