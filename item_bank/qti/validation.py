"""Whether an item can be in the bank and in a package: its content against the schemas
of ``item_bank/schema.py``, its key, IRT parameters, stimulus and assets. Export checks
every item with it before writing, import every item it read."""
from __future__ import annotations

import math
from typing import Any

from marshmallow import ValidationError

from ..content import answer_key
from ..model import IRT, KINDS, SKILLS, STATUSES, TOPICS, Item
from ..schema import ID_RE, KIND_SKILLS, SCHEMAS, StimulusSchema
from .spec import _BAD_XML_CHARS, _MODELS, _RESERVED, _ROLE_RE, _SHA_RE

_schemas: dict[str, Any] = {}  # schema instances, made once (making one is slow)


def _schema(name: str):
    if name not in _schemas:
        _schemas[name] = StimulusSchema() if name == "stimulus" else SCHEMAS[name]()
    return _schemas[name]


def _strings(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k, f"{path} (key)")
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _item_problem(item: Item) -> str | None:
    """The first reason the item cannot be in the bank (and in a package), or None."""
    kind = item.kind
    if kind not in KINDS:
        return f"unknown kind {kind!r} (known kinds: {', '.join(KINDS)})"
    if not isinstance(item.id, str) or not ID_RE.fullmatch(item.id):
        return f"id {item.id!r}: ids use lowercase letters, digits and hyphens"
    if not isinstance(item.content, dict):
        return "content must be a mapping"
    clash = sorted(_RESERVED & set(item.content))
    if clash:
        return f"content: field {clash[0]!r} is reserved for the item itself"
    for where, value in [("content", item.content), ("key", item.key), ("accept", item.accept),
                         ("stimulus", item.stimulus)]:
        for path, s in _strings(value, where):
            if _BAD_XML_CHARS.search(s):
                return f"{path}: has a control character (or carriage return) XML cannot carry"
    if not isinstance(item.accept, tuple):
        return f"accept must be a tuple, got {type(item.accept).__name__}"
    raw: dict[str, Any] = {"id": item.id, "kind": kind, "skill": item.skill, "cefr": item.cefr,
                           "topic": item.topic, "status": item.status, **item.content}
    if kind in ("multiple_choice", "yes_no"):
        raw["key"] = item.key
    if kind in ("cloze", "sentence_building"):
        raw["accept"] = list(item.accept)
    elif item.accept:
        return f"accept: a {kind} item takes no accepted answers"
    try:
        _schema(kind).load(raw)
    except ValidationError as err:
        return f"content: {err.normalized_messages()}"
    if item.skill not in KIND_SKILLS[kind]:
        return f"skill {item.skill!r} does not fit kind {kind} (use one of {sorted(KIND_SKILLS[kind])})"
    if item.topic not in TOPICS:
        return f"topic {item.topic!r} is not one of {', '.join(TOPICS)}"
    if item.skill not in SKILLS:
        return f"skill {item.skill!r} is not one of {', '.join(SKILLS)}"
    if item.status not in STATUSES:
        return f"status {item.status!r} is not one of {', '.join(STATUSES)}"
    expected = answer_key(kind, {**item.content, "accept": list(item.accept), "key": item.key})
    if item.key != expected or type(item.key) is not type(expected):
        return f"key {item.key!r} does not follow from the content (expected {expected!r})"
    if isinstance(item.version, bool) or not isinstance(item.version, int) or item.version < 1:
        return f"version must be a whole number from 1 up, got {item.version!r}"
    if isinstance(item.position, bool) or not isinstance(item.position, int) or item.position < 0:
        return f"position must be a whole number from 0 up, got {item.position!r}"
    if item.testlet is not None and (not isinstance(item.testlet, str) or not ID_RE.fullmatch(item.testlet)):
        return f"testlet {item.testlet!r}: ids use lowercase letters, digits and hyphens"
    problem = _irt_problem(item.irt)
    if problem:
        return f"irt: {problem}"
    if item.stimulus is not None:
        if not isinstance(item.stimulus, dict):
            return "stimulus must be a mapping"
        try:
            _schema("stimulus").load(item.stimulus)
        except ValidationError as err:
            return f"stimulus: {err.normalized_messages()}"
    if not isinstance(item.assets, dict):
        return "assets must be a mapping of role to sha256"
    for role, sha in item.assets.items():
        if not isinstance(role, str) or not _ROLE_RE.fullmatch(role):
            return f"assets: role {role!r} must be lowercase letters, digits and _"
        if not isinstance(sha, str) or not _SHA_RE.fullmatch(sha):
            return f"assets: {role}: {sha!r} is not a sha256 in lowercase hex"
    return None


def _irt_problem(irt: Any) -> str | None:
    if not isinstance(irt, IRT):
        return "missing IRT parameters"
    for name in ("a", "b", "c"):
        v = getattr(irt, name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return f"{name} must be a finite number, got {v!r}"
    if irt.a <= 0:
        return f"a must be positive, got {irt.a!r}"
    if not 0 <= irt.c < 1:
        return f"c must be from 0 up to (not including) 1, got {irt.c!r}"
    if irt.model not in _MODELS:
        return f"model must be one of {', '.join(_MODELS)}, got {irt.model!r}"
    if not isinstance(irt.thresholds, tuple):
        return "thresholds must be a tuple"
    for t in irt.thresholds:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            return f"thresholds must be finite numbers, got {t!r}"
    if irt.model == "grm" and not irt.thresholds:
        return "a graded response model (grm) needs thresholds"
    if irt.model == "3pl" and irt.thresholds:
        return "a 3pl model takes no thresholds"
    return None
