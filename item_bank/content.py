"""Reading the item content files under ``item_bank/content/``."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import yaml
from marshmallow import ValidationError

from assessment.cefr import CutScores

from .model import IRT, Item, initial_irt
from .ctest import gaps as ctest_gaps
from .schema import KIND_SKILLS, SCHEMAS, ContentError, ContentFileSchema, TestletSchema

CONTENT_DIR = Path(__file__).resolve().parent / "content"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


def _fail(path: Path, where: str, err: ValidationError | str) -> ContentError:
    detail = err.normalized_messages() if isinstance(err, ValidationError) else err
    return ContentError(f"{path.name}: {where}: {detail}")


class _RuleError(ValidationError):
    """A rule beyond the kind's schema; content-file errors keep its plain message."""

    def __init__(self, message: str, field: str):
        super().__init__(message, field)
        self.plain = message


def item_from_dict(raw: dict, cuts: CutScores, defaults: dict | None = None, testlet=None,
                   position=0, stimulus=None) -> Item:
    """An :class:`Item` from one item as written in a content file (``defaults`` fill in
    what a testlet gives its questions), validated by its kind's schema. Raises
    marshmallow's ``ValidationError`` whose messages name the fields."""
    merged = {**(defaults or {}), **raw}
    kind = merged.get("kind")
    schema = SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise _RuleError(f"kind must be one of {sorted(SCHEMAS)}, got {kind!r}", "kind")
    data = schema().load(merged)
    for required in ("skill", "topic"):
        if required not in data:
            raise _RuleError(f"{required} is missing", required)
    if data["skill"] not in KIND_SKILLS[kind]:
        raise _RuleError(f"skill {data['skill']!r} does not fit kind {kind} "
                         f"(use one of {sorted(KIND_SKILLS[kind])})", "skill")
    n_choices = len(data.get("choices", {})) or 2
    max_score = {"dictation": 2, "cloze": 2}.get(kind, 1)
    if kind == "c_test":
        max_score = len(ctest_gaps(data["text"]))
    irt = IRT(**data["irt"]) if "irt" in data else initial_irt(kind, data["cefr"], n_choices, cuts,
                                                                max_score)
    content = {k: v for k, v in data.items()
               if k not in ("id", "kind", "skill", "cefr", "topic", "irt", "status", "key", "accept")}
    key = answer_key(kind, data)
    return Item(id=data["id"], kind=kind, skill=data["skill"], cefr=data["cefr"],
                topic=data["topic"], content=content, key=key, irt=irt,
                accept=tuple(data.get("accept", ())), testlet=testlet, position=position,
                stimulus=stimulus, status=data["status"])


def _item(raw: dict, path: Path, cuts: CutScores, defaults: dict, testlet=None, position=0,
          stimulus=None) -> Item:
    where = f"item {({**defaults, **raw}).get('id', '?')}"
    try:
        return item_from_dict(raw, cuts, defaults, testlet=testlet, position=position,
                              stimulus=stimulus)
    except _RuleError as err:
        raise _fail(path, where, err.plain) from None
    except ValidationError as err:
        raise _fail(path, where, err) from None


def initial_irt_of(item: Item, cuts: CutScores) -> IRT:
    """The IRT parameters ``item`` would get from its CEFR target (before calibration)."""
    n_choices = len(item.content.get("choices", {})) or 2
    max_score = {"dictation": 2}.get(item.kind, 1)
    if item.kind == "c_test":
        max_score = len(ctest_gaps(item.content["text"]))
    return initial_irt(item.kind, item.cefr, n_choices, cuts, max_score)


def item_to_dict(item: Item, cuts: CutScores | None = None, with_testlet: bool = True) -> dict:
    """The item as written in a content file (the inverse of :func:`item_from_dict`), fields
    in the order of its kind's schema. ``irt`` appears only for calibrated parameters that
    a content file can hold; ``status`` is left out. With ``with_testlet``, a testlet
    question also carries ``testlet``, ``position`` and ``stimulus``."""
    cuts = cuts or CutScores.load()
    meta = {"id": item.id, "kind": item.kind, "skill": item.skill, "cefr": item.cefr,
            "topic": item.topic}
    out: dict = {}
    for name in SCHEMAS[item.kind]().fields:
        if name in meta:
            out[name] = meta[name]
        elif name == "irt":
            if item.irt.model == "3pl" and item.irt != initial_irt_of(item, cuts):
                out["irt"] = {"a": item.irt.a, "b": item.irt.b, "c": item.irt.c}
        elif name == "key":
            out["key"] = item.key
        elif name == "accept":
            out["accept"] = list(item.accept)
        elif name in item.content:
            out[name] = item.content[name]
    if "irt" in out:  # content files write it last
        out["irt"] = out.pop("irt")
    if with_testlet and item.testlet:
        out["testlet"] = item.testlet
        out["position"] = item.position
        if item.stimulus:
            out["stimulus"] = dict(item.stimulus)
    return out


def answer_key(kind: str, data: dict):
    """The right answer in the shape the responses endpoint takes (None for open tasks)."""
    if kind in ("cloze", "sentence_building"):
        return data["accept"][0]
    if kind == "dictation":
        return data["audio_text"]
    if kind == "c_test":
        return [g.missing for g in ctest_gaps(data["text"])]
    return data.get("key")


def load_file(path: Path, cuts: CutScores) -> list[Item]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ContentError(f"{path.name}: not valid YAML: {err}") from None
    try:
        doc = ContentFileSchema().load(raw)
    except ValidationError as err:
        raise _fail(path, "top level", err) from None
    items: list[Item] = []
    for t in doc["testlets"]:
        try:
            tdata = TestletSchema().load(t)
        except ValidationError as err:
            raise _fail(path, f"testlet {t.get('id', '?')}", err) from None
        stimulus = {k: v for k, v in tdata["stimulus"].items()}
        defaults = {"skill": tdata["skill"], "topic": tdata["topic"]}
        for pos, raw_item in enumerate(tdata["items"]):
            items.append(_item(raw_item, path, cuts, defaults, testlet=tdata["id"],
                               position=pos, stimulus=stimulus))
    for raw_item in doc["items"]:
        items.append(_item(raw_item, path, cuts, {}))
    return items


def load_content(directory: Path = CONTENT_DIR, cuts: CutScores | None = None) -> list[Item]:
    """All items of all content files, validated; ids unique across files."""
    cuts = cuts or CutScores.load()
    items: list[Item] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for item in load_file(path, cuts):
            if item.id in seen:
                raise ContentError(f"{path.name}: item {item.id}: id already used in {seen[item.id]}")
            seen[item.id] = path.name
            items.append(item)
    return items


def allowed_names(directory: Path = CONTENT_DIR) -> set[str]:
    path = Path(directory) / "allowed_names.txt"
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def finnish_texts(item: Item) -> Iterable[str]:
    """Every Finnish string of an item, for spell checking (gaps filled with each answer)."""
    c = item.content
    if item.stimulus:
        yield from (v for v in item.stimulus.values() if v)
    if item.kind == "multiple_choice":
        if c.get("context"):
            yield c["context"].replace("**", "")
        yield c["prompt"].replace("___", " ")
        yield from c["choices"].values()
    elif item.kind == "yes_no":
        if item.key == "yes":
            yield c["word"]
    elif item.kind == "cloze":
        for answer in item.accept:
            yield c["text"].replace("___", answer)
        if c.get("hint"):
            yield c["hint"]
    elif item.kind == "dictation":
        yield c["audio_text"]
    elif item.kind in ("c_test", "read_aloud"):
        yield c["text"]
    elif item.kind == "sentence_building":
        yield from item.accept
    elif item.kind in ("writing_task", "speaking_prompt"):
        yield c["prompt"]


def writing_tasks(directory: Path = CONTENT_DIR) -> dict[str, tuple[str, int | None]]:
    """Writing tasks of the content: id -> (prompt, min_words), for the writing scorer."""
    return {i.id: (i.content["prompt"], i.content.get("min_words"))
            for i in load_content(directory) if i.kind == "writing_task"}


def speaking_tasks(directory: Path = CONTENT_DIR) -> dict[str, dict]:
    """Speaking items of the content: id -> {task, text, cefr, max_seconds}, for the speech
    scorer (read-aloud: the text to read; open speaking: the prompt)."""
    out = {}
    for i in load_content(directory):
        if i.kind == "read_aloud":
            out[i.id] = {"task": "read_aloud", "text": i.content["text"], "cefr": i.cefr,
                         "max_seconds": None}
        elif i.kind == "speaking_prompt":
            out[i.id] = {"task": "open_speaking", "text": i.content["prompt"], "cefr": i.cefr,
                         "max_seconds": i.content.get("max_seconds")}
    return out
