"""Fitting and evaluating the writing level model on rated texts (CSV).

The CSV has ``text_id, task_id, cefr, task, vocabulary, accuracy, coherence, text``;
``cefr`` is A1..C2 and the analytic ratings are 0..5. Texts the scorer recognises as not
Finnish writing (empty, another language, a copied prompt) are left out of the fit,
since the model never sees them, but stay in the evaluation.
"""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np

from assessment.cefr import LEVELS

from .features import extract
from .written import (FEATURES, SCALE_FEATURES, SCALES, SIGNS, LevelModel, WritingScorer,
                      band_probability, evidence_ceiling, feature_vector, level_of)

COLUMNS = ("text_id", "task_id", "cefr", "task", "vocabulary", "accuracy", "coherence", "text")


# inputs every level model must count, whatever the ratings' other correlates: the
# national scale describes proficiency through morphology and accuracy, so case forms,
# verb forms and spelling always carry some weight (per standard deviation of the input)
FLOORS = {"rich_cases": 0.05, "non_nominative": 0.05, "verb_forms": 0.05, "misspelt": 0.05}


MERGE_BELOW = 0.3   # out-of-fold correlation of a scale's deviation below which it is merged


class RatedTextsError(ValueError):
    """The CSV of rated texts is not usable; the message names the row and column."""


def read_rated(path: str | Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise RatedTextsError(f"{path}: missing columns {sorted(missing)}")
        for n, row in enumerate(reader, start=2):
            if row["cefr"] not in LEVELS:
                raise RatedTextsError(f"{path}: line {n}: cefr {row['cefr']!r} is not A1..C2")
            try:
                scores = {k: float(row[k]) for k in ("task", "vocabulary", "accuracy", "coherence")}
            except ValueError:
                raise RatedTextsError(f"{path}: line {n}: analytic ratings must be numbers 0-5") from None
            rows.append({**row, **scores, "overall": float(LEVELS.index(row["cefr"]))})
    if not rows:
        raise RatedTextsError(f"{path}: no rated texts")
    return rows


def task_vocabulary(rows: list[dict], tools, lift: float = 2.0) -> dict[str, list[str]]:
    """Per task, the topical words (base forms and compound parts) that its training
    answers use distinctly more often than answers to the other tasks (at least ``lift``
    times the share of all answers that use them): what on-task answers talk about, and
    not what any answer might mention."""
    from collections import Counter, defaultdict

    from .evidence import topical_lemmas

    analyzer, frequencies = tools[0], tools[1]
    counts: dict[str, Counter] = defaultdict(Counter)
    texts: Counter = Counter()
    overall: Counter = Counter()
    for row in rows:
        words = topical_lemmas(row["text"], analyzer, frequencies)
        counts[row["task_id"]].update(words)
        overall.update(words)
        texts[row["task_id"]] += 1
    n = len(rows)
    return {task: sorted(w for w, c in counter.items() if c / texts[task] >= lift * overall[w] / n)
            for task, counter in sorted(counts.items())}


def _inputs(rows, scorer: WritingScorer, tasks):
    """Feature vectors of the own text of every row, and whether the model sees it."""
    xs, own_words, keep = [], [], []
    for row in rows:
        prompt, min_words = tasks.get(row["task_id"], ("", None))
        ev = scorer.gather(row["text"], prompt, row["task_id"])
        whole = extract(row["text"], prompt, *scorer_tools(scorer))
        own = extract(ev.own_text(), prompt, *scorer_tools(scorer))
        xs.append(feature_vector(own, min_words))
        own_words.append(own.n_words)
        keep.append(WritingScorer._recognise(whole, ev) is None)
    return xs, np.array(own_words), np.array(keep)


def scorer_tools(scorer: WritingScorer):
    return scorer.analyzer, scorer.frequencies, scorer.languages


def _ridge(X: np.ndarray, y: np.ndarray, alpha: float, signs: np.ndarray,
           floors: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Ridge regression whose weights keep the given signs, and are at least ``floors``
    in size: bounded least squares on sign-flipped, penalty-augmented inputs."""
    from scipy.optimize import lsq_linear

    n, k = X.shape
    intercept = y.mean()
    A = np.vstack([X * signs, np.sqrt(alpha) * np.eye(k)])
    b = np.concatenate([y - intercept, np.zeros(k)])
    lower = np.zeros(k) if floors is None else floors
    w = lsq_linear(A, b, bounds=(lower, np.full(k, np.inf))).x
    return w * signs, float(intercept)


def _fit_scales(Z: np.ndarray, rows: list[dict], alpha: float):
    """Weights and intercepts of the overall level and of each scale's deviation from it."""
    weights, intercepts = {}, {}
    y_overall = np.array([r["overall"] for r in rows])
    for name, feats in SCALE_FEATURES.items():
        cols = [FEATURES.index(f) for f in feats]
        signs = np.array([SIGNS[f] for f in feats])
        if name == "overall":
            floors = np.array([FLOORS.get(f, 0.0) for f in feats])
            y = y_overall
        else:
            floors, y = None, np.array([r[name] for r in rows]) - y_overall
        w, b = _ridge(Z[:, cols], y, alpha, signs, floors)
        weights[name] = {f: float(v) for f, v in zip(feats, w)}
        intercepts[name] = b
    return weights, intercepts


def _fit_confidence(scores: np.ndarray, truth: np.ndarray, own_words: np.ndarray) -> dict:
    """sd(n) = sd * sqrt(1 + words / n) with the (sd, words) that make the band probability
    of out-of-fold predictions best match whether they were right (least Brier score)."""
    right = (np.clip(np.round(scores), 0, 5) == truth).astype(float)
    best = None
    for sd in np.arange(0.15, 1.21, 0.025):
        for words in (0.0, 5.0, 10.0, 20.0, 40.0, 80.0):
            sds = sd * np.sqrt(1.0 + words / np.maximum(own_words, 1))
            p = np.array([band_probability(s, d) for s, d in zip(scores, sds)])
            brier = float(np.mean((p - right) ** 2))
            if best is None or brier < best[0]:
                best = (brier, float(sd), float(words))
    return {"sd": round(best[1], 3), "words": best[2]}


def fit(rows: list[dict], tools, tasks: dict, alpha: float = 5.0, folds: int = 5,
        trained_on: str = "", material=None) -> LevelModel:
    vocabulary = task_vocabulary(rows, tools)
    probe = LevelModel(version="fitting", trained_on="", mean={}, scale={}, weights={},
                       intercept={}, residual_sd={}, task_vocabulary=vocabulary)
    scorer = WritingScorer(*tools, model=probe, material=material)
    xs, own_words, keep = _inputs(rows, scorer, tasks)
    xs = [x for x, k in zip(xs, keep) if k]
    own_words = own_words[keep]
    rows = [r for r, k in zip(rows, keep) if k]
    raw = np.array([[x[f] for f in FEATURES] for x in xs])
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (raw - mean) / scale
    weights, intercepts = _fit_scales(Z, rows, alpha)
    model = LevelModel(version=f"ridge-{date.today().isoformat()}", trained_on=trained_on,
                       mean={f: float(m) for f, m in zip(FEATURES, mean)},
                       scale={f: float(s) for f, s in zip(FEATURES, scale)},
                       weights=weights, intercept=intercepts, residual_sd={},
                       task_vocabulary=vocabulary)
    # out-of-fold predictions: the spread of errors the confidence is based on
    rng = np.random.default_rng(0)
    fold_of = rng.permutation(len(rows)) % folds
    oof = {name: np.zeros(len(rows)) for name in SCALES}
    for k in range(folds):
        tr, te = fold_of != k, fold_of == k
        wk, bk = _fit_scales(Z[tr], [r for r, t in zip(rows, tr) if t], alpha)
        part = LevelModel(version="fold", trained_on="", mean=model.mean, scale=model.scale,
                          weights=wk, intercept=bk, residual_sd={})
        for i in np.flatnonzero(te):
            for name in SCALES:
                value = part.predict(xs[i], name)
                if name == "overall":
                    value = min(value, evidence_ceiling(int(own_words[i])))
                oof[name][i] = value
    truth = {name: np.array([r[name] for r in rows]) for name in SCALES}
    model.residual_sd = {name: float(np.sqrt(np.mean((oof[name] - truth[name]) ** 2)))
                         for name in SCALES}
    model.confidence = _fit_confidence(oof["overall"], truth["overall"], own_words)
    # an analytic scale whose out-of-fold deviation from the level does not follow the
    # rated deviation tells the learner nothing the level does not: it is merged into it
    model.merged = {}
    for name in SCALES[1:]:
        pred, rated = oof[name] - oof["overall"], truth[name] - truth["overall"]
        r = float(np.corrcoef(pred, rated)[0, 1]) if pred.std() > 0 and rated.std() > 0 else 0.0
        model.agreement.setdefault("deviation_r_out_of_fold", {})[name] = round(r, 3)
        if r < MERGE_BELOW:
            model.merged[name] = "overall"
    return model


def quadratic_weighted_kappa(a: list[int], b: list[int], k: int = 6) -> float:
    O = np.zeros((k, k))
    for i, j in zip(a, b):
        O[i, j] += 1
    W = np.array([[(i - j) ** 2 / (k - 1) ** 2 for j in range(k)] for i in range(k)])
    E = np.outer(O.sum(axis=1), O.sum(axis=0)) / O.sum()
    return float(1 - (W * O).sum() / (W * E).sum())


def agreement(true: list[int], pred: list[int], scores: list[float] | None = None) -> dict:
    """Exact and adjacent agreement, quadratic weighted kappa and Spearman's rho of
    numeric levels (0..5) against the ratings."""
    from scipy.stats import spearmanr

    true_a, pred_a = np.array(true), np.array(pred)
    scores = pred if scores is None else scores
    rho = spearmanr(true, scores).statistic if len(set(scores)) > 1 and len(set(true)) > 1 else 0.0
    return {"n": len(true), "exact": round(float(np.mean(true_a == pred_a)), 3),
            "adjacent": round(float(np.mean(np.abs(true_a - pred_a) <= 1)), 3),
            "qwk": round(quadratic_weighted_kappa(list(true), list(pred)), 3),
            "spearman": round(float(rho), 3)}


def evaluate(scorer: WritingScorer, rows: list[dict], tasks: dict) -> dict:
    true, pred, scores = [], [], []
    for row in rows:
        prompt, min_words = tasks.get(row["task_id"], ("", None))
        result = scorer.score(row["text"], prompt, min_words, task_id=row["task_id"])
        true.append(LEVELS.index(row["cefr"]))
        pred.append(LEVELS.index(result.cefr))
        scores.append(result.score)
    return agreement(true, pred, scores)


__all__ = ["read_rated", "fit", "evaluate", "quadratic_weighted_kappa", "level_of", "RatedTextsError"]
