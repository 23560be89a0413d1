from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate, validates_schema, ValidationError

from assessment.cefr import LEVELS
from services.common.i18n import LEARNER_LANGUAGES


class WritingRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    answer = fields.String(required=True, validate=validate.Length(max=200_000),
                           metadata={"description": "The learner's text (HTML is stripped)"})
    task_id = fields.String(validate=validate.Length(min=1, max=80))
    prompt_text = fields.String(validate=validate.Length(min=1, max=5000))
    ui_language = fields.String(load_default="en", validate=validate.OneOf(LEARNER_LANGUAGES),
                                metadata={"description": "Language of the feedback messages"})
    item_id = fields.String(validate=validate.Length(min=1, max=80), metadata={
        "description": "With prompt_text: the item of the bank the text answers (for the copy "
                       "check and the review queue)"})
    min_words = fields.Integer(validate=validate.Range(min=1, max=2000), metadata={
        "description": "With prompt_text: the shortest answer the task asks for, in words"})
    review = fields.Boolean(load_default=True, metadata={
        "description": "false: a practice text, never put in the review queue"})
    session_id = fields.String(validate=validate.Length(min=1, max=36), metadata={
        "description": "The test session the answer belongs to: an uncertain score goes to the "
                       "review queue once for the session and item, however often it is sent"})

    @validates_schema
    def one_task(self, data, **kwargs):
        if "task_id" in data and "prompt_text" in data:
            raise ValidationError("give task_id or prompt_text, not both", "task_id")
        for name in ("item_id", "min_words"):
            if name in data and "prompt_text" not in data:
                raise ValidationError(f"{name} goes with prompt_text", name)


class WritingResultSchema(Schema):
    cefr = fields.String()
    score = fields.Float()
    subscores = fields.Dict(keys=fields.String(), values=fields.Float())
    confidence = fields.Float()
    feedback = fields.List(fields.Dict())
    recognised_as = fields.String()
    model_version = fields.String()
    features = fields.Dict()
    flags = fields.List(fields.String(), metadata={
        "description": "What the scorer set aside or recognised, each named to the learner in the "
                       "feedback: repetition, copied, off_task, word_list, too_short, not_finnish"})
    evidence = fields.Dict(metadata={"description": "How many words were scored as the learner's own, "
                                                    "and the shares set aside as repeated, copied or off-task"})
    unchecked_cefr = fields.String(allow_none=True, metadata={
        "description": "The level the whole text would have had without the checks (null when nothing was set aside)"})
    checks_changed_level = fields.Boolean()
    review_id = fields.Integer()


class ReviewQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "reviewed"]))


class ReviewDecisionSchema(Schema):
    class Meta:
        unknown = RAISE

    cefr = fields.String(required=True, validate=validate.OneOf(LEVELS))
    note = fields.String(validate=validate.Length(max=2000),
                         metadata={"description": "the reason; required when cefr differs from "
                                                  "the machine's level"})


class SpeechRequestSchema(Schema):
    """The form fields beside the recording (multipart field ``audio``)."""

    class Meta:
        unknown = RAISE

    item_id = fields.String(validate=validate.Length(min=1, max=80),
                            metadata={"description": "A read_aloud or speaking_prompt item"})
    reference_text = fields.String(validate=validate.Length(min=1, max=5000),
                                   metadata={"description": "Read-aloud: the text the learner read"})
    prompt_text = fields.String(validate=validate.Length(min=1, max=5000),
                                metadata={"description": "Open speaking: the task the learner answered"})
    passage_cefr = fields.String(validate=validate.OneOf(LEVELS))
    max_seconds = fields.Float(validate=validate.Range(min=5, max=120))
    ui_language = fields.String(load_default="en", validate=validate.OneOf(LEARNER_LANGUAGES))

    @validates_schema
    def one_task(self, data, **kwargs):
        given = [k for k in ("item_id", "reference_text", "prompt_text") if k in data]
        if len(given) != 1:
            raise ValidationError("give exactly one of item_id, reference_text, prompt_text", "item_id")


class JobQuerySchema(Schema):
    ui_language = fields.String(validate=validate.OneOf(LEARNER_LANGUAGES),
                                metadata={"description": "Language of the feedback messages"})
