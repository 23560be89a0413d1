from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate, validates_schema, ValidationError

from assessment.cefr import LEVELS


class WritingRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    answer = fields.String(required=True, validate=validate.Length(max=200_000),
                           metadata={"description": "The learner's text (HTML is stripped)"})
    task_id = fields.String(validate=validate.Length(min=1, max=80))
    prompt_text = fields.String(validate=validate.Length(min=1, max=5000))
    ui_language = fields.String(load_default="en", validate=validate.OneOf(["fi", "sv", "en"]),
                                metadata={"description": "Language of the feedback messages"})

    @validates_schema
    def one_task(self, data, **kwargs):
        if "task_id" in data and "prompt_text" in data:
            raise ValidationError("give task_id or prompt_text, not both", "task_id")


class WritingResultSchema(Schema):
    cefr = fields.String()
    score = fields.Float()
    subscores = fields.Dict(keys=fields.String(), values=fields.Float())
    confidence = fields.Float()
    feedback = fields.List(fields.Dict())
    recognised_as = fields.String()
    model_version = fields.String()
    features = fields.Dict()
    review_id = fields.Integer()


class ReviewQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "reviewed"]))


class ReviewDecisionSchema(Schema):
    class Meta:
        unknown = RAISE

    cefr = fields.String(required=True, validate=validate.OneOf(LEVELS))
    note = fields.String(validate=validate.Length(max=2000))
