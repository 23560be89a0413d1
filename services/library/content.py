"""The Katso seed content: ``data/katso.yaml`` (texts in fi/sv/en) and the project's own
pictograms ``data/pictograms/<card>.svg``. Checked with marshmallow before anything is
written, so a broken file is named with its place and nothing half-seeded remains."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

LANGS = ("fi", "sv", "en")
DATA = Path(__file__).resolve().parent / "data"
SEED_FILE = DATA / "katso.yaml"
PICTOGRAMS = DATA / "pictograms"
PAGE_KINDS = ("instructions", "example", "statement")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ContentError(ValueError):
    pass


def _texts(**kw):
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGS)),
                       values=fields.String(validate=validate.Length(min=1)), required=True, **kw)


class _Base(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(SLUG))

    @staticmethod
    def _all_languages(data: dict, *names: str) -> None:
        for name in names:
            missing = [lang for lang in LANGS if not (data.get(name) or {}).get(lang, "").strip()]
            if missing:
                raise ValidationError(f"needs a text in {', '.join(missing)}", name)


class CardSchema(_Base):
    caption = _texts()
    alt = _texts()
    prompt = _texts()

    @validates_schema
    def _check(self, data, **_):
        self._all_languages(data, "caption", "alt", "prompt")


class CategorySchema(_Base):
    name = _texts()
    description = _texts()
    cards = fields.List(fields.Nested(CardSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _check(self, data, **_):
        self._all_languages(data, "name", "description")


class WorldviewSchema(_Base):
    name = _texts()
    summary = _texts()
    description = _texts()
    cards = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _check(self, data, **_):
        self._all_languages(data, "name", "summary", "description")


class PageSchema(_Base):
    kind = fields.String(required=True, validate=validate.OneOf(PAGE_KINDS))
    title = _texts()
    body = _texts()
    cards = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _check(self, data, **_):
        self._all_languages(data, "title", "body")


class SeedSchema(Schema):
    video_url = fields.Url(schemes={"https"}, required=True)
    categories = fields.List(fields.Nested(CategorySchema), required=True)
    worldviews = fields.List(fields.Nested(WorldviewSchema), required=True)
    pages = fields.List(fields.Nested(PageSchema), required=True)


def load_seed(path: Path = SEED_FILE) -> dict:
    """The seed as plain data, or :class:`ContentError` naming what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = SeedSchema().load(raw)
    except (OSError, yaml.YAMLError) as err:
        raise ContentError(f"{path.name}: {err}") from None
    except ValidationError as err:
        raise ContentError(f"{path.name}: {err.messages}") from None
    cards = [c["slug"] for cat in data["categories"] for c in cat["cards"]]
    for kind, slugs in (("category", [c["slug"] for c in data["categories"]]), ("card", cards),
                        ("worldview", [w["slug"] for w in data["worldviews"]]),
                        ("page", [p["slug"] for p in data["pages"]])):
        dupes = sorted({s for s in slugs if slugs.count(s) > 1})
        if dupes:
            raise ContentError(f"{path.name}: {kind} slugs used twice: {', '.join(dupes)}")
    known = set(cards)
    for owner in data["worldviews"] + data["pages"]:
        unknown = [s for s in owner["cards"] if s not in known]
        if unknown:
            raise ContentError(f"{path.name}: {owner['slug']} refers to unknown cards: {', '.join(unknown)}")
    for slug in cards:
        data.setdefault("_pictograms", {})[slug] = (PICTOGRAMS / f"{slug}.svg").is_file()
    return data


def pictogram_path(name: str) -> Path | None:
    """The seed pictogram file for a card, if the project ships one."""
    if not SLUG.match(name or ""):
        return None
    path = PICTOGRAMS / f"{name}.svg"
    return path if path.is_file() else None
