"""How far the writing scorer can be trusted, measured on held-out rated texts beside a
baseline in the same run (``benchmarks/writing_trust.py`` prints it; the tests recompute
it from the CSV files):

- agreement with the ratings (exact, adjacent, quadratic weighted kappa, Spearman) of the
  model and of a length-only baseline, on all held-out texts and on a length-balanced
  subset in which every level covers the same range of word counts;
- gaming: every held-out text repeated, padded with an unrelated paragraph, shuffled, and
  turned into a word list, against the original — how many score higher;
- the reliability of the confidence: bins of stated confidence against observed exact
  agreement, and the expected calibration error;
- whether each analytic sub-score says something the overall level does not.
"""
from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assessment.cefr import LEVELS

from .fit import agreement, read_rated
from .written import WritingScorer

CORPUS = Path(__file__).parent / "data" / "rated_texts"
BALANCED_RANGE = (60, 100)   # word counts every level of the balanced subset is cut to


def word_count(text: str) -> int:
    return len(text.split())


# -- the length-only baseline ---------------------------------------------------------------
@dataclass
class LengthBaseline:
    """The level from the word count alone: least squares of the level on log(words),
    fitted on the training texts."""

    slope: float
    intercept: float

    @classmethod
    def fit(cls, rows: list[dict]) -> "LengthBaseline":
        x = np.log1p([word_count(r["text"]) for r in rows])
        y = np.array([r["overall"] for r in rows])
        slope, intercept = np.polyfit(x, y, 1)
        return cls(float(slope), float(intercept))

    def score(self, text: str) -> float:
        return float(np.clip(self.intercept + self.slope * math.log1p(word_count(text)), 0, 5))


def balanced_subset(rows: list[dict], bounds: tuple[int, int] = BALANCED_RANGE) -> list[dict]:
    """The rows whose word count lies in one range that every level covers, so that no
    level is longer or shorter than another by construction (the medians per level are
    printed beside the figures)."""
    return [r for r in rows if bounds[0] <= word_count(r["text"]) <= bounds[1]]


# -- scoring a set of rows -------------------------------------------------------------------
def score_rows(scorer: WritingScorer, rows: list[dict], tasks: dict) -> list[dict]:
    out = []
    for row in rows:
        prompt, min_words = tasks.get(row["task_id"], ("", None))
        result = scorer.score(row["text"], prompt, min_words, task_id=row["task_id"])
        out.append({"row": row, "result": result})
    return out


def agreement_table(scored: list[dict], baseline: LengthBaseline) -> dict:
    """Model and baseline on all given rows and on their length-balanced subset."""
    table = {}
    balanced_ids = {r["text_id"] for r in balanced_subset([s["row"] for s in scored])}
    for part, keep in (("all", lambda s: True), ("balanced", lambda s: s["row"]["text_id"] in balanced_ids)):
        chosen = [s for s in scored if keep(s)]
        true = [LEVELS.index(s["row"]["cefr"]) for s in chosen]
        model_scores = [s["result"].score for s in chosen]
        model_levels = [LEVELS.index(s["result"].cefr) for s in chosen]
        base_scores = [baseline.score(s["row"]["text"]) for s in chosen]
        base_levels = [int(np.clip(round(b), 0, 5)) for b in base_scores]
        counts = [word_count(s["row"]["text"]) for s in chosen]
        medians = {lvl: float(np.median([word_count(s["row"]["text"]) for s in chosen if s["row"]["cefr"] == lvl]))
                   for lvl in LEVELS if any(s["row"]["cefr"] == lvl for s in chosen)}
        table[part] = {"model": agreement(true, model_levels, model_scores),
                       "baseline": agreement(true, base_levels, base_scores),
                       "words": {"min": min(counts), "max": max(counts), "median_per_level": medians} if counts else {},
                       "levels": {lvl: sum(1 for s in chosen if s["row"]["cefr"] == lvl)
                                  for lvl in LEVELS}}
    return table


# -- gaming ----------------------------------------------------------------------------------
def offtask_paragraphs(path: Path = CORPUS / "offtask_paragraphs.csv") -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [r["text"] for r in csv.DictReader(fh)]


def _sentences(text: str) -> list[str]:
    import re

    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def gaming_variants(text: str, paragraph: str, seed: int) -> dict[str, str]:
    """The ways an answer can be made longer or look richer without showing more."""
    sentences = _sentences(text)
    shuffled = sentences[:]
    random.Random(seed).shuffle(shuffled)
    words = [w.strip(".,!?;:()\"'") for w in text.split()]
    long_words = sorted({w for w in words if len(w) >= 7 and w.isalpha()}, key=str.casefold)
    return {
        "repeated_twice": text + "\n\n" + text,
        "repeated_three_times": "\n\n".join([text] * 3),
        "padded_unrelated": text + "\n\n" + paragraph,
        "shuffled_sentences": "\n".join(shuffled),
        "word_list": "\n".join(long_words or words),
    }


def gaming_table(scorer: WritingScorer, scored: list[dict], tasks: dict, paragraphs: list[str]) -> dict:
    """For each kind of gaming: how many texts scored a higher level (and a higher score)
    than the original, how many were flagged, and how many went to review."""
    table: dict[str, dict] = {}
    for i, s in enumerate(scored):
        row, before = s["row"], s["result"]
        prompt, min_words = tasks.get(row["task_id"], ("", None))
        for kind, text in gaming_variants(row["text"], paragraphs[i % len(paragraphs)], i).items():
            after = scorer.score(text, prompt, min_words, task_id=row["task_id"])
            t = table.setdefault(kind, {"n": 0, "higher_level": 0, "higher_score": 0, "flagged": 0,
                                        "examples": []})
            t["n"] += 1
            higher = LEVELS.index(after.cefr) > LEVELS.index(before.cefr)
            t["higher_level"] += higher
            t["higher_score"] += after.score > before.score + 0.05
            t["flagged"] += bool(after.flags) or after.recognised_as != "finnish_text"
            if higher and len(t["examples"]) < 3:
                t["examples"].append({"text_id": row["text_id"], "before": before.cefr, "after": after.cefr})
    return table


# -- reliability of the confidence ----------------------------------------------------------
def reliability_table(scored: list[dict], bins: int = 5) -> dict:
    """Stated confidence against observed exact agreement, per equal-width bin, and the
    expected calibration error (the bins' |confidence − accuracy| weighted by their size)."""
    conf = np.array([s["result"].confidence for s in scored])
    right = np.array([s["result"].cefr == s["row"]["cefr"] for s in scored], dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    rows, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf >= lo) & ((conf < hi) | (hi == 1.0))
        if not inside.any():
            rows.append({"bin": f"{lo:.1f}–{hi:.1f}", "n": 0})
            continue
        c, a = float(conf[inside].mean()), float(right[inside].mean())
        ece += inside.sum() / len(conf) * abs(c - a)
        rows.append({"bin": f"{lo:.1f}–{hi:.1f}", "n": int(inside.sum()),
                     "confidence": round(c, 3), "exact": round(a, 3)})
    return {"bins": rows, "ece": round(float(ece), 3), "n": len(conf)}


# -- analytic sub-scores ---------------------------------------------------------------------
def subscore_information(scored: list[dict]) -> dict:
    """For each analytic scale: the correlation between the predicted and the rated
    deviation of that scale from the overall level. A scale whose predicted deviation
    tracks the rated one tells the learner something the level does not."""
    out = {}
    for scale in ("task", "vocabulary", "accuracy", "coherence"):
        pred = np.array([s["result"].subscores[scale] - s["result"].score for s in scored])
        rated = np.array([s["row"][scale] - s["row"]["overall"] for s in scored])
        uneven = int(np.sum(rated != 0))
        r = float(np.corrcoef(pred, rated)[0, 1]) if pred.std() > 0 and rated.std() > 0 else 0.0
        out[scale] = {"r_deviation": round(r, 3), "texts_uneven": uneven, "n": len(scored)}
    return out


def load_corpus() -> tuple[list[dict], list[dict]]:
    return read_rated(CORPUS / "train.csv"), read_rated(CORPUS / "heldout.csv")
