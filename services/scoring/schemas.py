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
    """The form fields beside the recording (multipart field ``audio``). The task is one of:

    - ``item_id`` alone: a read_aloud or speaking_prompt task of the shipped content (its text,
      level and time limit come from there);
    - ``reference_text`` (read aloud) or ``prompt_text`` (open speaking), with ``passage_cefr``
      and ``max_seconds`` as the caller knows them; ``item_id`` beside it is then only a label:
      the item of the caller's bank the recording answers (e.g. an item of the live bank the
      testing service chose), kept with the job and its review.

    ``session_id`` names the test session the answer belongs to: the session's bearer token
    may read the job, and the service lists the session's jobs (``GET /jobs?session_id=``)."""

    class Meta:
        unknown = RAISE

    item_id = fields.String(validate=validate.Length(min=1, max=80), metadata={
        "description": "Alone: a read_aloud or speaking_prompt task of the shipped content. With "
                       "reference_text or prompt_text: the caller's item the recording answers "
                       "(a label kept with the job)"})
    reference_text = fields.String(validate=validate.Length(min=1, max=5000),
                                   metadata={"description": "Read-aloud: the text the learner read"})
    prompt_text = fields.String(validate=validate.Length(min=1, max=5000),
                                metadata={"description": "Open speaking: the task the learner answered"})
    passage_cefr = fields.String(validate=validate.OneOf(LEVELS), metadata={
        "description": "With reference_text or prompt_text: the level of the text or task"})
    max_seconds = fields.Float(validate=validate.Range(min=5, max=120), metadata={
        "description": "With reference_text or prompt_text: the longest answer the task allows"})
    ui_language = fields.String(load_default="en", validate=validate.OneOf(LEARNER_LANGUAGES))
    session_id = fields.String(validate=validate.Length(min=1, max=36), metadata={
        "description": "The test session the recording belongs to (the testing service sends it)"})

    @validates_schema
    def one_task(self, data, **kwargs):
        texts = [k for k in ("reference_text", "prompt_text") if k in data]
        if len(texts) > 1 or (not texts and "item_id" not in data):
            raise ValidationError("give item_id, or one of reference_text and prompt_text "
                                  "(with item_id as a label if you like)", "item_id")


class SpeechUploadSchema(SpeechRequestSchema):
    """The whole multipart form of ``POST /speech``: the fields and the recording."""

    audio = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "WebM/Ogg Opus, WAV, MP3, M4A…; at most 120 s and 10 MB"})


class SpeechJobSchema(Schema):
    """A spoken answer's scoring job."""

    id = fields.String()
    task = fields.String(metadata={"description": "read_aloud or open_speaking"})
    item_id = fields.String(allow_none=True)
    session_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    stage = fields.String(allow_none=True)
    progress = fields.Float(metadata={"description": "0-1"})
    attempts = fields.Integer()
    duration_s = fields.Float()
    result = fields.Dict(allow_none=True, metadata={"description": "When done: level, "
                                                    "confidence, transcript, feedback"})
    error = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True, metadata={"description": "ISO 8601"})
    finished_at = fields.String(allow_none=True, metadata={"description": "ISO 8601"})
    status_url = fields.String()


class JobListSchema(Schema):
    jobs = fields.List(fields.Nested(SpeechJobSchema))


class JobListQuerySchema(Schema):
    session_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                               metadata={"description": "The test session whose jobs to list"})
    ui_language = fields.String(validate=validate.OneOf(LEARNER_LANGUAGES),
                                metadata={"description": "Language of the feedback messages"})


class JobQuerySchema(Schema):
    ui_language = fields.String(validate=validate.OneOf(LEARNER_LANGUAGES),
                                metadata={"description": "Language of the feedback messages"})


# -- for the suite's other services: the rows of given test sessions (service_api.py) ---------
MAX_SESSIONS = 10_000


def _session_ids(required: bool = True, description: str = "The test sessions") -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=36)), required=required,
                       validate=validate.Length(max=MAX_SESSIONS), metadata={"description": description})


class SessionIdsSchema(Schema):
    class Meta:
        unknown = RAISE

    session_ids = _session_ids()


class ReviewSearchSchema(Schema):
    class Meta:
        unknown = RAISE

    session_ids = _session_ids(required=False, description=(
        "The test sessions whose reviews to list; left out: every session's (the whole queue)"))
    status = fields.String(load_default="all", validate=validate.OneOf(["open", "reviewed", "all"]))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class ReviewSchema(Schema):
    """An answer in the review queue, as the scoring service keeps it."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "writing or speech"})
    task_id = fields.String(allow_none=True)
    session_id = fields.String(allow_none=True)
    prompt = fields.String()
    answer = fields.String()
    machine_cefr = fields.String(allow_none=True)
    confidence = fields.Float()
    machine = fields.Dict(metadata={"description": "The scorer's whole result (a spoken answer's "
                                                   "has job_id, task and transcript)"})
    status = fields.String(metadata={"description": "open or reviewed"})
    reviewed_cefr = fields.String(allow_none=True)
    reviewer = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True, metadata={"description": "ISO 8601"})
    reviewed_at = fields.String(allow_none=True, metadata={"description": "ISO 8601"})


class ReviewListSchema(Schema):
    reviews = fields.List(fields.Nested(ReviewSchema))


class ServiceReviewDecisionSchema(Schema):
    """A decision a service passes on for the person who made it (e.g. a coach on the
    results service's pages, where who may decide which review is checked)."""

    class Meta:
        unknown = RAISE

    cefr = fields.String(required=True, validate=validate.OneOf(LEVELS))
    reviewer = fields.Email(required=True, validate=validate.Length(max=200), metadata={
        "description": "The email of the person who decided: kept with the review and audited"})
    note = fields.String(allow_none=True, validate=validate.Length(max=2000), metadata={
        "description": "the reason; required when cefr differs from the machine's level"})


class ReviewDecidedSchema(ReviewSchema):
    effect = fields.String(metadata={"description": "speech_job, session_result_queued or review_only"})
    events = fields.List(fields.String(), metadata={"description": "The events published"})


class SessionJobsSchema(Schema):
    sessions = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(SpeechJobSchema)),
                           metadata={"description": "Each session that has spoken answers: "
                                                    "their jobs in the order sent"})


class SessionExportSchema(Schema):
    spoken_answers = fields.List(fields.Dict(), metadata={"description": (
        "test, item_id, task, created_at, duration_s, transcript, result, recording_wav_base64")})
    reviews = fields.List(fields.Dict(), metadata={"description": (
        "test, kind, answer, status, machine_cefr, reviewed_cefr, reviewer, note, created_at, "
        "reviewed_at")})
    review_ids = fields.List(fields.Integer(), metadata={"description": "The reviews' ids"})


class SessionErasureSchema(Schema):
    erased = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "Rows deleted per table (score_reviews, speech_jobs)"})
    review_ids = fields.List(fields.Integer(), metadata={"description": "The reviews deleted"})


class SkillAgreementSchema(Schema):
    reviewed = fields.Integer(metadata={"description": "Answers a coach reviewed"})
    exact = fields.Float(allow_none=True, metadata={"description": "Share where the coach kept the machine's level"})
    adjacent = fields.Float(allow_none=True, metadata={"description": "Share at most one level apart"})
    qwk = fields.Float(allow_none=True, metadata={"description": "Quadratic weighted kappa"})
    coach_higher = fields.Integer()
    coach_lower = fields.Integer()


class AgreementSchema(Schema):
    writing = fields.Nested(SkillAgreementSchema)
    speaking = fields.Nested(SkillAgreementSchema)
    all = fields.Nested(SkillAgreementSchema)
