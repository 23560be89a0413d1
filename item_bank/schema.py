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


SCHEMAS = {"multiple_choice": MultipleChoiceSchema, "yes_no": YesNoSchema, "cloze": ClozeSchema}


class StimulusSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(max=200))
    text = fields.String(required=True, validate=_text)


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
