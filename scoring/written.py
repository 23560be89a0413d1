"""Scoring open written answers to a CEFR level, with analytic sub-scores, a confidence
and feedback a learner can use.

The level is read from what the text shows, not from how much of it there is:

1. The learner's own, on-task text is found first (``evidence.py``): repeated material
   counts once, text copied from the test (the prompt, the bank's reading texts) and
   passages about something else are set aside, and a word list is recognised as not
   writing. Each is flagged, named to the learner, lowers the confidence, and sends the
   answer to a coach when it changed the level.
2. Features that do not grow with length (rates, shares, HD-D diversity, word and
   sentence length; ``features.py``) enter a sign-constrained ridge regression onto the
   numeric level 0..5 (A1..C2). Length enters only as the shortfall below what the task
   asks, so more words never raise a level on their own; a text too short to show a level
   is held below it (``EVIDENCE_CEILING``).
3. Each analytic scale is the level plus a deviation fitted on that scale's features; a
   scale whose deviation did not follow the ratings out of fold is merged into the level.
4. The confidence is the probability that the true level lies in the band given, with an
   error spread that grows as the own text gets shorter, fitted so that stated confidence
   matches observed agreement (out of fold on the training texts).

Its parameters live in ``scoring/data/writing_model.json``; ``taitotaso fit writing-model
CSV`` refits them. Answers that are not Finnish writing (empty, another language, a copied
prompt, off-task, a word list) get the lowest level with a note saying why.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from assessment.cefr import LEVELS

from .evidence import Evidence, TaskVocabulary, TestMaterial, gather, topical_lemmas
from .features import TextFeatures, extract
from .ports import Analyzer, FrequencyList, LanguageIdentifier

SCALES = ("overall", "task", "vocabulary", "accuracy", "coherence")
SUBSCORES = SCALES[1:]
MAX_WORDS = 5000


def feature_vector(f: TextFeatures, min_words: int | None = None) -> dict[str, float]:
    """The model's inputs, named. Every input is a rate, a share or a variety measure that
    does not grow with the length of the text; length enters only as the shortfall below
    what the task asks (0 at or above it), so more words never raise a level on their own.
    ``f`` describes the learner's own text (repeated, copied and off-task material left out)."""
    n = max(f.n_words, 1)
    sentences = max(f.clause_sentences, 1)
    return {
        "shortfall": max(0.0, 1.0 - f.n_words / min_words) if min_words else 0.0,
        "sentence_words": min(f.mean_sentence_words, 25.0),
        "word_length": min(f.mean_word_length, 14.0),
        "misspelt": f.misspelt_share,
        "colloquial": f.colloquial / n,
        "diversity": f.hdd,
        "rare_words": f.freq_profile.get("k3", 0.0) + f.freq_profile.get("rare", 0.0),
        "non_nominative": f.non_nominative_share,
        "rich_cases": f.rich_case_share,
        "verb_forms": f.advanced_verb_share,
        "subordination": min((f.subordinators + f.relatives) / sentences, 2.0),
        "discourse": min(f.discourse_markers / sentences, 1.5),
        "compounds": f.compounds_share,
        "prompt_coverage": f.prompt_coverage,
    }


FEATURES = ("shortfall", "sentence_words", "word_length", "misspelt", "colloquial", "diversity",
            "rare_words", "non_nominative", "rich_cases", "verb_forms", "subordination",
            "discourse", "compounds", "prompt_coverage")
NEGATIVE = ("shortfall", "misspelt", "colloquial")
# the direction each input may push a level: the fit keeps to it (sign-constrained), so
# the model is monotone by construction — more errors never raise a level
SIGNS = {f: (-1.0 if f in NEGATIVE else 1.0) for f in FEATURES}
# the overall level: everything the language shows (how well the prompt is covered is the
# task sub-score's business, not the level's)
OVERALL_FEATURES = tuple(f for f in FEATURES if f != "prompt_coverage")
# each analytic scale is the overall level plus a deviation from it, fitted on the
# features that scale is about: a sub-score differs from the level only where the text
# shows that scale to be stronger or weaker than the rest
SCALE_FEATURES = {
    "overall": OVERALL_FEATURES,
    "task": ("shortfall", "prompt_coverage"),
    "vocabulary": ("diversity", "rare_words", "compounds", "word_length", "colloquial"),
    "accuracy": ("misspelt", "non_nominative", "rich_cases", "colloquial"),
    "coherence": ("subordination", "discourse", "sentence_words"),
}
# a text this short cannot show more than this level, however good its sentences:
# (fewer own words than, highest numeric level)
EVIDENCE_CEILING = ((8, 0.49), (15, 1.49), (25, 2.49), (35, 3.49))
# the share of the answer that was set aside (repeated, copied, off-task) above which the
# answer as a whole is recognised as such rather than scored on its remainder
SET_ASIDE_WHOLE = 0.6
TOO_SHORT = 0.3   # shortfall (share of the task's minimum missing) named to the learner


def evidence_ceiling(own_words: int) -> float:
    for below, ceiling in EVIDENCE_CEILING:
        if own_words < below:
            return ceiling
    return 5.0


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
    # the spread of the level's error as a function of the own words n:
    # sd(n) = sd * sqrt(1 + words / n), fitted on out-of-fold errors of the training texts
    confidence: dict = field(default_factory=lambda: {"sd": 0.6, "words": 20.0})
    # words that answers to each task of the bank use (from the training texts), for
    # telling on-task text from off-task text beside the prompt's own words
    task_vocabulary: dict = field(default_factory=dict)
    # analytic scales that carried no information of their own on held-out texts and are
    # reported as part of another (scale -> the scale it is merged into)
    merged: dict = field(default_factory=dict)

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

    def _linear(self, x: dict[str, float], scale: str) -> float:
        w = self.weights[scale]
        return self.intercept[scale] + sum(w[k] * (x[k] - self.mean[k]) / self.scale[k] for k in w)

    def predict(self, x: dict[str, float], scale: str = "overall") -> float:
        """The overall level, or an analytic scale as the overall level plus that scale's
        deviation from it."""
        value = self._linear(x, "overall")
        if scale != "overall":
            value += self._linear(x, scale)
        return float(np.clip(value, 0.0, 5.0))

    def error_sd(self, own_words: int) -> float:
        c = self.confidence
        return float(c["sd"] * math.sqrt(1.0 + c["words"] / max(own_words, 1)))


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
    recognised_as: str  # finnish_text | empty | not_finnish | copy_of_prompt | off_task | word_list
    features: dict
    model_version: str
    flags: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    # the level the text would have had if nothing had been set aside: when the checks
    # changed it, a person should look
    unchecked_cefr: str | None = None
    merged_subscores: dict = field(default_factory=dict)

    @property
    def checks_changed_level(self) -> bool:
        return self.unchecked_cefr is not None and self.unchecked_cefr != self.cefr

    def as_dict(self) -> dict:
        return {"cefr": self.cefr, "score": round(self.score, 2),
                "subscores": {k: round(v, 2) for k, v in self.subscores.items()},
                "confidence": round(self.confidence, 3), "feedback": self.feedback,
                "recognised_as": self.recognised_as, "model_version": self.model_version,
                "flags": list(self.flags), "evidence": self.evidence,
                "unchecked_cefr": self.unchecked_cefr,
                "checks_changed_level": self.checks_changed_level,
                "merged_subscores": dict(self.merged_subscores),
                "features": self.features}


class WritingScorer:
    """Scores the learner's own, on-task text (see ``evidence.py``) with the level model.

    ``material`` holds the Finnish texts the test shows (reading texts, prompts): an
    answer that reproduces them is not scored as the learner's writing."""

    def __init__(self, analyzer: Analyzer, frequencies: FrequencyList,
                 languages: LanguageIdentifier | None, model: LevelModel | None = None,
                 material: TestMaterial | None = None):
        self.analyzer = analyzer
        self.frequencies = frequencies
        self.languages = languages
        self.model = model or LevelModel.load()
        self.material = material
        self._vocabularies: dict[tuple, TaskVocabulary] = {}

    def vocabulary(self, prompt: str, task_id: str | None) -> TaskVocabulary:
        key = (prompt, task_id)
        if key not in self._vocabularies:
            words = set(topical_lemmas(prompt, self.analyzer, self.frequencies)) if prompt else set()
            words |= set(self.model.task_vocabulary.get(task_id or "", ()))
            if len(self._vocabularies) > 1000:
                self._vocabularies.clear()
            self._vocabularies[key] = TaskVocabulary(words)
        return self._vocabularies[key]

    def gather(self, text: str, prompt: str = "", task_id: str | None = None) -> Evidence:
        return gather(text, self.analyzer, self.frequencies, prompt=prompt, material=self.material,
                      vocabulary=self.vocabulary(prompt, task_id))

    def score(self, text: str, prompt: str = "", min_words: int | None = None,
              task_id: str | None = None) -> WritingScore:
        result = self._score(text, prompt, min_words, task_id)
        # sub-scores that carried no information of their own on held-out texts are the
        # level itself: the result says so, so that no page shows them as separate findings
        result.merged_subscores = dict(self.model.merged)
        return result

    def _score(self, text: str, prompt: str, min_words: int | None, task_id: str | None) -> WritingScore:
        ev = self.gather(text, prompt, task_id)
        whole = extract(text, prompt, self.analyzer, self.frequencies, self.languages)
        special = self._recognise(whole, ev)
        flags = list(ev.flags)
        if special == "not_finnish":
            flags.append("not_finnish")
        elif special == "copy_of_prompt" and "copied" not in flags:
            flags.append("copied")
        if special in ("empty", "not_finnish", "copy_of_prompt"):
            return WritingScore("A1", 0.0, {k: 0.0 for k in SUBSCORES}, 0.95,
                                [{"code": special}], special, _summary(whole, feature_vector(whole, min_words)),
                                self.model.version, flags=flags, evidence=ev.as_dict())
        # the level is always read from the own text, rebuilt from its sentences, so that an
        # answer and the same answer pasted twice are measured on the very same text
        own = extract(ev.own_text(), prompt, self.analyzer, self.frequencies, None)
        x = feature_vector(own, min_words)
        if x["shortfall"] > TOO_SHORT:
            flags.append("too_short")
        unchecked = self._level(feature_vector(whole, min_words), whole.n_words)
        if special in ("off_task", "word_list"):
            # not writing that answers the task: the lowest level, and a person looks at it
            return WritingScore("A1", 0.0, {k: 0.0 for k in SUBSCORES}, 0.5,
                                [{"code": special}, *_set_aside_feedback(ev)], special,
                                _summary(own, x), self.model.version, flags=flags,
                                evidence=ev.as_dict(), unchecked_cefr=level_of(unchecked))
        overall = self._level(x, own.n_words)
        subs = {k: min(self.model.predict(x, k), evidence_ceiling(own.n_words) + 0.5)
                for k in SUBSCORES}
        for scale, into in self.model.merged.items():
            subs[scale] = overall if into == "overall" else subs[into]
        confidence = band_probability(overall, self.model.error_sd(own.n_words))
        # material set aside leaves less evidence and says something about how the
        # answer was made: the confidence falls with its share
        confidence *= 1.0 - 0.5 * (1.0 - ev.n_own_words / max(ev.n_words, 1))
        notes = feedback(own, x) + _set_aside_feedback(ev)
        return WritingScore(level_of(overall), overall, subs, confidence, notes, "finnish_text",
                            _summary(own, x), self.model.version, flags=flags,
                            evidence=ev.as_dict(),
                            unchecked_cefr=level_of(unchecked) if ev.flags else None)

    def _level(self, x: dict[str, float], own_words: int) -> float:
        return min(self.model.predict(x), evidence_ceiling(own_words))

    @staticmethod
    def _recognise(f: TextFeatures, ev: Evidence | None = None) -> str | None:
        if f.n_words == 0:
            return "empty"
        if f.n_words >= 3 and f.finnish_share < 0.5:
            return "not_finnish"
        if f.copied_share >= 0.6 or (ev is not None and ev.share("copied") >= SET_ASIDE_WHOLE):
            return "copy_of_prompt"
        if ev is not None and ev.share("off_task") >= SET_ASIDE_WHOLE:
            return "off_task"
        if ev is not None and ev.word_list:
            return "word_list"
        return None


def _set_aside_feedback(ev: Evidence) -> list[dict]:
    """What was not counted, and why, for the learner."""
    out = []
    for status, code in (("repeated", "repetition"), ("copied", "copied"), ("off_task", "off_task_part")):
        share = ev.share(status)
        if share > 0:
            out.append({"code": code, "share": round(share, 2)})
    return out


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
    if x["shortfall"] > TOO_SHORT:
        out.append({"code": "too_short"})
    if f.prompt_coverage < 0.2 and f.n_words >= 10:
        out.append({"code": "off_topic"})
    if f.words_used_well:
        out.append({"code": "words_used_well", "words": f.words_used_well})
    return out


def _summary(f: TextFeatures, x: dict[str, float]) -> dict:
    return {"n_words": f.n_words, "n_sentences": f.n_sentences, "language": f.language,
            "misspelt_share": round(f.misspelt_share, 3),
            **{k: round(v, 3) for k, v in x.items()}}
