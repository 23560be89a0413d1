"""The `taitotaso` command."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _err(msg: str) -> int:
    print(f"taitotaso: {msg}", file=sys.stderr)
    return 2


# -- db ------------------------------------------------------------------------------
def _database(upgrade: bool = True):
    """The configured database, migrated to the newest schema (creating it on first use)."""
    from services.common.config import Config
    from services.common.db import Database

    cfg = Config.from_env()
    db = Database(cfg.database_url)
    if upgrade:
        db.upgrade()
    return cfg, db


def cmd_db_upgrade(args) -> int:
    cfg, _db = _database()
    print(f"database schema is up to date ({_safe_url(cfg.database_url)})")
    return 0


def seed_library(db, if_empty: bool) -> int:
    """The Katso seed (categories, cards, worldviews, pages) into the database: what it
    lacks is added, what curators have edited stays. With ``if_empty`` only a library
    without any material is seeded."""
    from services.library.content import ContentError, load_seed
    from services.library.repository import LibraryStore

    store = LibraryStore(db)
    if if_empty and not store.is_empty():
        return 0
    try:
        added = store.seed(load_seed())
    except ContentError as err:
        return _err(f"the Katso material is not valid, nothing was seeded: {err}")
    print(json.dumps({"katso_added": added}))
    return 0


def cmd_library_seed(args) -> int:
    _cfg, db = _database()
    return seed_library(db, if_empty=False)


def cmd_db_seed(args) -> int:
    from item_bank.content import load_content
    from item_bank.repository import ItemRepository
    from item_bank.schema import ContentError

    from item_bank.audio import AudioError, synthesise

    cfg, db = _database()
    rc = seed_library(db, if_empty=getattr(args, "if_empty", False))
    if rc:
        return rc
    if getattr(args, "if_empty", False):
        with db.session() as s:
            version = ItemRepository(s).bank_version()
        if version is not None:
            print(json.dumps({"seeded": False, "bank_version": version,
                              "reason": "the bank has items; `taitotaso db seed` syncs the content files"}))
            return 0
    try:
        items = load_content()
    except ContentError as err:
        return _err(f"item content is not valid, nothing was seeded: {err}")
    # recordings are made once per recipe; TAITOTASO_AUDIO_CACHE can share them between installs
    cache = Path(os.environ.get("TAITOTASO_AUDIO_CACHE") or cfg.var_dir / "cache" / "audio")

    def progress(done, total):
        print(f"  seeding items: {done}/{total}", file=sys.stderr, flush=True)

    try:
        with db.session() as s:
            report = ItemRepository(s).seed(items, make_audio=lambda text, cefr: synthesise(text, cefr, cache),
                                            progress=progress, retire_missing=getattr(args, "prune", False))
            version = ItemRepository(s).bank_version()
    except AudioError as err:
        return _err(f"listening audio could not be made, nothing was seeded: {err}")
    from item_bank.block_fits import fit_live_bank

    fits = fit_live_bank(db)   # the testing service takes them instead of fitting them itself
    print(json.dumps({"live_items": len(items), "bank_version": version, **report.as_dict(),
                      "block_fits_made": fits}))
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- items ---------------------------------------------------------------------------
def cmd_items_export(args) -> int:
    from item_bank.repository import ItemRepository

    _cfg, db = _database()
    with db.session() as s:
        items = ItemRepository(s).live_items()
    if not items:
        return _err("the item bank is empty: run `taitotaso db seed` first")
    out = sys.stdout
    for item in items:
        row = {"id": item.id, "version": item.version, "kind": item.kind, "skill": item.skill,
               "cefr": item.cefr, "topic": item.topic, "testlet": item.testlet,
               "irt": {"a": item.irt.a, "b": item.irt.b, "c": item.irt.c}}
        if args.with_keys:
            row["key"] = item.key
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def coverage_table(items) -> str:
    """Markdown table of items by skill x CEFR level, with the kinds of each skill."""
    from collections import Counter

    from assessment.cefr import LEVELS

    cells = Counter((i.skill, i.cefr) for i in items)
    kinds = Counter((i.skill, i.kind) for i in items)
    skills = sorted({i.skill for i in items})
    levels = [lvl for lvl in LEVELS if any(cells[(s, lvl)] for s in skills)]
    lines = ["| skill | " + " | ".join(levels) + " | total | kinds |",
             "|---|" + "---:|" * (len(levels) + 1) + "---|"]
    for sk in skills:
        row = [str(cells[(sk, lvl)]) for lvl in levels]
        kind_text = ", ".join(f"{k} {n}" for (s, k), n in sorted(kinds.items()) if s == sk)
        lines.append(f"| {sk} | " + " | ".join(row) + f" | {sum(cells[(sk, lvl)] for lvl in levels)} | {kind_text} |")
    totals = [str(sum(cells[(s, lvl)] for s in skills)) for lvl in levels]
    lines.append("| **all** | " + " | ".join(totals) + f" | **{len(items)}** | |")
    return "\n".join(lines)


COVERAGE_BEGIN = "<!-- coverage: generated by `taitotaso items coverage --readme README.md` -->"
COVERAGE_END = "<!-- /coverage -->"


def cmd_items_coverage(args) -> int:
    from item_bank.content import load_content
    from item_bank.schema import ContentError

    try:
        items = [i for i in load_content() if i.status == "live"]
    except ContentError as err:
        return _err(str(err))
    table = coverage_table(items)
    if not args.readme:
        print(table)
        return 0
    from pathlib import Path

    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    if COVERAGE_BEGIN not in text or COVERAGE_END not in text:
        return _err(f"{path} has no coverage markers: add {COVERAGE_BEGIN} and {COVERAGE_END}")
    head, rest = text.split(COVERAGE_BEGIN, 1)
    _, tail = rest.split(COVERAGE_END, 1)
    path.write_text(f"{head}{COVERAGE_BEGIN}\n{table}\n{COVERAGE_END}{tail}", encoding="utf-8")
    print(f"updated the coverage table in {path} ({len(items)} live items)")
    return 0


def cmd_items_export_qti(args) -> int:
    from item_bank.qti import QTIExportError, export_package
    from item_bank.repository import ItemRepository

    _cfg, db = _database()
    with db.session() as s:
        items, assets = ItemRepository(s).package_contents(None if args.status == "all" else args.status)
    if not items:
        return _err(f"no items with status {args.status} to export")
    try:
        data = export_package(items, assets)
    except QTIExportError as err:
        return _err(f"the package could not be made: {err}")
    with open(args.path, "wb") as fh:
        fh.write(data)
    print(f"wrote {len(items)} items and {len(assets)} assets to {args.path} ({len(data)} bytes)")
    return 0


def cmd_items_import_qti(args) -> int:
    from item_bank.qti import QTIImportError, import_package
    from item_bank.repository import ItemRepository

    try:
        with open(args.path, "rb") as fh:
            items, assets = import_package(fh.read())
    except OSError as err:
        return _err(f"cannot read {args.path}: {err.strerror}")
    except QTIImportError as err:
        return _err(f"nothing was imported: {err}")
    _cfg, db = _database()
    with db.session() as s:  # one transaction: all of the package or nothing
        stored, unchanged = ItemRepository(s).import_items(items, assets, args.keep_status)
    added = len(stored)
    print(f"imported {added} item versions ({'keeping their status' if args.keep_status else 'as drafts'}), "
          f"{unchanged} unchanged, {len(assets)} assets")
    return 0


# -- simulate ------------------------------------------------------------------------
def cmd_simulate(args) -> int:
    import numpy as np

    from assessment.cefr import CutScores
    from assessment.pool import synthetic_pool
    from assessment.selection import Blueprint, MaxInformation, Randomesque
    from assessment.simulation import parse_truth, perturbed_truth, simulate
    from assessment.stopping import StoppingRule

    if getattr(args, "recalibrate_after", None) is not None:  # the loop through the service
        from services.calibration_loop import cmd_recalibrate

        return cmd_recalibrate(args)
    cuts = CutScores.load()
    blueprint = None
    try:
        truth_spec = parse_truth(args.truth)
    except ValueError as err:
        return _err(str(err))
    if args.bank == "seed":
        from item_bank.assembly import assemble
        from item_bank.content import load_content

        # what the live test gives, assembled as the testing service assembles it: the
        # live items it scores on submission (writing tasks included), blocks and all
        blueprint = Blueprint.load()
        _items, pool = assemble([i for i in load_content(cuts=cuts) if i.status == "live"],
                                blueprint)
    elif args.bank.startswith("synthetic:"):
        try:
            n = int(args.bank.split(":", 1)[1])
            if n < 1:
                raise ValueError
        except ValueError:
            return _err("--bank synthetic:N needs a positive whole number N, e.g. synthetic:5000")
        pool = synthetic_pool(n, np.random.default_rng([args.seed, 1]))
    else:
        return _err("--bank must be 'seed' or 'synthetic:N'")
    try:
        stopping = _simulation_rule(args, StoppingRule)
    except ValueError as err:
        return _err(str(err))
    if args.no_exposure_control:
        factory, max_rate = MaxInformation, None
    else:
        factory, max_rate = (lambda: Randomesque(args.randomesque)), args.max_exposure

    def progress(done, total):
        if not args.json or args.progress:
            print(f"  {done}/{total} simulees", file=sys.stderr, flush=True)

    truth = None
    if truth_spec is not None:
        truth = perturbed_truth(pool, np.random.default_rng([args.seed, 2]), **truth_spec)
    block_sd = {}
    if blueprint is not None:  # blocks' and texts' parts answered under a person-by-unit effect
        from item_bank.assembly import unit_testlet_sd

        block_sd = {pool.ids[u]: unit_testlet_sd(blueprint, pool.items[u]) for u in pool.members}
    report = simulate(pool, examinees=args.examinees, stopping=stopping, selector_factory=factory,
                      cuts=cuts, blueprint=blueprint, seed=args.seed, max_exposure_rate=max_rate,
                      truth=truth, block_sd=block_sd, progress=progress)
    out = report.as_dict()
    out["config"] = {"bank": args.bank, "bank_size": pool.size, "seed": args.seed,
                     "min_items": stopping.min_items, "max_items": stopping.max_items,
                     "sem_target": stopping.sem_target, "cefr_stop": stopping.cefr_band,
                     "level_certainty": stopping.level_certainty, "rule": args.rule,
                     "exposure_control": None if max_rate is None else
                     {"randomesque_k": args.randomesque, "max_rate": max_rate},
                     "estimator": "EAP", "cut_scores": cuts.version,
                     "truth": "engine" if truth_spec is None else {"perturbed": truth_spec},
                     "blueprint": blueprint.version if blueprint is not None else None}
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>16}: {v}")
    return 0


def _simulation_rule(args, StoppingRule):
    """The stopping rule of ``taitotaso simulate``: the production rule (the file the testing
    service reads) or one made of the flags. Raises ValueError with what to change."""
    if args.examinees < 1:
        raise ValueError("--examinees must be at least 1")
    if args.rule == "production":
        given = [flag for flag, value in (("--min-items", args.min_items), ("--max-items", args.max_items),
                                          ("--sem-target", args.sem_target)) if value is not None]
        given += ["--cefr-stop"] if args.cefr_stop else []
        if given:
            raise ValueError("--rule production takes its settings from assessment/data/stopping.json: "
                             f"leave out {', '.join(given)}")
        return StoppingRule.load()
    max_items = 20 if args.max_items is None else args.max_items
    if max_items < 1:
        raise ValueError("--examinees and --max-items must be at least 1")
    min_items = args.min_items if args.min_items is not None else max_items
    return StoppingRule(min_items=min(min_items, max_items), max_items=max_items,
                        sem_target=args.sem_target, cefr_band=args.cefr_stop)


# -- serving -------------------------------------------------------------------------
def cmd_serve(args) -> int:
    from gunicorn.app.base import BaseApplication

    alone = getattr(args, "service", None)   # None: the whole suite
    cfg, db = _database()
    if args.seed:
        rc = cmd_db_seed(args)
    elif alone in (None, "library"):   # the Katso material works out of the box
        rc = seed_library(db, if_empty=True)
    else:
        rc = 0
    if rc:
        return rc
    if alone in (None, "testing"):
        from services.common.queue import JobContext
        from services.testing.jobs import record_pending_statistics, score_waiting_sessions

        ctx = JobContext(db=db, config=cfg)
        caught_up = record_pending_statistics(ctx)
        if caught_up:
            print(f"recorded the item statistics of {caught_up} finished test(s) left from before",
                  flush=True)
        still = score_waiting_sessions(ctx)
        if still:
            print(f"{still} finished test(s) wait for the scoring service to score their "
                  "writing; their results follow when it answers", flush=True)
    if alone in (None, "scoring"):   # events its decisions recorded and could not hand over
        from datetime import timedelta

        from services.common.outbox import deliver_waiting
        from services.common.queue import InlineQueue, JobContext, make_queue
        from services.common.redis_client import make_redis

        redis = make_redis(cfg.redis_url) if cfg.redis_url else None
        ctx = JobContext(db=db, config=cfg)
        queue = make_queue(redis, ctx) if redis is not None else InlineQueue(ctx)
        ctx.queue = queue
        sent = deliver_waiting(db, queue, older_than=timedelta(0))
        if sent:
            print(f"delivered {sent} event(s) recorded before the last stop", flush=True)
    workers = args.workers
    if workers > 1 and cfg.redis_url is None:
        print("note: without REDIS_URL the embedded default runs one worker process "
              "(its job queue lives in that process)", file=sys.stderr)
        workers = 1

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-" if args.access_log else None)

        def load(self):
            from services.gateway import create_app, service_app

            return create_app(cfg) if alone is None else service_app(alone, cfg)

    what = "Taitotaso" if alone is None else f"The {alone} service of Taitotaso"
    print(f"{what} is served at http://{args.host}:{args.port}/ ({_safe_url(cfg.database_url)})",
          flush=True)
    _App().run()
    return 0


def cmd_calibrate(args) -> int:
    from services import calibration

    _cfg, db = _database()

    def progress(iteration, max_iter, change):
        print(f"  EM cycle {iteration}/{max_iter}: largest parameter change {change:.5f}",
              file=sys.stderr, flush=True)

    try:
        report = calibration.run(db, mode=args.mode, min_n=args.min_n, apply=args.apply,
                                 progress=progress)
    except ValueError as err:
        return _err(str(err))
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['mode']} calibration of {report['items']} item versions from "
          f"{report['persons']} finished tests: converged={report['converged']} after "
          f"{report['iterations']} EM cycles; ability mean {report['latent_mean']}, SD {report['latent_sd']}")
    print(f"{'item':<34}{'n':>6}{'a':>8}{'se':>7}{'b':>8}{'se':>7}{'fit p':>8}{'DIF':>6}")
    for row in report["item_estimates"]:
        b = row["b"][0] if len(row["b"]) == 1 else sum(row["b"]) / len(row["b"])
        se_b = row["se_b"][0] if row["se_b"] else None
        print(f"{row['id'] + '@' + str(row['version']):<34}{row['n']:>6}{_fmt(row['a'])}{_fmt(row['se_a'], 7)}"
              f"{_fmt(b)}{_fmt(se_b, 7)}{_fmt(row['fit_p'])}{(row['dif_class'] or '-'):>6}"
              + ("  anchor" if row["anchored"] else ""))
    if args.apply:
        from item_bank.block_fits import fit_live_bank

        print(f"applied to {report['applied']} item versions with at least {report['min_n']} "
              f"answers; {fit_live_bank(db)} new block fits kept for the testing service")
    return 0


def cmd_validity_report(args) -> int:
    from services import validity

    return validity.cmd_report(args)


def _fmt(x, width=8):
    return f"{x:>{width}.3f}" if isinstance(x, (int, float)) else f"{'-':>{width}}"


def cmd_staff_add(args) -> int:
    from services.common.accounts import AccountError, add_staff

    _cfg, db = _database()
    try:
        roles = [r for arg in args.role for r in arg.split(",")]
        staff, generated = add_staff(db, args.email, args.name, roles, args.password)
    except AccountError as err:
        return _err(str(err))
    print(json.dumps({"id": staff.id, "email": staff.email, "name": staff.name,
                      "roles": list(staff.roles)}))
    if generated:
        print(f"password (shown once): {generated}", file=sys.stderr)
    return 0


def cmd_score_writing(args) -> int:
    from item_bank.content import writing_tasks
    from scoring.adapters import writing_scorer
    from scoring.textinput import TextInputError, clean, read_answer

    if bool(args.file) == bool(args.jsonl):
        return _err("give the answer FILE, or --jsonl FILE with one answer a line")
    tasks = writing_tasks()
    if args.task and args.task not in tasks:
        return _err(f"no writing task {args.task!r} in the item bank")
    if args.jsonl:
        return _score_writing_batch(args.jsonl, tasks, writing_scorer, clean, TextInputError)
    try:
        with open(args.file, "rb") as fh:
            text = read_answer(fh.read())
    except OSError as err:
        return _err(f"cannot read {args.file}: {err.strerror}")
    except TextInputError as err:
        return _err(str(err))
    prompt, min_words = args.prompt_text or "", None
    if args.task:
        prompt, min_words = tasks[args.task]
    result = writing_scorer().score(text, prompt, min_words, task_id=args.task)
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 0


def _score_writing_batch(path, tasks, make_scorer, clean, TextInputError) -> int:
    """One JSON line in per answer ({"id", "prompt_text" or "task_id", "text"}), one JSON
    line out with the same keys as a single answer's score and ``id``. The language tools
    load once. A line that cannot be scored gets {"id", "error"} and the rest go on; the
    exit status is 1 when any line failed."""
    try:
        fh = open(path, "rb") if path != "-" else sys.stdin.buffer
    except OSError as err:
        return _err(f"cannot read {path}: {err.strerror}")
    scorer, failed = make_scorer(), 0
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            entry = None
            try:
                entry = json.loads(line.decode("utf-8-sig" if n == 1 else "utf-8"))
                if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                    raise ValueError('each line must be a JSON object with a "text" string')
                task_id = entry.get("task_id")
                if task_id is not None and task_id not in tasks:
                    raise ValueError(f"no writing task {task_id!r} in the item bank")
                prompt, min_words = tasks[task_id] if task_id else (str(entry.get("prompt_text") or ""), None)
                result = scorer.score(clean(entry["text"]), prompt, min_words, task_id=task_id)
                out = {"id": entry.get("id"), **result.as_dict()}
            except json.JSONDecodeError as err:
                failed += 1
                out = {"id": None, "line": n, "error": f"line {n} is not a JSON object ({err.msg})"}
            except (ValueError, TextInputError) as err:   # UTF-8 errors are ValueErrors too
                failed += 1
                out = {"id": entry.get("id") if isinstance(entry, dict) else None, "line": n,
                       "error": str(err)}
            print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def cmd_score_speech(args) -> int:
    from item_bank.content import speaking_tasks
    from scoring.speech.audio import AudioProblem
    from scoring.speech.engines import make_recognizer
    from scoring.speech.engines.model_files import ModelFilesMissing
    from scoring.speech.scorer import SpeechScorer
    from services.scoring.handlers import shared_tools

    given = [a for a in (args.reference_text, args.prompt_text, args.item) if a]
    if len(given) != 1:
        return _err("give exactly one of --reference-text (read-aloud), --prompt-text (open "
                    "speaking) or --item (a speaking item of the bank)")
    reference, prompt, cefr, max_seconds = args.reference_text, args.prompt_text, None, None
    if args.item:
        task = speaking_tasks().get(args.item)
        if task is None:
            return _err(f"no speaking item {args.item!r} in the item bank")
        cefr, max_seconds = task["cefr"], task["max_seconds"]
        if task["task"] == "read_aloud":
            reference = task["text"]
        else:
            prompt = task["text"]
    try:
        with open(args.file, "rb") as fh:
            data = fh.read()
    except OSError as err:
        return _err(f"cannot read {args.file}: {err.strerror}")
    try:
        scorer = SpeechScorer(make_recognizer(args.engine, args.threads or None), *shared_tools(),
                              forced_decoding=not args.no_forced_decoding)
        result = scorer.score(data, reference_text=reference, prompt_text=prompt, passage_cefr=cefr,
                              max_seconds=max_seconds)
    except AudioProblem as problem:
        return _err(f"{args.file}: {problem} ({problem.code})")
    except (ModelFilesMissing, ValueError) as err:
        return _err(str(err))
    print(json.dumps(result, ensure_ascii=False))
    return 0


def cmd_fit_writing(args) -> int:
    from item_bank.content import writing_tasks
    from scoring.adapters import default_tools
    from scoring.evidence import TestMaterial
    from scoring.fit import RatedTextsError, evaluate, fit, read_rated
    from scoring.written import WritingScorer

    try:
        rows = read_rated(args.csv)
        heldout = read_rated(args.heldout) if args.heldout else []
    except (OSError, RatedTextsError) as err:
        return _err(str(err))
    tasks, tools, material = writing_tasks(), default_tools(), TestMaterial.from_item_bank()
    model = fit(rows, tools, tasks, alpha=args.alpha, material=material,
                trained_on=f"{Path(args.csv).name} ({len(rows)} texts)")
    scorer = WritingScorer(*tools, model=model, material=material)
    model.agreement["train"] = evaluate(scorer, rows, tasks)
    if heldout:
        model.agreement["heldout"] = evaluate(scorer, heldout, tasks)
    model.save(args.out)
    print(json.dumps({"model": args.out, "version": model.version, "agreement": model.agreement,
                      "residual_sd": model.residual_sd, "confidence": model.confidence,
                      "merged": model.merged}))
    return 0


def cmd_worker(args) -> int:
    from services.worker import run_worker

    return run_worker(burst=args.burst)


def cmd_recordings_purge(args) -> int:
    from services.common.config import Config
    from services.common.db import Database
    from services.scoring.retention import purge_recordings

    config = Config.from_env()
    days = args.days or config.recording_retention_days
    n = purge_recordings(Database(config.database_url), days)
    print(f"deleted the recordings and transcripts of {n} spoken answers older than {days} days")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="taitotaso", description="Taitotaso: adaptive Finnish tests")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the whole suite (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--seed", action="store_true", help="seed the item bank before serving")
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument("--service", choices=("testing", "scoring", "results", "authoring", "library"),
                       help="serve one service alone; it finds the others through configuration "
                            "(TAITOTASO_SCORING_URL...). Without it: the whole suite in one process")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema and content")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="apply Alembic migrations").set_defaults(func=cmd_db_upgrade)
    seed = dbsub.add_parser("seed", help="load item_bank/content into the database (changed content "
                                         "becomes new versions; items made in the authoring service stay)")
    seed.add_argument("--if-empty", action="store_true", help="only when the bank has no items yet")
    seed.add_argument("--prune", action="store_true",
                      help="also retire live items that are not in the content files")
    seed.set_defaults(func=cmd_db_seed)

    library = sub.add_parser("library", help="the Katso material library")
    lsub = library.add_subparsers(dest="library_command", required=True)
    lsub.add_parser("seed", help="add the seed material the database lacks (edits by curators stay)"
                    ).set_defaults(func=cmd_library_seed)

    items = sub.add_parser("items", help="the item bank")
    isub = items.add_subparsers(dest="items_command", required=True)
    export = isub.add_parser("export", help="print the live items as JSON lines")
    export.add_argument("--with-keys", action="store_true", help="include the answer keys")
    export.set_defaults(func=cmd_items_export)
    qx = isub.add_parser("export-qti", help="write items as an IMS QTI 3.0 package (zip)")
    qx.add_argument("path")
    qx.add_argument("--status", default="live", choices=["live", "reviewed", "draft", "retired", "all"])
    qx.set_defaults(func=cmd_items_export_qti)
    qi = isub.add_parser("import-qti", help="read items from an IMS QTI 3.0 package (all or nothing)")
    qi.add_argument("path")
    qi.add_argument("--keep-status", action="store_true",
                    help="keep the package's review status (default: import as drafts)")
    qi.set_defaults(func=cmd_items_import_qti)
    cov = isub.add_parser("coverage", help="the skill x level table of the live item content (Markdown)")
    cov.add_argument("--readme", help="rewrite the table between the coverage markers of this file")
    cov.set_defaults(func=cmd_items_coverage)

    sim = sub.add_parser("simulate", help="seeded simulations of adaptive tests")
    sim.add_argument("--bank", default="seed", help="'seed' (the item content) or 'synthetic:N'")
    sim.add_argument("--examinees", type=int, default=1000)
    sim.add_argument("--rule", choices=["flags", "production"], default="flags",
                     help="the stopping rule: 'production' (assessment/data/stopping.json, the one the "
                          "testing service uses) or 'flags' (made of --min-items, --max-items, "
                          "--sem-target and --cefr-stop; the default)")
    sim.add_argument("--max-items", type=int, default=None, help="stop at this many items (default: 20)")
    sim.add_argument("--min-items", type=int, default=None,
                     help="never stop before this many items (default: --max-items, a fixed length)")
    sim.add_argument("--sem-target", type=float, default=None, help="stop when the SEM is this small")
    sim.add_argument("--cefr-stop", action="store_true",
                     help="stop when the 95%% interval lies inside one CEFR band")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--truth", default="engine",
                     help="parameters the simulees answer from: 'engine' (the engine's own) or "
                          "'perturbed:b_sd=0.5,a_logsd=0.3,shift=0.5' (difficulties moved by "
                          "N(0, b_sd) + shift, discriminations times lognormal(0, a_logsd); seeded)")
    sim.add_argument("--randomesque", type=int, default=2, help="exposure control: pick among the k best")
    sim.add_argument("--max-exposure", type=float, default=0.25,
                     help="exposure control: leave out items shown to more than this share of tests")
    sim.add_argument("--no-exposure-control", action="store_true")
    sim.add_argument("--json", action="store_true")
    sim.add_argument("--progress", action="store_true", help="show progress also with --json")
    loop = sim.add_argument_group("the calibration loop through the testing service")
    loop.add_argument("--recalibrate-after", type=int, default=None, metavar="N",
                      help="N simulated job seekers take tests through the testing service, then "
                           "calibrate --apply publishes a new bank version; prints before, after and "
                           "oracle for --examinees evaluation simulees (needs --bank seed)")
    loop.add_argument("--anchors", type=float, default=0.2,
                      help="share of items trusted (truth = their parameters) that anchor the scale")
    loop.add_argument("--pretest", type=float, default=0.05, help="share of items given as pretest items")
    loop.add_argument("--population-mean", type=float, default=0.0,
                      help="mean ability of the simulated job seekers")
    loop.add_argument("--calibration-mode", choices=["free", "anchored"], default=None,
                      help="default: anchored when --anchors > 0")
    loop.add_argument("--calibrate-min-n", type=int, default=100,
                      help="apply estimates of items with at least this many answers")
    loop.add_argument("--workers", type=int, default=1, help="processes taking tests at once")
    sim.set_defaults(func=cmd_simulate)

    cal = sub.add_parser("calibrate", help="estimate item parameters from the answers of finished tests")
    cal.add_argument("--mode", choices=["free", "anchored"], default=None,
                     help="free: estimate all; anchored: keep calibrated live items fixed "
                          "(default: anchored once live items have been calibrated)")
    cal.add_argument("--min-n", type=int, default=100, help="apply only items with this many answers")
    cal.add_argument("--apply", action="store_true", help="write the estimates into the item bank")
    cal.add_argument("--json", action="store_true")
    cal.set_defaults(func=cmd_calibrate)

    validity = sub.add_parser("validity", help="validity monitoring for admins")
    vsub = validity.add_subparsers(dest="validity_command", required=True)
    vrep = vsub.add_parser("report", help="machine vs coach agreement, the latest calibration's flags, "
                                          "exposure, test length, SEM, provisional items")
    vrep.add_argument("--json", action="store_true")
    vrep.set_defaults(func=cmd_validity_report)

    score = sub.add_parser("score", help="score an answer and print the JSON")
    scsub = score.add_subparsers(dest="score_command", required=True)
    sw = scsub.add_parser("writing", help="a written answer: CEFR level, sub-scores, confidence, feedback")
    sw.add_argument("file", nargs="?", help="the answer as a UTF-8 text file")
    sw.add_argument("--jsonl", help='many answers: a file of JSON lines {"id", "prompt_text" or '
                                    '"task_id", "text"} (- for standard input); prints one JSON line each')
    sw.add_argument("--prompt-text", help="the task's prompt")
    sw.add_argument("--task", help="or the id of a writing task in the item bank")
    sw.set_defaults(func=cmd_score_writing)
    ss = scsub.add_parser("speech", help="a recording: transcript, CEFR level, fluency, read-aloud accuracy")
    ss.add_argument("file", help="the recording (WAV, MP3, Ogg, WebM, M4A; at most 120 s)")
    ss.add_argument("--reference-text", help="read-aloud: the text that was read")
    ss.add_argument("--prompt-text", help="open speaking: the task that was answered")
    ss.add_argument("--item", help="or the id of a read_aloud or speaking_prompt item in the bank")
    ss.add_argument("--engine", default=os.environ.get("TAITOTASO_ASR_ENGINE") or "faster-whisper",
                    choices=("faster-whisper", "speechbrain"))
    ss.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    ss.add_argument("--no-forced-decoding", action="store_true",
                    help="read-aloud accuracy from the transcript alone")
    ss.set_defaults(func=cmd_score_speech)

    fitp = sub.add_parser("fit", help="fit a scoring model")
    fsub = fitp.add_subparsers(dest="fit_command", required=True)
    fw = fsub.add_parser("writing-model", help="fit the writing level model on a CSV of rated texts")
    fw.add_argument("csv")
    fw.add_argument("--heldout", help="a CSV never fitted on: agreement is reported on it")
    fw.add_argument("--alpha", type=float, default=5.0, help="ridge penalty")
    fw.add_argument("--out", default="scoring/data/writing_model.json")
    fw.set_defaults(func=cmd_fit_writing)

    staff = sub.add_parser("staff", help="staff accounts: authors, reviewers, coaches, curators, panelists, admins")
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    add = ssub.add_parser("add", help="add a staff member: author, reviewer, coach, curator, panelist or admin")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, action="append",
                     help="author, reviewer, coach, curator (Katso material), panelist (standard setting) or admin; repeat (or separate with commas) "
                          "for several, e.g. --role coach --role admin")
    add.add_argument("--password", help="at least 10 characters; without it one is made and printed once")
    add.set_defaults(func=cmd_staff_add)

    rec = sub.add_parser("recordings", help="spoken answers' recordings and transcripts")
    rsub = rec.add_subparsers(dest="recordings_command", required=True)
    purge = rsub.add_parser("purge", help="delete recordings and transcripts older than the "
                                          "retention period (TAITOTASO_RECORDING_RETENTION_DAYS)")
    purge.add_argument("--days", type=int, help="this period instead of the configured one")
    purge.set_defaults(func=cmd_recordings_purge)

    worker = sub.add_parser("worker", help="run queued jobs from Redis (production)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
