"""Marshmallow schemas of the testing API: every input passes one of these."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from assessment.cefr import LEVELS
from item_bank.model import SKILLS
from services.common.i18n import LEARNER_LANGUAGES


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


SelfAssessmentSchema = StrictSchema.from_dict(
    {skill: fields.String(validate=validate.OneOf(LEVELS)) for skill in SKILLS},
    name="SelfAssessmentSchema")


class SessionCreateSchema(StrictSchema):
    ui_language = fields.String(required=True, validate=validate.OneOf(LEARNER_LANGUAGES),
                                metadata={"description": "Interface language of the job seeker"})
    self_assessment = fields.Nested(
        SelfAssessmentSchema, load_default=dict,
        metadata={"description": "Self-assessed CEFR level per skill, from can-do statements; "
                                 "sets the prior. Example: {\"reading\": \"B1\"}"})


class SessionCreatedSchema(Schema):
    id = fields.String()
    token = fields.String(metadata={"description": "Bearer token: keep it, it is shown once"})


class SessionStatusSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "active, scoring (the test is over; a written "
                                                    "answer waits for its score) or finished"})
    ui_language = fields.String()


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


class BlockSchema(Schema):
    id = fields.String(metadata={"description": "The block's id: send it with the answers to "
                                                "POST /block-responses"})
    kind = fields.String(metadata={"description": "yes_no: is each word a real Finnish word?"})
    answered = fields.Integer(metadata={"description": "Words of the block answered already "
                                                       "(one by one, through POST /responses)"})
    items = fields.List(fields.Nested(PublicItemSchema), metadata={
        "description": "The words still to answer, in order; answer all of them in one request"})


class NextSchema(Schema):
    done = fields.Boolean()
    item = fields.Nested(PublicItemSchema, metadata={
        "description": "The item to answer now; in a block, its first open word (a client "
                       "that answers one item at a time can go on doing so)"})
    block = fields.Nested(BlockSchema, metadata={
        "description": "Only when the item is a word of a block of yes/no words: every open "
                       "word of the block, to show on one page and answer with POST "
                       "/block-responses"})
    progress = fields.Nested(ProgressSchema)


class ResponseCreateSchema(StrictSchema):
    item_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    answer = fields.Raw(required=True, allow_none=False,
                        metadata={"description": "A choice id, \"yes\"/\"no\", or the typed word"})


class ResponseAcceptedSchema(Schema):
    accepted = fields.Boolean()
    done = fields.Boolean()
    progress = fields.Nested(ProgressSchema)
    scoring = fields.String(metadata={"description": "waiting: the written answer is stored "
                                                     "and is scored when the scoring service "
                                                     "is back; the test goes on"})


class BlockResponseCreateSchema(StrictSchema):
    block_id = fields.String(required=True, validate=validate.Length(min=1, max=80),
                             metadata={"description": "block.id from GET /next"})
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=80)),
        values=fields.String(validate=validate.OneOf(["yes", "no"])),
        required=True, validate=validate.Length(min=1, max=60),
        metadata={"description": "Every open word of the block: item id -> \"yes\" (a real "
                                 "Finnish word) or \"no\". Example: {\"vo-a1-yn-talo\": "
                                 "\"yes\", \"vo-a1-yn-tulo\": \"no\"}"})


class BlockResponseAcceptedSchema(ResponseAcceptedSchema):
    answered = fields.Integer(metadata={"description": "Words answered by this request"})


class EstimateSchema(Schema):
    cefr = fields.String()
    theta = fields.Float()
    sem = fields.Float()
    certainty = fields.Float(metadata={"description": "Posterior probability that the level is right"})
    n_items = fields.Integer()
    at_least = fields.Boolean(metadata={"description": "The level is the highest the item bank "
                                        "measures; the true level may be higher"})
    level_probabilities = fields.Dict(keys=fields.String(), values=fields.Float())


class ResultWaitingSchema(Schema):
    status = fields.String(metadata={"description": "scoring: written answers wait for the "
                                                    "scoring service; ask again later"})
    waiting = fields.Integer(metadata={"description": "written answers not scored yet"})
    retry_after = fields.Integer(metadata={"description": "seconds to wait before asking again"})
    message = fields.String()


class ResultSchema(Schema):
    id = fields.String()
    ui_language = fields.String()
    started_at = fields.String()
    finished_at = fields.String()
    result_changed_at = fields.String(metadata={
        "description": "When the result last changed (ISO 8601): a coach's level for a "
                       "written answer estimates it again; until then, when the test finished"})
    overall = fields.Nested(EstimateSchema)
    skills = fields.Dict(keys=fields.String(), values=fields.Nested(EstimateSchema))
    n_items = fields.Integer()
    stop_reason = fields.String()
    bank_version = fields.String()
    cut_scores_version = fields.String()


class SpeakingTaskSchema(Schema):
    item_id = fields.String()
    kind = fields.String(metadata={"description": "read_aloud or speaking_prompt"})
    task = fields.String(metadata={"description": "The speech scorer's task: read_aloud or open_speaking"})
    text = fields.String(metadata={"description": "Read-aloud: the text to read"})
    prompt = fields.String(metadata={"description": "Open speaking: the task to answer"})
    prep_seconds = fields.Integer(metadata={"description": "Time to prepare before recording"})
    max_seconds = fields.Integer(metadata={"description": "The longest the recording may last"})
    job = fields.Dict(allow_none=True, metadata={"description": "The recording's scoring job, "
                                                 "or null while none has been sent"})


class SpeechJobSchema(Schema):
    id = fields.String()
    item_id = fields.String()
    task = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    stage = fields.String()
    progress = fields.Float(metadata={"description": "0–1"})
    duration_s = fields.Float()
    result = fields.Dict(allow_none=True, metadata={
        "description": "When done: cefr (null when the audio was too unclear), score, "
                       "subscores, transcript, feedback with messages; review_id when a coach "
                       "will check it"})
    created_at = fields.String()
    finished_at = fields.String(allow_none=True)
    status_url = fields.String()


class SpeakingSchema(Schema):
    tasks = fields.List(fields.Nested(SpeakingTaskSchema))
    jobs = fields.List(fields.Nested(SpeechJobSchema))


class SpeakingUploadSchema(StrictSchema):
    """The form fields beside the recording (multipart file field ``audio``)."""

    item_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
