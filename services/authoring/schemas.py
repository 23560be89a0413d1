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
    used = fields.Boolean(allow_none=True, metadata={
        "description": "Served in a test: never changed again; null when the testing service "
                       "cannot say right now"})
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
    used = fields.Boolean(allow_none=True, metadata={
        "description": "This version was served in a test; null when the testing service "
                       "cannot say right now"})
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


# -- standard setting ------------------------------------------------------------------
class StudyCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    boundaries = fields.List(fields.String(validate=validate.OneOf(LEVELS[1:])), required=True,
                             validate=validate.Length(min=1, max=5), metadata={
                                 "description": "The higher level of each boundary to set: "
                                                "\"B1\" is the A2/B1 cut"})
    panelists = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=50),
                            metadata={"description": "Staff ids with the panelist or reviewer role"})
    max_pages = fields.Integer(load_default=60, validate=validate.Range(min=5, max=300), metadata={
        "description": "Pages of the booklet: the live items spread evenly by location"})
    impact_days = fields.Integer(load_default=365, validate=validate.Range(min=1, max=3650),
                                 metadata={"description": "Impact data from tests finished in "
                                                          "this many last days"})


class BoundaryOptionSchema(Schema):
    level = fields.String()
    name = fields.String()


class PanelistOptionSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    roles = fields.List(fields.String())


class StudyOptionsSchema(Schema):
    boundaries = fields.List(fields.Nested(BoundaryOptionSchema))
    panelists = fields.List(fields.Nested(PanelistOptionSchema))
    rp = fields.Float()
    default_pages = fields.Integer()


class StudyListItemSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String(metadata={"enum": ["open", "closed", "published"]})
    round = fields.Integer()
    boundaries = fields.List(fields.String())
    pages = fields.Integer()
    created_at = fields.DateTime()
    submitted = fields.Boolean(metadata={"description": "You submitted in the current round"})


class StudyListSchema(Schema):
    studies = fields.List(fields.Nested(StudyListItemSchema))


class BookletPageSchema(Schema):
    page = fields.Integer()
    item_id = fields.String()
    version = fields.Integer()
    location = fields.Float(metadata={"description": "θ where P(correct) = RP (graded items: "
                                                     "expected score = RP × maximum)"})
    kind = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    summary = fields.String()


class PanelSeatSchema(Schema):
    seat = fields.Integer()
    name = fields.String(allow_none=True, metadata={"description": "Admins only"})
    submitted = fields.Boolean()


class BookmarkOutSchema(Schema):
    seat = fields.Integer()
    page = fields.Integer()
    theta = fields.Float()
    mine = fields.Boolean()


class BoundaryResultSchema(Schema):
    boundary = fields.String()
    name = fields.String()
    n = fields.Integer()
    median = fields.Float()
    median_page = fields.Integer()
    sd = fields.Float(allow_none=True)
    iqr = fields.Float()
    q1 = fields.Float()
    q3 = fields.Float()
    min = fields.Float()
    max = fields.Float()
    bookmarks = fields.List(fields.Nested(BookmarkOutSchema))


class ImpactSchema(Schema):
    n = fields.Integer(metadata={"description": "Tests finished in the period"})
    days = fields.Integer()
    current = fields.Dict(keys=fields.String(), values=fields.Float())
    proposed = fields.Dict(keys=fields.String(), values=fields.Float())


class RoundSummarySchema(Schema):
    boundaries = fields.List(fields.Nested(BoundaryResultSchema))
    submitted = fields.Integer()
    panel = fields.Integer()
    cuts = fields.Dict(keys=fields.String(), values=fields.Float())
    current_cuts = fields.Dict(keys=fields.String(), values=fields.Float())
    current_version = fields.String()
    not_increasing = fields.List(fields.List(fields.String()))
    impact = fields.Nested(ImpactSchema)


class RoundSchema(Schema):
    number = fields.Integer()
    opened_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    summary = fields.Nested(RoundSummarySchema, allow_none=True)


class StudySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    rp = fields.Float()
    status = fields.String()
    round = fields.Integer()
    max_rounds = fields.Integer()
    boundaries = fields.List(fields.Nested(BoundaryOptionSchema))
    booklet = fields.List(fields.Nested(BookletPageSchema))
    impact_days = fields.Integer()
    created_at = fields.DateTime()
    seat = fields.Integer(allow_none=True, metadata={"description": "Your seat on the panel"})
    is_admin = fields.Boolean()
    my_bookmarks = fields.Dict(keys=fields.String(), values=fields.Integer())
    my_submitted_at = fields.DateTime(allow_none=True)
    panel = fields.List(fields.Nested(PanelSeatSchema))
    submitted = fields.Integer()
    rounds = fields.List(fields.Nested(RoundSchema))
    published_version = fields.String(allow_none=True)


class BookmarksSchema(StrictSchema):
    bookmarks = fields.Dict(keys=fields.String(validate=validate.OneOf(LEVELS[1:])),
                            values=fields.Integer(allow_none=True), required=True, metadata={
                                "description": "Page (1-based) by boundary, e.g. {\"B1\": 12}; "
                                               "null removes a bookmark"})
    submit = fields.Boolean(load_default=False, metadata={
        "description": "Submit for the round: every boundary, in order"})


class BookmarksOutSchema(Schema):
    bookmarks = fields.Dict(keys=fields.String(), values=fields.Integer())
    submitted_at = fields.DateTime(allow_none=True)


class BookletItemSchema(Schema):
    study_id = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    location = fields.Float()
    round = fields.Integer()
    status = fields.String()
    item = fields.Nested(ItemOutSchema)
    my_bookmarks = fields.Dict(keys=fields.String(), values=fields.Integer())


class PublishSchema(StrictSchema):
    version = fields.String(validate=[validate.Length(min=1, max=64), validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$", error="letters, digits, dots, hyphens and underscores")],
        metadata={"description": "The new version's name (default: date-study-round)"})


class CutScoreVersionSchema(Schema):
    version = fields.String()
    cuts = fields.Dict(keys=fields.String(), values=fields.Float())
    spread = fields.Dict()
    source = fields.String()
    published_at = fields.DateTime()


class ShippedCutsSchema(Schema):
    version = fields.String()
    cuts = fields.Dict(keys=fields.String(), values=fields.Float())


class CutScoreVersionsSchema(Schema):
    current = fields.String(metadata={"description": "What a test started now uses"})
    published = fields.List(fields.Nested(CutScoreVersionSchema))
    shipped = fields.Nested(ShippedCutsSchema)
