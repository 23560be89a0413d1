"""Items as the domain sees them."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assessment.cefr import CutScores
from assessment.pool import PoolItem
from assessment.testlets import graded_approximation

KINDS = ("multiple_choice", "yes_no", "cloze", "dictation", "c_test", "sentence_building",
         "writing_task", "read_aloud", "speaking_prompt")
SKILLS = ("reading", "listening", "vocabulary", "structure", "writing", "speaking")
# kinds the adaptive test can score on submission; the others wait for their scorers
# (written answers: scoring/written.py, spoken answers: scoring/spoken.py)
OBJECTIVE_KINDS = ("multiple_choice", "yes_no", "cloze", "dictation", "c_test", "sentence_building")
POLYTOMOUS_KINDS = ("cloze", "dictation", "c_test", "writing_task", "read_aloud", "speaking_prompt")
# kinds whose content is heard: their text is synthesised into audio and never sent
AUDIO_KINDS = ("dictation",)
STATUSES = ("draft", "reviewed", "live", "retired")
TOPICS = ("job_ads", "workplace", "shifts", "city_services", "housing", "health", "school",
          "employment_office", "shopping", "transport", "daily_life", "general")

# Initial discrimination by kind until calibration: open answers discriminate best,
# yes/no judgements least (Lord 1980 ch. 3; typical values in vocabulary tests).
# For a C-test the value is each gap's discrimination (see initial_irt).
_INITIAL_A = {"multiple_choice": 1.0, "cloze": 1.2, "yes_no": 0.8, "sentence_building": 1.2,
              "dictation": 1.2, "c_test": 1.0, "writing_task": 1.5, "read_aloud": 1.2,
              "speaking_prompt": 1.5}
# A C-test's gaps: difficulties spread evenly over the target's midpoint ± 1.5, and a
# person-by-text effect of this SD (gaps of one text depend on each other: Eckes &
# Baghaei 2015, "Using testlet response theory to examine local dependence in C-tests").
CTEST_GAP_SPREAD = 1.5
CTEST_TESTLET_SD = 0.6


@dataclass(frozen=True)
class IRT:
    a: float
    b: float
    c: float = 0.0
    model: str = "3pl"
    thresholds: tuple[float, ...] = ()
    # how the values were estimated (`taitotaso calibrate`): when, from how many answers,
    # standard errors; None while they are initial values from the CEFR target
    calibrated: dict | None = field(default=None, compare=False)
    # provisional values moved by how far the calibrated items of the kind lay from their
    # CEFR targets (`taitotaso calibrate --apply`); 0 while they are the target's values
    provisional_shift: float = field(default=0.0, compare=False)
    # provisional values estimated from too few answers to calibrate, combined with their
    # kind's offset and spread (empirical Bayes, `taitotaso calibrate --apply`): n, SE, prior
    provisional_estimate: dict | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        d = {"a": self.a, "b": self.b, "c": self.c, "model": self.model}
        if self.thresholds:
            d["thresholds"] = list(self.thresholds)
        if self.calibrated:
            d["calibrated"] = self.calibrated
        if self.provisional_shift:
            d["provisional_shift"] = self.provisional_shift
        if self.provisional_estimate:
            d["provisional_estimate"] = self.provisional_estimate
        return d


def initial_irt(kind: str, cefr: str, n_choices: int, cuts: CutScores, max_score: int = 1) -> IRT:
    """Parameters from the CEFR target until the item is calibrated.

    Dichotomous kinds: difficulty at the midpoint of the target level's band, guessing at
    the chance rate of the kind. Polytomous kinds (graded response model): for writing and
    speaking, scores 0..5 stand for A1..C2, so the thresholds are the CEFR cut scores; a
    cloze item's full credit sits at the target's midpoint and its partial credit a logit
    lower; for dictation the thresholds spread evenly around the midpoint. A C-test's
    score is the number of gaps right: its graded parameters are fitted to the score
    distribution of gaps with 2PL parameters (a of the kind, difficulties spread around the
    midpoint) under a testlet effect (:func:`assessment.testlets.graded_approximation`),
    so the text carries the information its gaps do, less their dependence.
    """
    a = _INITIAL_A[kind]
    if kind in ("writing_task", "read_aloud", "speaking_prompt"):
        return IRT(a=a, b=cuts.midpoint(cefr), model="grm", thresholds=tuple(cuts.cuts))
    if kind == "cloze":  # 2: the right form, 1: the right word in a wrong form or misspelt
        mid = cuts.midpoint(cefr)
        return IRT(a=a, b=mid, model="grm", thresholds=(mid - 1.0, mid))
    if kind == "c_test" and max_score > 1:
        mid = cuts.midpoint(cefr)
        b = mid + np.linspace(-CTEST_GAP_SPREAD, CTEST_GAP_SPREAD, max_score)
        slope, thresholds = graded_approximation(np.full(max_score, a), b, np.zeros(max_score),
                                                 CTEST_TESTLET_SD)
        return IRT(a=slope, b=mid, model="grm", thresholds=thresholds)
    if kind in POLYTOMOUS_KINDS:
        mid = cuts.midpoint(cefr)
        spread = np.linspace(-1.5, 1.5, max_score) if max_score > 1 else np.zeros(1)
        return IRT(a=a, b=mid, model="grm", thresholds=tuple(float(mid + d) for d in spread))
    if kind == "multiple_choice":
        c = 1.0 / n_choices
    elif kind == "yes_no":
        c = 0.5
    else:
        c = 0.0
    return IRT(a=a, b=cuts.midpoint(cefr), c=c)


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
    # media made from the content (e.g. synthesised audio): role -> sha256 of the asset
    assets: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def max_score(self) -> int:
        return len(self.irt.thresholds) if self.irt.model == "grm" else 1

    @property
    def objective(self) -> bool:
        """Scored on submission by the testing service."""
        return self.kind in OBJECTIVE_KINDS

    def pool_item(self) -> PoolItem:
        return PoolItem(id=self.id, skill=self.skill, a=self.irt.a, b=self.irt.b, c=self.irt.c,
                        model=self.irt.model, thresholds=self.irt.thresholds, testlet=self.testlet,
                        kind=self.kind)

    def content_hash(self) -> str:
        """Fingerprint of everything a candidate sees or is scored on (not status or IRT)."""
        payload = {"kind": self.kind, "skill": self.skill, "cefr": self.cefr, "topic": self.topic,
                   "content": self.content, "key": self.key, "accept": list(self.accept),
                   "testlet": self.testlet, "position": self.position, "stimulus": self.stimulus}
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()[:16]

    def public(self) -> dict[str, Any]:
        """What the job seeker's browser receives: no key, no IRT parameters, and for
        listening no text of what is heard (only the audio's address)."""
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
        elif self.kind == "dictation":
            out["audio"] = asset_url(self.assets.get("audio"))
        elif self.kind == "c_test":
            from .ctest import Gap, damage

            parts, n = [], 0
            for p in damage(c["text"]):
                if isinstance(p, Gap):
                    parts.append({"gap": n, "prefix": p.prefix, "length": len(p.missing)})
                    n += 1
                else:
                    parts.append({"text": p})
            out["parts"] = parts
        elif self.kind == "sentence_building":
            out["words"] = list(c["words"])
        elif self.kind in ("writing_task", "speaking_prompt"):
            out["prompt"] = c["prompt"]
            for k in ("task_type", "min_words", "max_words", "prep_seconds", "max_seconds"):
                if k in c:
                    out[k] = c[k]
        elif self.kind == "read_aloud":
            out["text"] = c["text"]
        if self.stimulus:
            stim = {k: v for k, v in self.stimulus.items() if k != "audio_text"}
            if "audio_text" in self.stimulus:
                stim["audio"] = asset_url(self.assets.get("stimulus_audio"))
            out["stimulus"] = stim
        if self.testlet:
            out["testlet"] = self.testlet
        if self.max_score > 1:
            out["max_score"] = self.max_score
        return out

    def audio_texts(self) -> dict[str, str]:
        """Texts to synthesise, by asset role."""
        texts = {}
        if self.kind == "dictation":
            texts["audio"] = self.content["audio_text"]
        if self.stimulus and self.stimulus.get("audio_text"):
            texts["stimulus_audio"] = self.stimulus["audio_text"]
        return texts


def asset_url(sha256: str | None) -> str | None:
    return f"/api/v1/assets/{sha256}" if sha256 else None
