"""Marshmallow schemas for item content files: one schema per item kind.

Loading a file that breaks a rule raises :class:`ContentError` naming the file, the item
and the field, and nothing of that load is used.
"""
from __future__ import annotations

import re

from marshmallow import (RAISE, Schema, ValidationError, fields, validate, validates,
                         validates_schema)

from assessment.cefr import LEVELS

from .model import KINDS, SKILLS, TOPICS

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_id = fields.String(required=True, validate=validate.Regexp(ID_RE, error="ids use lowercase letters, digits and hyphens"))
_text = validate.Length(min=1, max=4000)


class IRTSchema(Schema):
    class Meta:
        unknown = RAISE

    a = fields.Float(required=True, validate=validate.Range(min=0.05, max=5.0))
    b = fields.Float(required=True, validate=validate.Range(min=-6.0, max=6.0))
    c = fields.Float(load_default=0.0, validate=validate.Range(min=0.0, max=0.6))


class _ItemBase(Schema):
    class Meta:
        unknown = RAISE

    id = _id
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    skill = fields.String(validate=validate.OneOf(SKILLS))
    cefr = fields.String(required=True, validate=validate.OneOf(LEVELS))
    topic = fields.String(validate=validate.OneOf(TOPICS))
    irt = fields.Nested(IRTSchema)
    status = fields.String(load_default="live", validate=validate.OneOf(["draft", "reviewed", "live", "retired"]))


class MultipleChoiceSchema(_ItemBase):
    context = fields.String(validate=_text)
    prompt = fields.String(required=True, validate=_text)
    choices = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-f]$")),
                          values=fields.String(validate=validate.Length(min=1, max=500)),
                          required=True, validate=validate.Length(min=2, max=6))
    key = fields.String(required=True)

    @validates_schema
    def key_is_a_choice(self, data, **kwargs):
        if data.get("key") not in data.get("choices", {}):
            raise ValidationError(f"key {data.get('key')!r} is not one of the choices "
                                  f"{sorted(data.get('choices', {}))}", "key")
        texts = [t.strip().casefold() for t in data.get("choices", {}).values()]
        if len(set(texts)) != len(texts):
            raise ValidationError("two choices have the same text", "choices")


class YesNoSchema(_ItemBase):
    word = fields.String(required=True, validate=validate.Regexp(r"^[a-zåäöšž-]+$", flags=re.I))
    key = fields.String(required=True, validate=validate.OneOf(["yes", "no"],
                        error='key must be the string "yes" (a real word) or "no" (a pseudoword)'))


class ClozeSchema(_ItemBase):
    text = fields.String(required=True, validate=_text)
    hint = fields.String(validate=validate.Length(min=1, max=100))
    accept = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                         validate=validate.Length(min=1))
    focus = fields.String(validate=validate.Length(max=200))

    @validates("text")
    def one_gap(self, value, **kwargs):
        if value.count("___") != 1:
            raise ValidationError("a cloze text needs exactly one gap written ___")


def _words(sentence: str) -> list[str]:
    return re.findall(r"\w+(?:-\w+)*", sentence.casefold())


class DictationSchema(_ItemBase):
    audio_text = fields.String(required=True, validate=validate.Length(min=2, max=300))


class CTestSchema(_ItemBase):
    text = fields.String(required=True, validate=validate.Length(min=80, max=2000))

    @validates("text")
    def enough_gaps(self, value, **kwargs):
        from .ctest import MIN_GAPS, gaps

        n = len(gaps(value))
        if n < MIN_GAPS:
            raise ValidationError(f"the C-test rule makes only {n} gaps; write a longer text "
                                  f"(at least {MIN_GAPS} gaps after the first sentence)")


class SentenceBuildingSchema(_ItemBase):
    words = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                        validate=validate.Length(min=3, max=14))
    accept = fields.List(fields.String(validate=validate.Length(min=3, max=300)), required=True,
                         validate=validate.Length(min=1))

    @validates_schema
    def sentences_use_the_words(self, data, **kwargs):
        given = sorted(w.casefold() for w in data.get("words", []))
        for sentence in data.get("accept", []):
            if sorted(_words(sentence)) != given:
                raise ValidationError(f"{sentence!r} does not use exactly the given words", "accept")
        if data.get("accept") and _words(data["accept"][0]) == [w.casefold() for w in data["words"]]:
            raise ValidationError("the words are shown in the order of the answer: shuffle them", "words")


class WritingTaskSchema(_ItemBase):
    prompt = fields.String(required=True, validate=_text)
    task_type = fields.String(required=True, validate=validate.OneOf(
        ["message", "description", "narrative", "opinion", "application", "instruction"]))
    min_words = fields.Integer(required=True, validate=validate.Range(min=5, max=500))
    max_words = fields.Integer(required=True, validate=validate.Range(min=10, max=800))

    @validates_schema
    def range_ok(self, data, **kwargs):
        if data.get("min_words", 0) >= data.get("max_words", 1):
            raise ValidationError("min_words must be smaller than max_words", "min_words")


class ReadAloudSchema(_ItemBase):
    text = fields.String(required=True, validate=validate.Length(min=10, max=1200))


class SpeakingPromptSchema(_ItemBase):
    prompt = fields.String(required=True, validate=_text)
    task_type = fields.String(required=True, validate=validate.OneOf(["describe", "tell", "opinion"]))
    prep_seconds = fields.Integer(load_default=30, validate=validate.Range(min=0, max=300))
    max_seconds = fields.Integer(load_default=90, validate=validate.Range(min=10, max=120))


SCHEMAS = {"multiple_choice": MultipleChoiceSchema, "yes_no": YesNoSchema, "cloze": ClozeSchema,
           "dictation": DictationSchema, "c_test": CTestSchema,
           "sentence_building": SentenceBuildingSchema, "writing_task": WritingTaskSchema,
           "read_aloud": ReadAloudSchema, "speaking_prompt": SpeakingPromptSchema}

# the skills each kind may measure
KIND_SKILLS = {
    "multiple_choice": {"reading", "listening", "vocabulary", "structure"},
    "yes_no": {"vocabulary"}, "cloze": {"structure", "vocabulary"}, "dictation": {"listening"},
    "c_test": {"structure"}, "sentence_building": {"structure"}, "writing_task": {"writing"},
    "read_aloud": {"speaking"}, "speaking_prompt": {"speaking"},
}


class StimulusSchema(Schema):
    """A reading text (``text``) or, for listening, what is heard (``audio_text``: made into
    audio at build time and kept for review only). In ``audio_text``, lines starting with
    ``A:`` and ``B:`` are spoken by two different voices."""

    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(max=200))
    text = fields.String(validate=_text)
    audio_text = fields.String(validate=_text)

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("text" in data) == ("audio_text" in data):
            raise ValidationError("a stimulus has either text (to read) or audio_text (to hear)")


class TestletSchema(Schema):
    class Meta:
        unknown = RAISE

    id = _id
    skill = fields.String(required=True, validate=validate.OneOf(SKILLS))
    cefr = fields.String(required=True, validate=validate.OneOf(LEVELS))
    topic = fields.String(required=True, validate=validate.OneOf(TOPICS))
    stimulus = fields.Nested(StimulusSchema, required=True)
    items = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=8))


class ContentFileSchema(Schema):
    class Meta:
        unknown = RAISE

    testlets = fields.List(fields.Dict(), load_default=list)
    items = fields.List(fields.Dict(), load_default=list)


class ContentError(ValueError):
    """A content file breaks a rule; the message names the file, the item and the field."""
