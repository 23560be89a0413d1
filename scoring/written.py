"""Scoring open written answers to a CEFR level, with analytic sub-scores, a confidence
and feedback a learner can use.

The level model is transparent and versioned: standardised text features (see
``features.py``) enter one ridge regression per scale (overall, task, vocabulary,
accuracy, coherence) onto the numeric level 0..5 (A1..C2). Its parameters live in
``scoring/data/writing_model.json``; ``taitotaso fit writing-model CSV`` refits them.
The confidence is the probability, under the model's held-in residual spread, that the
true level lies in the band of the given one.

Answers that are not Finnish writing are recognised before the model: an empty answer,
one in another language, and one that copies the prompt get the lowest level with a
note saying why, never a score as if they were Finnish text.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from assessment.cefr import LEVELS

from .features import TextFeatures, extract
from .ports import Analyzer, FrequencyList, LanguageIdentifier

SCALES = ("overall", "task", "vocabulary", "accuracy", "coherence")
SUBSCORES = SCALES[1:]
MAX_WORDS = 5000


def feature_vector(f: TextFeatures, min_words: int | None = None) -> dict[str, float]:
    """The model's inputs, named. Structures enter as log counts (a longer text can only
    show more of them) and quality as shares, so that cutting a text or spoiling its
    forms never adds to any input that the model rewards."""
    length_ratio = f.n_words / min_words if min_words else 1.0
    return {
        "log_words": math.log1p(f.n_words),
        "length_ratio": min(length_ratio, 1.5),
        "sentence_words": min(f.mean_sentence_words, 25.0),
        "misspelt": f.misspelt_share,
        "colloquial": f.colloquial / max(f.n_words, 1),
        "mtld": min(f.mtld, float(f.n_words), 150.0),
        "rare_words": (f.freq_profile.get("k3", 0.0) + f.freq_profile.get("rare", 0.0))
                      * min(1.0, f.n_words / 40),
        "case_variety": math.log1p(f.case_variety),
        "non_nominative": f.non_nominative_share,
        "verb_forms": math.log1p(f.verb_forms),
        "subordination": math.log1p(f.subordinators + f.relatives),
        "discourse": math.log1p(f.discourse_markers),
        "participles_passives": math.log1p(f.participles + f.passives),
        "compounds": math.log1p(f.compounds_share * f.n_words),
        "prompt_coverage": f.prompt_coverage,
    }


FEATURES = ("log_words", "length_ratio", "sentence_words", "misspelt", "colloquial", "mtld",
            "rare_words", "case_variety", "non_nominative", "verb_forms", "subordination",
            "discourse", "participles_passives", "compounds", "prompt_coverage")
# the direction each input may push a level: the fit keeps to it (sign-constrained), so
# the model is monotone by construction — more errors never raise a level
SIGNS = {f: (-1.0 if f in ("misspelt", "colloquial") else 1.0) for f in FEATURES}
# the features each analytic scale may use (the overall level uses them all)
SCALE_FEATURES = {
    "overall": FEATURES,
    "task": ("log_words", "length_ratio", "prompt_coverage", "sentence_words", "discourse"),
    "vocabulary": ("mtld", "rare_words", "compounds", "log_words", "colloquial", "misspelt"),
    "accuracy": ("misspelt", "colloquial", "non_nominative", "case_variety", "verb_forms"),
    "coherence": ("subordination", "discourse", "sentence_words", "log_words", "participles_passives"),
}


@dataclass
class LevelModel:
    version: str
    trained_on: str
    mean: dict[str, float]
    scale: dict[str, float]
    weights: dict[str, dict[str, float]]   # scale -> feature -> weight
    intercept: dict[str, float]
    residual_sd: dict[str, float]
    agreement: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "LevelModel":
        if path is None:
            text = resources.files("scoring").joinpath("data", "writing_model.json").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return cls(**json.loads(text))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.__dict__, indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")

    def predict(self, x: dict[str, float], scale: str = "overall") -> float:
        w = self.weights[scale]
        z = sum(w[k] * (x[k] - self.mean[k]) / self.scale[k] for k in w)
        return float(np.clip(self.intercept[scale] + z, 0.0, 5.0))


def level_of(score: float) -> str:
    return LEVELS[int(np.clip(round(score), 0, 5))]


def band_probability(score: float, sd: float) -> float:
    """P(true level = the level of ``score``) when the true score ~ N(score, sd)."""
    k = int(np.clip(round(score), 0, 5))
    lo = -math.inf if k == 0 else k - 0.5
    hi = math.inf if k == 5 else k + 0.5
    cdf = lambda v: 0.5 * (1 + math.erf((v - score) / (sd * math.sqrt(2))))  # noqa: E731
    return (1.0 if hi == math.inf else cdf(hi)) - (0.0 if lo == -math.inf else cdf(lo))


@dataclass
class WritingScore:
    cefr: str
    score: float
    subscores: dict[str, float]
    confidence: float
    feedback: list[dict]
    recognised_as: str  # finnish_text | empty | not_finnish | copy_of_prompt
    features: dict
    model_version: str

    def as_dict(self) -> dict:
        return {"cefr": self.cefr, "score": round(self.score, 2),
                "subscores": {k: round(v, 2) for k, v in self.subscores.items()},
                "confidence": round(self.confidence, 3), "feedback": self.feedback,
                "recognised_as": self.recognised_as, "model_version": self.model_version,
                "features": self.features}


class WritingScorer:
    def __init__(self, analyzer: Analyzer, frequencies: FrequencyList,
                 languages: LanguageIdentifier | None, model: LevelModel | None = None):
        self.analyzer = analyzer
        self.frequencies = frequencies
        self.languages = languages
        self.model = model or LevelModel.load()

    def score(self, text: str, prompt: str = "", min_words: int | None = None) -> WritingScore:
        f = extract(text, prompt, self.analyzer, self.frequencies, self.languages)
        x = feature_vector(f, min_words)
        special = self._recognise(f)
        if special:
            return WritingScore("A1", 0.0, {k: 0.0 for k in SUBSCORES}, 0.95,
                                [{"code": special}], special, _summary(f, x),
                                self.model.version)
        overall = self.model.predict(x)
        subs = {k: self.model.predict(x, k) for k in SUBSCORES}
        confidence = band_probability(overall, self.model.residual_sd["overall"])
        return WritingScore(level_of(overall), overall, subs, confidence, feedback(f, x),
                            "finnish_text", _summary(f, x), self.model.version)

    @staticmethod
    def _recognise(f: TextFeatures) -> str | None:
        if f.n_words == 0:
            return "empty"
        if f.n_words >= 3 and f.finnish_share < 0.5:
            return "not_finnish"
        if f.copied_share >= 0.6:
            return "copy_of_prompt"
        return None


def feedback(f: TextFeatures, x: dict[str, float]) -> list[dict]:
    """What the learner can act on, as message codes with details (the services put them
    in the learner's interface language)."""
    out: list[dict] = []
    if f.misspellings:
        out.append({"code": "misspelt_words", "words": [
            {"word": m.word, "suggestions": m.suggestions[:3]} for m in f.misspellings[:10]]})
    if f.colloquial:
        out.append({"code": "colloquial_forms"})
    if f.n_sentences >= 3 and f.subordinators + f.relatives == 0:
        out.append({"code": "sentence_variety_low"})
    elif f.subordinators + f.relatives >= 2:
        out.append({"code": "sentence_variety_good"})
    if x["length_ratio"] < 0.7:
        out.append({"code": "too_short"})
    if f.prompt_coverage < 0.2 and f.n_words >= 10:
        out.append({"code": "off_topic"})
    if f.words_used_well:
        out.append({"code": "words_used_well", "words": f.words_used_well})
    return out


def _summary(f: TextFeatures, x: dict[str, float]) -> dict:
    return {"n_words": f.n_words, "n_sentences": f.n_sentences, "language": f.language,
            "misspelt_share": round(f.misspelt_share, 3), "mtld": round(f.mtld, 1),
            **{k: round(v, 3) for k, v in x.items()}}
