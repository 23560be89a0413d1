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

from .written import FEATURES, SCALE_FEATURES, SIGNS, LevelModel, WritingScorer, feature_vector, level_of
from .features import extract

COLUMNS = ("text_id", "task_id", "cefr", "task", "vocabulary", "accuracy", "coherence", "text")


# inputs every level model must count, whatever the ratings' other correlates: the
# national scale describes proficiency through morphology and accuracy, so case forms,
# verb forms and spelling always carry some weight (per standard deviation of the input)
FLOORS = {"case_variety": 0.05, "non_nominative": 0.05, "verb_forms": 0.05, "misspelt": 0.05}


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


def _inputs(rows, tools, tasks):
    xs, keep = [], []
    for row in rows:
        prompt, min_words = tasks.get(row["task_id"], ("", None))
        f = extract(row["text"], prompt, *tools)
        xs.append(feature_vector(f, min_words))
        keep.append(WritingScorer._recognise(f) is None)
    return xs, np.array(keep)


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


def fit(rows: list[dict], tools, tasks: dict, alpha: float = 5.0, folds: int = 5,
        trained_on: str = "") -> LevelModel:
    xs, keep = _inputs(rows, tools, tasks)
    xs = [x for x, k in zip(xs, keep) if k]
    rows = [r for r, k in zip(rows, keep) if k]
    raw = np.array([[x[f] for f in FEATURES] for x in xs])
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (raw - mean) / scale
    weights, intercepts, residual = {}, {}, {}
    rng = np.random.default_rng(0)
    fold_of = rng.permutation(len(rows)) % folds
    for name, feats in SCALE_FEATURES.items():
        cols = [FEATURES.index(f) for f in feats]
        signs = np.array([SIGNS[f] for f in feats])
        floors = np.array([FLOORS.get(f, 0.0) for f in feats])
        y = np.array([r[name] for r in rows])
        w, b = _ridge(Z[:, cols], y, alpha, signs, floors)
        weights[name] = {f: float(v) for f, v in zip(feats, w)}
        intercepts[name] = b
        # spread of out-of-fold errors: what the confidence is based on
        errors = []
        for k in range(folds):
            tr, te = fold_of != k, fold_of == k
            wk, bk = _ridge(Z[tr][:, cols], y[tr], alpha, signs, floors)
            errors.extend(np.clip(bk + Z[te][:, cols] @ wk, 0, 5) - y[te])
        residual[name] = float(np.sqrt(np.mean(np.square(errors))))
    return LevelModel(version=f"ridge-{date.today().isoformat()}", trained_on=trained_on,
                      mean={f: float(m) for f, m in zip(FEATURES, mean)},
                      scale={f: float(s) for f, s in zip(FEATURES, scale)},
                      weights=weights, intercept=intercepts, residual_sd=residual)


def quadratic_weighted_kappa(a: list[int], b: list[int], k: int = 6) -> float:
    O = np.zeros((k, k))
    for i, j in zip(a, b):
        O[i, j] += 1
    W = np.array([[(i - j) ** 2 / (k - 1) ** 2 for j in range(k)] for i in range(k)])
    E = np.outer(O.sum(axis=1), O.sum(axis=0)) / O.sum()
    return float(1 - (W * O).sum() / (W * E).sum())


def evaluate(scorer: WritingScorer, rows: list[dict], tasks: dict) -> dict:
    from scipy.stats import spearmanr

    true, pred, scores = [], [], []
    for row in rows:
        prompt, min_words = tasks.get(row["task_id"], ("", None))
        result = scorer.score(row["text"], prompt, min_words)
        true.append(LEVELS.index(row["cefr"]))
        pred.append(LEVELS.index(result.cefr))
        scores.append(result.score)
    true_a, pred_a = np.array(true), np.array(pred)
    return {"n": len(rows), "exact": round(float(np.mean(true_a == pred_a)), 3),
            "adjacent": round(float(np.mean(np.abs(true_a - pred_a) <= 1)), 3),
            "qwk": round(quadratic_weighted_kappa(true, pred), 3),
            "spearman": round(float(spearmanr(true, scores).statistic), 3)}


__all__ = ["read_rated", "fit", "evaluate", "quadratic_weighted_kappa", "level_of", "RatedTextsError"]
