"""Marshmallow schemas of the authoring API: every input passes one of these.

An item body is validated twice: here only its shape (an object with an id and a kind),
then by the marshmallow schema of its kind (``item_bank.schema.SCHEMAS``), whose errors
name the fields.
"""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from assessment.cefr import LEVELS
from item_bank.model import KINDS, SKILLS, STATUSES, TOPICS


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class SignInSchema(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             load_only=True)


class StaffSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    provider = fields.String()


class ItemQuerySchema(StrictSchema):
    skill = fields.String(validate=validate.OneOf(SKILLS))
    cefr = fields.String(validate=validate.OneOf(LEVELS))
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    topic = fields.String(validate=validate.OneOf(TOPICS))
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "Words to find in the id or the item's text "
                                               "(prompt, text, word, choices, stimulus); all must occur"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ItemBodySchema(Schema):
    """An item as in the content files (``item_bank/content/README.md``): ``id``, ``kind``,
    ``skill``, ``cefr``, ``topic`` and the fields of its kind; optionally ``irt``, and for a
    question of a testlet ``testlet``, ``position`` and ``stimulus``."""

    class Meta:
        unknown = INCLUDE

    id = fields.String(metadata={"description": "Lowercase letters, digits and hyphens; "
                                                "taken from the path when editing"})
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})


class ItemEditSchema(ItemBodySchema):
    base_version = fields.Integer(load_only=True, validate=validate.Range(min=1),
                                  metadata={"description": "The version the edit starts from; "
                                                           "409 when a newer one exists"})


class TransitionSchema(StrictSchema):
    to = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(validate=validate.Range(min=1),
                             metadata={"description": "The version to move (default: the newest)"})


class VersionQuerySchema(StrictSchema):
    version = fields.Integer(validate=validate.Range(min=1))


class IRTOutSchema(Schema):
    a = fields.Float()
    b = fields.Float()
    c = fields.Float()
    model = fields.String()
    thresholds = fields.List(fields.Float())


class ItemHeadSchema(Schema):
    """What identifies and classifies an item version (shared by the list and the detail)."""

    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    kind = fields.String()
    skill = fields.String()
    cefr = fields.String()
    topic = fields.String()
    testlet = fields.String(allow_none=True)


class ItemOutSchema(ItemHeadSchema):
    position = fields.Integer()
    stimulus = fields.Dict(allow_none=True)
    content = fields.Dict()
    key = fields.Raw(allow_none=True)
    accept = fields.List(fields.String())
    irt = fields.Nested(IRTOutSchema)
    assets = fields.Dict()
    content_hash = fields.String()
    source = fields.Dict(metadata={"description": "The item as in a content file: what PUT takes"})


class ItemSummarySchema(ItemHeadSchema):
    summary = fields.String()


class ItemListSchema(Schema):
    items = fields.List(fields.Nested(ItemSummarySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


class VersionSchema(Schema):
    version = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    used = fields.Boolean(metadata={"description": "Served in a test: never changed again"})
    content_hash = fields.String()


class EventSchema(Schema):
    version = fields.Integer()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = fields.DateTime()


class ItemDetailSchema(Schema):
    item = fields.Nested(ItemOutSchema)
    created_at = fields.DateTime()
    used = fields.Boolean()
    latest_version = fields.Integer()
    new_version = fields.Boolean(metadata={"description": "PUT: the edit made a new version"})
    versions = fields.List(fields.Nested(VersionSchema))
    events = fields.List(fields.Nested(EventSchema))


class StatisticsSchema(Schema):
    item_id = fields.String()
    version = fields.Integer()
    served = fields.Integer(metadata={"description": "Times given in any test"})
    served_in_finished_tests = fields.Integer()
    answered = fields.Integer(metadata={"description": "Answers counted from finished tests"})
    score_sum = fields.Float()
    max_score = fields.Integer()
    proportion_correct = fields.Float(allow_none=True, metadata={
        "description": "score_sum / answered / max_score; null before the first answer"})
    sessions = fields.Integer(metadata={"description": "Tests started since the version was made"})
    exposure_rate = fields.Float(allow_none=True, metadata={"description": "served / sessions"})


class QtiExportQuerySchema(Schema):
    status = fields.String(load_default="live",
                           validate=validate.OneOf(["live", "reviewed", "draft", "retired", "all"]))


class QtiImportSchema(Schema):
    package = Upload(required=True, metadata={"description": "the QTI 3.0 zip package"})


class QtiImportResultSchema(Schema):
    imported = fields.Integer()
    unchanged = fields.Integer()
    assets = fields.Integer()
    ids = fields.List(fields.String())
