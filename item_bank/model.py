"""Items as the domain sees them."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from assessment.cefr import CutScores
from assessment.pool import PoolItem

KINDS = ("multiple_choice", "yes_no", "cloze")
SKILLS = ("reading", "vocabulary", "structure")
STATUSES = ("draft", "reviewed", "live", "retired")
TOPICS = ("job_ads", "workplace", "shifts", "city_services", "housing", "health", "school",
          "employment_office", "shopping", "transport", "daily_life", "general")

# Initial discrimination by kind until calibration: open answers discriminate best,
# yes/no judgements least (Lord 1980 ch. 3; typical values in vocabulary tests).
_INITIAL_A = {"multiple_choice": 1.0, "cloze": 1.2, "yes_no": 0.8}


@dataclass(frozen=True)
class IRT:
    a: float
    b: float
    c: float = 0.0
    model: str = "3pl"
    thresholds: tuple[float, ...] = ()

    def as_dict(self) -> dict:
        d = {"a": self.a, "b": self.b, "c": self.c, "model": self.model}
        if self.thresholds:
            d["thresholds"] = list(self.thresholds)
        return d


def initial_irt(kind: str, cefr: str, n_choices: int, cuts: CutScores) -> IRT:
    """Parameters from the CEFR target until the item is calibrated: difficulty at the
    midpoint of the target level's band, guessing at the chance rate of the kind."""
    if kind == "multiple_choice":
        c = 1.0 / n_choices
    elif kind == "yes_no":
        c = 0.5
    else:
        c = 0.0
    return IRT(a=_INITIAL_A[kind], b=cuts.midpoint(cefr), c=c)


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    skill: str
    cefr: str
    topic: str
    content: dict[str, Any]
    key: Any
    irt: IRT
    accept: tuple[str, ...] = ()
    version: int = 1
    status: str = "live"
    testlet: str | None = None
    position: int = 0
    stimulus: dict[str, Any] | None = field(default=None, compare=False)

    def pool_item(self) -> PoolItem:
        return PoolItem(id=self.id, skill=self.skill, a=self.irt.a, b=self.irt.b, c=self.irt.c,
                        model=self.irt.model, thresholds=self.irt.thresholds, testlet=self.testlet)

    def content_hash(self) -> str:
        """Fingerprint of everything a candidate sees or is scored on (not status or IRT)."""
        payload = {"kind": self.kind, "skill": self.skill, "cefr": self.cefr, "topic": self.topic,
                   "content": self.content, "key": self.key, "accept": list(self.accept),
                   "testlet": self.testlet, "position": self.position, "stimulus": self.stimulus}
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()[:16]

    def public(self) -> dict[str, Any]:
        """What the job seeker's browser receives: no key, no IRT parameters."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "skill": self.skill}
        c = self.content
        if self.kind == "multiple_choice":
            if c.get("context"):
                out["context"] = c["context"]
            out["prompt"] = c["prompt"]
            out["choices"] = [{"id": k, "text": v} for k, v in c["choices"].items()]
        elif self.kind == "yes_no":
            out["word"] = c["word"]
            out["choices"] = [{"id": "yes"}, {"id": "no"}]
        elif self.kind == "cloze":
            before, _, after = c["text"].partition("___")
            out["text_before"], out["text_after"] = before, after
            if c.get("hint"):
                out["hint"] = c["hint"]
        if self.stimulus:
            out["stimulus"] = self.stimulus
        if self.testlet:
            out["testlet"] = self.testlet
        return out
