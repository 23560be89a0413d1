"""Marshmallow schemas of the testing API: every input passes one of these."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from assessment.cefr import LEVELS


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class SessionCreateSchema(StrictSchema):
    ui_language = fields.String(required=True, validate=validate.OneOf(["fi", "sv", "en"]),
                                metadata={"description": "Interface language of the job seeker"})
    self_assessment = fields.Dict(
        keys=fields.String(validate=validate.Length(max=32)),
        values=fields.String(validate=validate.OneOf(LEVELS)),
        load_default=dict,
        metadata={"description": "Self-assessed CEFR level per skill, from can-do statements; "
                                 "sets the prior. Example: {\"reading\": \"B1\"}"})


class SessionCreatedSchema(Schema):
    id = fields.String()
    token = fields.String(metadata={"description": "Bearer token: keep it, it is shown once"})


class ChoiceSchema(Schema):
    id = fields.String()
    text = fields.String()


class PublicItemSchema(Schema):
    id = fields.String()
    kind = fields.String()
    skill = fields.String()
    prompt = fields.String()
    context = fields.String()
    word = fields.String()
    text_before = fields.String()
    text_after = fields.String()
    hint = fields.String()
    choices = fields.List(fields.Nested(ChoiceSchema))
    stimulus = fields.Dict(metadata={"description": "A reading text (title, text) or, for "
                                     "listening, the address of its recording (title, audio)"})
    testlet = fields.String()
    testlet_position = fields.Dict()
    audio = fields.String(metadata={"description": "Address of the recording (dictation)"})
    parts = fields.List(fields.Dict(), metadata={
        "description": "C-test: the text as plain parts {text} and gaps {gap, prefix, length}"})
    words = fields.List(fields.String(), metadata={"description": "Sentence building: the words"})
    text = fields.String(metadata={"description": "Read-aloud: the text to read"})
    task_type = fields.String()
    min_words = fields.Integer()
    max_words = fields.Integer()
    prep_seconds = fields.Integer()
    max_seconds = fields.Integer()
    max_score = fields.Integer(metadata={"description": "Highest score of a partial-credit item"})


class ProgressSchema(Schema):
    answered = fields.Integer()
    min_items = fields.Integer()
    max_items = fields.Integer()


class NextSchema(Schema):
    done = fields.Boolean()
    item = fields.Nested(PublicItemSchema)
    progress = fields.Nested(ProgressSchema)


class ResponseCreateSchema(StrictSchema):
    item_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    answer = fields.Raw(required=True, allow_none=False,
                        metadata={"description": "A choice id, \"yes\"/\"no\", or the typed word"})


class ResponseAcceptedSchema(Schema):
    accepted = fields.Boolean()
    done = fields.Boolean()
    progress = fields.Nested(ProgressSchema)


class EstimateSchema(Schema):
    cefr = fields.String()
    theta = fields.Float()
    sem = fields.Float()
    certainty = fields.Float(metadata={"description": "Posterior probability that the level is right"})
    n_items = fields.Integer()
    at_least = fields.Boolean(metadata={"description": "The level is the highest the item bank "
                                        "measures; the true level may be higher"})
    level_probabilities = fields.Dict(keys=fields.String(), values=fields.Float())


class ResultSchema(Schema):
    id = fields.String()
    ui_language = fields.String()
    finished_at = fields.String()
    overall = fields.Nested(EstimateSchema)
    skills = fields.Dict(keys=fields.String(), values=fields.Nested(EstimateSchema))
    n_items = fields.Integer()
    stop_reason = fields.String()
    bank_version = fields.String()
    cut_scores_version = fields.String()
