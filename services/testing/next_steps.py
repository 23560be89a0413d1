"""Next steps after a result: courses and services matched to the level and the weakest
skill (data the city edits: ``data/next_steps.yaml``, or the file named by the
environment variable ``TAITOTASO_NEXT_STEPS``), and released items to practise with."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from assessment.cefr import LEVELS
from item_bank.model import SKILLS, Item

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "next_steps.yaml"
ENV_VAR = "TAITOTASO_NEXT_STEPS"
KINDS = ("course", "service", "self_study")
LANGS = ("fi", "sv", "en")
MAX_SUGGESTIONS = 4
PRACTICE_KINDS = ("multiple_choice", "cloze", "yes_no")


class NextStepsError(ValueError):
    """The next-steps file breaks a rule: the message names the file, entry and field."""


class _Localised(Schema):
    class Meta:
        unknown = RAISE

    fi = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    sv = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    en = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class EntrySchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9]+(-[a-z0-9]+)*$", error="ids use lowercase letters, digits and hyphens"))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = fields.Nested(_Localised, required=True)
    description = fields.Nested(_Localised, required=True)
    url = fields.Url(schemes={"https", "http"})
    levels = fields.List(fields.String(validate=validate.OneOf(LEVELS)), required=True,
                         validate=validate.Length(min=1))
    skills = fields.List(fields.String(validate=validate.OneOf(SKILLS)), load_default=list)


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    name: dict
    description: dict
    levels: tuple[str, ...]
    skills: tuple[str, ...] = ()
    url: str | None = None

    def localised(self, lang: str) -> dict:
        """The entry as the result page shows it, in ``lang`` (English when missing, as
        for the learner languages beyond fi/sv/en: ``lang`` then says "en")."""
        return {"id": self.id, "kind": self.kind, "url": self.url, "skills": self.skills,
                "lang": lang if lang in self.name and lang in self.description else "en",
                "name": self.name.get(lang, self.name["en"]),
                "description": self.description.get(lang, self.description["en"])}


def parse(data, source: str = "next_steps.yaml") -> list[Entry]:
    """Entries from the loaded YAML; raises :class:`NextStepsError` naming the entry and
    the field that break a rule."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise NextStepsError(f"{source}: the file needs a list 'entries'")
    entries, seen = [], set()
    for n, raw in enumerate(data["entries"], start=1):
        where = f"entry {raw.get('id', f'#{n}') if isinstance(raw, dict) else f'#{n}'}"
        try:
            loaded = EntrySchema().load(raw if isinstance(raw, dict) else {})
        except ValidationError as err:
            fields_ = ", ".join(f"{k}: {v}" for k, v in err.normalized_messages().items())
            raise NextStepsError(f"{source}: {where}: {fields_}") from None
        if loaded["id"] in seen:
            raise NextStepsError(f"{source}: {where}: id: already used by an earlier entry")
        seen.add(loaded["id"])
        entries.append(Entry(id=loaded["id"], kind=loaded["kind"], name=loaded["name"],
                             description=loaded["description"], levels=tuple(loaded["levels"]),
                             skills=tuple(loaded["skills"]), url=loaded.get("url")))
    return entries


def load(path: str | Path | None = None) -> list[Entry]:
    """The entries of ``path``, of the file named by ``TAITOTASO_NEXT_STEPS``, or the
    shipped file."""
    path = Path(path or os.environ.get(ENV_VAR) or DEFAULT_FILE)
    return _load_cached(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int) -> list[Entry]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise NextStepsError(f"{Path(path).name}: not valid YAML: {err}") from None
    return parse(data, Path(path).name)


def weakest_skill(result: dict) -> str | None:
    """The skill with the lowest ability estimate (ties: the order of ``SKILLS``)."""
    skills = {k: v for k, v in (result.get("skills") or {}).items()
              if isinstance(v, dict) and v.get("theta") is not None}
    if not skills:
        return None
    order = {s: n for n, s in enumerate(SKILLS)}
    return min(skills, key=lambda k: (skills[k]["theta"], order.get(k, len(order)), k))


def match(result: dict, entries: list[Entry], limit: int = MAX_SUGGESTIONS) -> list[Entry]:
    """Up to ``limit`` entries that suit the overall level, those aimed at the weakest skill
    first, otherwise in the file's order. With none at the level, the nearest level's."""
    level = result["overall"]["cefr"]
    target = LEVELS.index(level)

    def distance(e: Entry) -> int:
        return min(abs(LEVELS.index(lvl) - target) for lvl in e.levels)

    if not entries:
        return []
    nearest = min(distance(e) for e in entries)
    fitting = [e for e in entries if distance(e) == nearest]
    weak = weakest_skill(result)
    ranked = sorted(enumerate(fitting), key=lambda ne: (weak not in ne[1].skills, ne[0]))
    return [e for _, e in ranked[:limit]]


# -- practice ------------------------------------------------------------------------
def listening_ready(item: Item) -> bool:
    """A released listening question with its recording made (as the test's listening
    questions have theirs: a stimulus whose audio was synthesised at build time)."""
    roles = item.audio_texts()
    return (item.skill == "listening" and item.kind == "multiple_choice" and bool(roles)
            and all(role in item.assets for role in roles))


def practice_writing_tasks(items: list[Item], level: str | None) -> list[Item]:
    """Released writing tasks, the one nearest ``level`` first."""
    usable = [i for i in items if i.status == "retired" and i.kind == "writing_task"]
    target = LEVELS.index(level) if level in LEVELS else LEVELS.index("B1")
    return sorted(usable, key=lambda i: (abs(LEVELS.index(i.cefr) - target), i.cefr, i.id))


def practice_candidates(items: list[Item], level: str, skill: str | None) -> list[Item]:
    """Released items to practise with, best first: the skill at the level, then the skill
    at the nearest levels, then other skills from the nearest level out. Only items whose
    status is ``retired``, of objective kinds shown one at a time, without audio, or
    listening questions with their recording (:func:`listening_ready`)."""
    usable = [i for i in items if i.status == "retired" and i.kind in PRACTICE_KINDS
              and ((not i.testlet and not i.audio_texts()) or listening_ready(i))]
    target = LEVELS.index(level) if level in LEVELS else LEVELS.index("B1")
    return sorted(usable, key=lambda i: (i.skill != skill, abs(LEVELS.index(i.cefr) - target),
                                         i.id))
