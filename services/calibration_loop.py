"""The calibration loop through the real system (`taitotaso simulate --recalibrate-after N`).

Simulated job seekers take tests through the testing service's own service layer
(:class:`services.testing.handlers.TestingService`: ``start`` / ``next`` / ``answer`` /
``result``, in process, over a real SQLite database in a temporary directory), so their
answers are stored, scored and estimated exactly as a browser's are. Each simulee answers
from *true* item parameters (:func:`assessment.simulation.perturbed_truth`), which differ
from the bank's provisional ones; a yes/no block's words share a person-by-block effect.
Then :func:`services.calibration.run` (what `taitotaso calibrate --apply` runs) estimates
the parameters from the stored answers and publishes a new bank version, and the same
evaluation simulees take their tests again on it.

Three conditions, the same evaluation simulees (same abilities, same random streams):

* ``before``: the bank as seeded (provisional parameters from the CEFR targets);
* ``after``: the bank after calibrating on the answers of ``N`` training tests;
* ``oracle``: the bank with the true parameters (answers and engine on the truth).

**The scale.** A common shift of every item (``shift``) cannot be told from a shift of
the population by the answers alone: a free calibration puts the population at N(0, 1)
and the items wherever that makes them. So a share of the items (``anchors``, by skill,
kind and level) is *trusted*: their parameters are taken as right (in a real bank: from
an earlier calibration or a linking study; here: their truth equals their parameters),
they are marked calibrated, and `calibrate` anchors on them (fixed anchor item
calibration with the ability mean and SD estimated), which puts every other item on the
scale the cut scores were set on. ``population_mean`` moves the simulees' abilities, to
show that a free calibration (``anchors=0``) then moves the scale with them.

**Pretest items** (``pretest`` share, status ``reviewed``) are given unscored, two a
test, all along, and calibrated onto the anchors' scale with the others.

Writing tasks are scored by a stand-in for the writing scorer that gives the level the
simulee's answer was drawn at (the scorer's own agreement is measured in
``benchmarks/writing.py``); listening audio is a placeholder (simulees do not listen).
Everything else (objective scoring, Voikko's partial credit, blocks, testlets, exposure
control, pretest items, stopping) is the live service's.
"""
from __future__ import annotations

import math
import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable
from unittest import mock

import numpy as np
from sqlalchemy import event, select

from assessment import irt
from assessment.cefr import LEVELS, CutScores
from assessment.pool import ItemPool, PoolItem
from assessment.simulation import perturbed_truth
from item_bank.assembly import adaptive_kind, is_block_id
from item_bank.ctest import gaps
from item_bank.model import Item
from item_bank.orm import ItemRow
from item_bank.repository import ItemRepository
from scoring.objective import score as score_answer
from services.common.config import Config
from services.common.db import Database
from services.common.exposure import MemoryExposure

WRITING_MARK = "simulated answer at level "


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """The bank as seeded for a run, the truth and which items are anchors or pretest."""

    items: list[Item]
    truth: dict[str, PoolItem]
    anchors: set[str]
    pretest: set[str]
    block_sd: float


def _stratified(rng, items: list[Item], share: float, key) -> set[str]:
    groups: dict[tuple, list[Item]] = {}
    for it in items:
        groups.setdefault(key(it), []).append(it)
    out = set()
    for _k, group in sorted(groups.items()):
        group.sort(key=lambda i: i.id)
        n = int(round(share * len(group)))
        out.update(group[j].id for j in rng.permutation(len(group))[:n])
    return out


def make_world(items: list[Item], *, seed: int, truth: dict[str, float], anchors: float,
               pretest: float, block_sd: float) -> World:
    """Which items are trusted anchors and which pretest, and everyone's true parameters."""
    if not 0 <= anchors < 1 or not 0 <= pretest < 0.5:
        raise ValueError("anchors must lie in [0, 1) and pretest in [0, 0.5)")
    given = sorted((i for i in items if i.status == "live" and adaptive_kind(i)), key=lambda i: i.id)
    rng = np.random.default_rng([seed, 3])
    anchor_ids = _stratified(rng, given, anchors, lambda i: (i.skill, i.kind, i.cefr))
    candidates = [i for i in given if i.id not in anchor_ids and not i.testlet
                  and i.kind not in ("writing_task",)]
    pretest_ids = _stratified(rng, candidates, pretest, lambda i: (i.skill, i.kind))
    pool = ItemPool([i.pool_item() for i in given])
    moved = perturbed_truth(pool, np.random.default_rng([seed, 2]), **truth)
    true = {}
    for it, t in zip(given, moved.items):
        true[it.id] = it.pool_item() if it.id in anchor_ids else t
    seeded = []
    for it in items:
        if it.id in pretest_ids:
            it = replace(it, status="reviewed")
        elif it.id in anchor_ids:
            it = replace(it, irt=replace(it.irt, calibrated={"mode": "trusted",
                                                             "note": "simulation: taken as right"}))
        seeded.append(it)
    return World(seeded, true, anchor_ids, pretest_ids, block_sd)


# --------------------------------------------------------------------------- simulees


class SimulatedWritingScorer:
    """Stands in for the writing scorer: the level the simulee's answer was drawn at."""

    def __init__(self, analyzer):
        self.analyzer = analyzer

    def score(self, text: str, prompt: str = "", min_words=None, **_kw):
        level = text.rsplit(WRITING_MARK, 1)[-1].strip()[:2] if WRITING_MARK in text else "A1"

        class _Result:
            def as_dict(self_inner):
                return {"cefr": level if level in LEVELS else "A1", "confidence": 0.95,
                        "recognised_as": "finnish_text", "subscores": {}, "feedback": []}
        return _Result()


class AnswerBook:
    """For every item and score, an answer that the live scorer gives that score
    (checked with :func:`scoring.objective.score` when the book is made)."""

    def __init__(self, items: list[Item], analyzer):
        self.analyzer = analyzer
        self.book: dict[str, dict[int, object]] = {}
        self.items = {i.id: i for i in items}
        for it in items:
            if adaptive_kind(it):
                self.book[it.id] = self._answers(it)

    def _check(self, it: Item, answer, want: int) -> bool:
        return score_answer(it, answer, self.analyzer) == want

    def _answers(self, it: Item) -> dict[int, object]:
        if it.kind == "writing_task":
            return {k: f"{WRITING_MARK}{lvl}" for k, lvl in enumerate(LEVELS)}
        if it.kind == "c_test":
            return {}   # made per answer: any k of the gaps right
        out: dict[int, object] = {}
        if it.kind == "multiple_choice":
            out = {1: it.key, 0: next(c for c in it.content["choices"] if c != it.key)}
        elif it.kind == "yes_no":
            out = {1: it.key, 0: "no" if it.key == "yes" else "yes"}
        elif it.kind == "sentence_building":
            out = {1: it.accept[0], 0: " ".join(reversed(it.accept[0].split()))}
        elif it.kind == "cloze":
            right = it.accept[0]
            near = [right + right[-1], right[:-1] + right[-1] * 2, right + "n", right[:-1],
                    right + "ssa", right + "lla"]
            out = {2: right, 0: "xyzzy"}
            out[1] = next((w for w in near if self._check(it, w, 1)), None)
        elif it.kind == "dictation":
            words = it.key.split()
            shorter = [" ".join(words[:-1]), " ".join(words[1:]), " ".join(words[:-2])]
            out = {2: it.key, 0: "xyzzy"}
            out[1] = next((w for w in shorter if w and self._check(it, w, 1)), None)
        for k, ans in out.items():
            if ans is None or not self._check(it, ans, k):
                raise ValueError(f"no answer scores {k} on item {it.id}")
        return out

    def answer(self, item_id: str, score: int, rng: np.random.Generator):
        it = self.items[item_id]
        if it.kind == "c_test":
            parts = gaps(it.content["text"])
            right = set(rng.permutation(len(parts))[:score].tolist())
            return [g.missing if n in right else "" for n, g in enumerate(parts)]
        return self.book[item_id][score]


def sample_score(t: PoolItem, theta: float, rng: np.random.Generator) -> int:
    """A response of a person at ``theta`` to an item with the parameters ``t``."""
    if t.model == "grm":
        p = irt.grm_probabilities(theta, t.a, t.thresholds)[0]
        return int(rng.choice(p.size, p=p / p.sum()))
    return int(rng.random() < float(irt.icc(theta, t.a, t.b, t.c)))


class Simulee:
    """A job seeker of ability ``theta`` answering from the true parameters."""

    def __init__(self, theta: float, world: World, book: AnswerBook, rng: np.random.Generator):
        self.theta, self.world, self.book, self.rng = theta, world, book, rng
        self.effects: dict[str, float] = {}
        self.answers = 0

    def answer(self, public: dict):
        item_id = public["id"]
        t = self.world.truth[item_id]
        theta = self.theta
        block = public.get("testlet")
        if is_block_id(block):
            if block not in self.effects:
                sd = self.world.block_sd
                self.effects[block] = float(self.rng.normal(0.0, sd)) if sd > 0 else 0.0
            theta += self.effects[block]
        k = sample_score(t, theta, self.rng)
        self.answers += 1
        return self.book.answer(item_id, k, self.rng)


# --------------------------------------------------------------------------- the service


class _InlineQueue:
    """Runs queued jobs at once (the embedded queue's thread would write while the
    simulation copies the database). Like the embedded queue, a job that fails is tried
    again (two workers may add the same item's statistics row at once) and then logged."""

    def __init__(self, db):
        from services.common.queue import JobContext

        self.ctx = JobContext(db=db)

    def enqueue(self, path: str, *args, **kwargs):
        import importlib
        import logging

        module, _, name = path.rpartition(".")
        job = getattr(importlib.import_module(module), name)
        for attempt in range(3):
            try:
                return job(self.ctx, *args, **kwargs)
            except Exception:  # noqa: BLE001 - a failed statistics job never stops a test
                if attempt == 2:
                    logging.getLogger(__name__).exception("queued job %s failed", path)
                time.sleep(0.05 * (attempt + 1))
        return None


def open_database(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")

    @event.listens_for(db.engine, "connect")
    def _fast(dbapi_conn, _record):  # a throwaway database: no fsync per commit
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.close()
    return db


def service_for_simulees(db: Database, var_dir: Path, analyzer):
    """The live testing service layer over ``db``, with the writing scorer stood in."""
    from services.adapters.scoring import InProcessScorer
    from services.scoring.handlers import ScoringService
    from services.testing.handlers import TestingService

    cfg = Config.from_env(database_url=db.url, redis_url=None, var_dir=var_dir,
                          secret_key="simulation", bank_check_seconds=3600.0)
    scoring = ScoringService(db, cfg, scorer_factory=lambda: SimulatedWritingScorer(analyzer))
    svc = TestingService(db, cfg, MemoryExposure(), _InlineQueue(db),
                         scorer=InProcessScorer(db, cfg, service=scoring))
    svc.analyzer = analyzer
    return svc


class _SeededIds:
    """uuid for the testing service's session ids, drawn from a seeded generator, so that a
    run with the same seed serves the same items (selection is seeded by the session id)."""

    UUID = uuid.UUID

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def uuid4(self):
        return uuid.UUID(bytes=self.rng.bytes(16), version=4)


@contextmanager
def seeded_session_ids(rng):
    from services.testing import handlers

    with mock.patch.object(handlers, "uuid", _SeededIds(rng)):
        yield


def take_test(svc, simulee: Simulee) -> dict:
    session_id, token = svc.start("fi", None)
    while True:
        served = svc.next(session_id, token)
        if served["done"]:
            break
        svc.answer(session_id, token, served["item"]["id"], simulee.answer(served["item"]))
    return svc.result(session_id, token)


_SHARED: dict = {}   # what forked workers inherit: the world and the answer book


def _run_slice(job) -> list[tuple]:
    """Tests of some simulees on the database at ``path`` through a testing service of this
    process (one per worker, as gunicorn's workers have theirs)."""
    path, var_dir, seed, indices, thetas = job
    world, book = _SHARED["world"], _SHARED["book"]
    if _SHARED.get("pid") != os.getpid():    # a forked worker: its own Voikko handle
        from scoring.adapters.voikko import VoikkoAnalyzer

        _SHARED["analyzer"], _SHARED["pid"] = VoikkoAnalyzer(), os.getpid()
    db = open_database(Path(path))
    svc = service_for_simulees(db, Path(var_dir), _SHARED["analyzer"])
    out = []
    for n, theta in zip(indices, thetas):
        simulee = Simulee(float(theta), world, book, np.random.default_rng([*seed, n]))
        with seeded_session_ids(np.random.default_rng([*seed, n, 99])):
            res = take_test(svc, simulee)
        out.append((n, res["overall"]["theta"], res["n_items"], simulee.answers,
                    res.get("stop_reason")))
    db.dispose()
    return out


def run_tests(path: Path, var_dir: Path, thetas: np.ndarray, seed: tuple, workers: int = 1,
              progress: Callable[[str, int, int], None] | None = None, label: str = "") -> dict:
    """The simulees take their tests on the database at ``path``, in ``workers`` processes
    (each its own testing service over the same database); results in simulee order.
    A simulee's answers and session id are seeded by ``seed`` and its index alone, so the
    results do not depend on the number of workers, except through exposure control,
    whose counts each worker keeps in its own memory (as without Redis)."""
    started = time.perf_counter()
    chunk = 25
    jobs = [(str(path), str(var_dir), seed, list(range(lo, min(lo + chunk, len(thetas)))),
             [float(t) for t in thetas[lo:lo + chunk]]) for lo in range(0, len(thetas), chunk)]
    rows: list[tuple] = []
    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            rows.extend(_run_slice(job))
            if progress:
                progress(label, len(rows), len(thetas))
    else:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(_run_slice, jobs):
                rows.extend(part)
                if progress:
                    progress(label, len(rows), len(thetas))
    rows.sort()
    return {"thetas": np.asarray(thetas), "estimates": np.array([r[1] for r in rows]),
            "lengths": np.array([r[2] for r in rows]), "answers": np.array([r[3] for r in rows]),
            "reasons": [r[4] for r in rows], "seconds": time.perf_counter() - started}


def metrics(run: dict, cuts: CutScores) -> dict:
    err = run["estimates"] - run["thetas"]
    true = np.array([cuts.level_index(t) for t in run["thetas"]])
    est = np.array([cuts.level_index(t) for t in run["estimates"]])
    n = len(err)
    return {"examinees": n, "rmse": round(float(np.sqrt(np.mean(err ** 2))), 4),
            "bias": round(float(np.mean(err)), 4),
            "cefr_exact": round(float(np.mean(true == est)), 4),
            "cefr_adjacent": round(float(np.mean(np.abs(true - est) <= 1)), 4),
            "mean_items": round(float(np.mean(run["lengths"])), 2),
            "mean_answers": round(float(np.mean(run["answers"])), 2),
            "max_length_share": round(float(np.mean([r == "max_items" for r in run["reasons"]])), 4),
            "seconds_per_test": round(run["seconds"] / max(n, 1), 3)}


# --------------------------------------------------------------------------- databases


def seed_database(path: Path, world: World) -> None:
    db = open_database(path)
    db.upgrade()
    with db.session() as s:
        ItemRepository(s).seed(world.items, make_audio=lambda text, cefr: b"simulation: no audio")
    db.dispose()


def copy_database(src: Path, dst: Path) -> None:
    """A consistent copy through SQLite's backup API (WAL and all)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def publish_truth(path: Path, world: World) -> None:
    """The oracle's bank: every item's parameters set to its truth (a new bank version)."""
    db = open_database(path)
    with db.session() as s:
        for row in s.scalars(select(ItemRow).where(ItemRow.status.in_(("live", "reviewed")))).all():
            t = world.truth.get(row.id)
            if t is None:
                continue
            irt = {"a": t.a, "b": t.b, "c": t.c, "model": t.model}
            if t.model == "grm":
                irt["thresholds"] = list(t.thresholds)
            row.irt = irt
        s.flush()
        ItemRepository(s)._touch()
    db.dispose()


def parameter_recovery(path: Path, world: World) -> dict:
    """RMSE of the items' difficulties against the truth: provisional vs now, for the items
    calibrated (anchors excluded), and for the pretest items alone."""
    db = open_database(path)
    with db.session() as s:
        rows = s.scalars(select(ItemRow).where(ItemRow.status.in_(("live", "reviewed")))).all()
        current = {r.id: dict(r.irt) for r in rows}
    db.dispose()
    provisional = {i.id: i.irt.as_dict() for i in world.items}

    def difficulty(irt: dict) -> float:
        """b of a dichotomous item, the mean threshold of a graded one (a graded item's
        provisional ``b`` is its target's midpoint, not the mean of its thresholds)."""
        return float(np.mean(irt["thresholds"])) if irt.get("model") == "grm" else float(irt["b"])

    def diff(item_id, irt):
        t = world.truth[item_id]
        true = float(np.mean(t.thresholds)) if t.model == "grm" else t.b
        return difficulty(irt) - true

    out = {}
    for label, ids in (("calibrated", [i for i, irt in current.items()
                                       if i in world.truth and i not in world.anchors
                                       and (irt.get("calibrated") or {}).get("mode") in ("free", "anchored")]),
                       ("pretest", [i for i in world.pretest if i in current])):
        done = [i for i in ids if (current[i].get("calibrated") or {}).get("mode") in ("free", "anchored")]
        before = [diff(i, provisional[i]) for i in done]
        after = [diff(i, current[i]) for i in done]
        out[label] = {"items": len(ids), "calibrated": len(done),
                      "rmse_b_provisional": _rms(before), "rmse_b_calibrated": _rms(after),
                      "mean_b_error_provisional": _mean(before), "mean_b_error_calibrated": _mean(after)}
    return out


def _rms(v):
    return round(float(np.sqrt(np.mean(np.square(v)))), 4) if len(v) else None


def _mean(v):
    return round(float(np.mean(v)), 4) if len(v) else None


# --------------------------------------------------------------------------- the loop


@dataclass
class LoopSettings:
    checkpoints: list[int]
    examinees: int = 500
    seed: int = 1
    truth: dict = field(default_factory=lambda: {"b_sd": 0.0, "a_logsd": 0.0, "shift": 0.0})
    anchors: float = 0.2
    pretest: float = 0.05
    population_mean: float = 0.0
    min_n: int = 100
    mode: str | None = None   # None: anchored when anchors are trusted, free otherwise
    workers: int = 1          # processes taking tests at once (each its own testing service)


def calibration_loop(items: list[Item], settings: LoopSettings, *, blueprint=None, cuts=None,
                     progress: Callable[[str, int, int], None] | None = None,
                     workdir: Path | None = None,
                     report: Callable[[str, dict], None] | None = None) -> dict:
    """Train on the checkpoints' numbers of tests, calibrate and evaluate at each (see the
    module docstring). Returns before / oracle and, per checkpoint, after with the
    calibration's summary and the parameter recovery."""
    from assessment.selection import Blueprint
    from scoring.adapters.voikko import VoikkoAnalyzer

    from . import calibration

    if not settings.checkpoints or any(n < 1 for n in settings.checkpoints):
        raise ValueError("the number of tests before recalibrating must be at least 1")
    if settings.examinees < 1:
        raise ValueError("the number of evaluation examinees must be at least 1")
    cuts = cuts or CutScores.load()
    blueprint = blueprint or Blueprint.load()
    block_sd = float(blueprint.blocks.get("yes_no", {}).get("testlet_sd", 0.0))
    world = make_world(items, seed=settings.seed, truth=settings.truth, anchors=settings.anchors,
                       pretest=settings.pretest, block_sd=block_sd)
    analyzer = VoikkoAnalyzer()
    book = AnswerBook(world.items, analyzer)
    _SHARED.update(world=world, book=book, analyzer=analyzer, pid=os.getpid())
    own_dir = workdir is None
    tmp = Path(workdir or tempfile.mkdtemp(prefix="taitotaso-loop-"))
    try:
        base = tmp / "bank.db"
        seed_database(base, world)
        train_db = tmp / "train.db"
        copy_database(base, train_db)
        mean = settings.population_mean
        eval_thetas = np.random.default_rng([settings.seed, 10]).normal(mean, 1.0, settings.examinees)
        checkpoints = sorted(set(settings.checkpoints))
        train_thetas = np.random.default_rng([settings.seed, 20]).normal(mean, 1.0, checkpoints[-1])

        def evaluate(path: Path, label: str) -> dict:
            run = run_tests(path, tmp, eval_thetas, (settings.seed, 11), settings.workers,
                            progress, label)
            return metrics(run, cuts)

        out: dict = {}
        scratch = tmp / "scratch.db"
        copy_database(base, scratch)
        out["before"] = evaluate(scratch, "before")
        if report:
            report("before", out["before"])
        copy_database(base, scratch)
        publish_truth(scratch, world)
        out["oracle"] = evaluate(scratch, "oracle")
        if report:
            report("oracle", out["oracle"])

        done, curve, train_seconds = 0, [], 0.0
        for n in checkpoints:
            run = run_tests(train_db, tmp, train_thetas[done:n], (settings.seed, 21, done),
                            settings.workers, progress, f"training {done + 1}-{n}")
            train_seconds += run["seconds"]
            done = n
            copy_database(train_db, scratch)
            cal_db = open_database(scratch)
            started = time.perf_counter()
            cal_report = calibration.run(cal_db, mode=settings.mode, min_n=settings.min_n, apply=True)
            seconds = time.perf_counter() - started
            cal_db.dispose()
            summary = {k: v for k, v in cal_report.items() if k != "item_estimates"}
            summary["flagged"] = {k: len(v) for k, v in summary["flagged"].items()}
            summary["wall_seconds"] = round(seconds, 2)
            recovery = parameter_recovery(scratch, world)
            after = evaluate(scratch, f"after {n}")
            curve.append({"tests": n, "after": after, "calibration": summary,
                          "parameters": recovery})
            if report:
                report(f"after {n}", curve[-1])
        out["curve"] = curve
        out["training"] = {"tests": done, "seconds": round(train_seconds, 1),
                           "seconds_per_test": round(train_seconds / max(done, 1), 3)}
        out["world"] = {"anchors": len(world.anchors), "pretest": len(world.pretest),
                        "items": len(world.truth), "block_sd": block_sd}
        return out
    finally:
        if own_dir:
            shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["calibration_loop", "LoopSettings", "make_world", "AnswerBook", "Simulee",
           "service_for_simulees", "take_test", "metrics", "World", "math"]


def cmd_recalibrate(args) -> int:
    """`taitotaso simulate --bank seed --truth perturbed:… --recalibrate-after N`: before /
    after / oracle through the testing service (see the module docstring)."""
    import json
    import sys

    from assessment.simulation import parse_truth
    from item_bank.content import load_content

    def fail(msg: str) -> int:
        print(f"taitotaso: {msg}", file=sys.stderr)
        return 2

    if args.bank != "seed":
        return fail("--recalibrate-after needs --bank seed: the loop runs the item content "
                    "through the testing service")
    try:
        truth = parse_truth(args.truth) or {"b_sd": 0.0, "a_logsd": 0.0, "shift": 0.0}
    except ValueError as err:
        return fail(str(err))
    if args.recalibrate_after < 1 or args.examinees < 1 or args.workers < 1 or args.calibrate_min_n < 1:
        return fail("--recalibrate-after, --examinees, --workers and --calibrate-min-n must be at least 1")
    mode = args.calibration_mode
    if mode == "anchored" and args.anchors <= 0:
        return fail("an anchored calibration needs trusted items: give --anchors a share above 0, "
                    "or use --calibration-mode free")
    settings = LoopSettings(checkpoints=[args.recalibrate_after], examinees=args.examinees,
                            seed=args.seed, truth=truth, anchors=args.anchors, pretest=args.pretest,
                            population_mean=args.population_mean, min_n=args.calibrate_min_n,
                            mode=mode, workers=args.workers)

    def progress(label, done, total):
        if not args.json or args.progress:
            print(f"  {label}: {done}/{total} tests", file=sys.stderr, flush=True)

    try:
        out = calibration_loop(load_content(), settings, progress=progress)
    except ValueError as err:
        return fail(str(err))
    point = out["curve"][0]
    result = {"before": out["before"], "after": point["after"], "oracle": out["oracle"],
              "calibration": point["calibration"], "parameters": point["parameters"],
              "training": out["training"], "world": out["world"],
              "config": {"bank": "seed", "seed": args.seed, "truth": {"perturbed": truth},
                         "recalibrate_after": args.recalibrate_after,
                         "evaluation_examinees": args.examinees, "anchors": args.anchors,
                         "pretest": args.pretest, "population_mean": args.population_mean,
                         "calibration_mode": mode or ("anchored" if args.anchors > 0 else "free"),
                         "min_n": args.calibrate_min_n, "workers": args.workers,
                         "path": "testing service layer in process, SQLite in a temporary directory",
                         "stopping": "the testing service's own (TAITOTASO_* settings)"}}
    if args.json:
        print(json.dumps(result))
    else:
        for name in ("before", "after", "oracle"):
            m = result[name]
            print(f"{name:>7}: rmse {m['rmse']:.4f} bias {m['bias']:+.4f} exact {m['cefr_exact']:.4f} "
                  f"adjacent {m['cefr_adjacent']:.4f} mean items {m['mean_items']:.2f}")
        c = result["calibration"]
        print(f"calibration: {c['mode']}, {c['persons']} tests, {c['applied']} item versions applied, "
              f"{c['wall_seconds']} s")
    return 0
