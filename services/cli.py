"""The `taitotaso` command."""
from __future__ import annotations

import argparse
import json
import sys


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


def cmd_db_seed(args) -> int:
    from item_bank.content import load_content
    from item_bank.repository import ItemRepository
    from item_bank.schema import ContentError

    from item_bank.audio import AudioError, synthesise

    cfg, db = _database()
    try:
        items = load_content()
    except ContentError as err:
        return _err(f"item content is not valid, nothing was seeded: {err}")
    cache = cfg.var_dir / "cache" / "audio"

    def progress(done, total):
        print(f"  seeding items: {done}/{total}", file=sys.stderr, flush=True)

    try:
        with db.session() as s:
            report = ItemRepository(s).seed(items, make_audio=lambda text, cefr: synthesise(text, cefr, cache),
                                            progress=progress)
            version = ItemRepository(s).bank_version()
    except AudioError as err:
        return _err(f"listening audio could not be made, nothing was seeded: {err}")
    print(json.dumps({"live_items": len(items), "bank_version": version, **report.as_dict()}))
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


def cmd_items_coverage(args) -> int:
    """Markdown table of the item content: skill x CEFR level (for the README)."""
    from collections import Counter

    from assessment.cefr import LEVELS
    from item_bank.content import load_content
    from item_bank.schema import ContentError

    try:
        items = load_content()
    except ContentError as err:
        return _err(str(err))
    cells = Counter((i.skill, i.cefr) for i in items)
    kinds = Counter((i.skill, i.kind) for i in items)
    skills = sorted({i.skill for i in items})
    levels = [lvl for lvl in LEVELS if any(cells[(s, lvl)] for s in skills)]
    print("| skill | " + " | ".join(levels) + " | total | kinds |")
    print("|---|" + "---:|" * (len(levels) + 1) + "---|")
    for sk in skills:
        row = [str(cells[(sk, lvl)]) for lvl in levels]
        kind_text = ", ".join(f"{k} {n}" for (s, k), n in sorted(kinds.items()) if s == sk)
        print(f"| {sk} | " + " | ".join(row) + f" | {sum(cells[(sk, lvl)] for lvl in levels)} | {kind_text} |")
    totals = [str(sum(cells[(s, lvl)] for s in skills)) for lvl in levels]
    print("| **all** | " + " | ".join(totals) + f" | **{len(items)}** | |")
    return 0


# -- simulate ------------------------------------------------------------------------
def cmd_simulate(args) -> int:
    import numpy as np

    from assessment.cefr import CutScores
    from assessment.pool import ItemPool, synthetic_pool
    from assessment.selection import Blueprint, MaxInformation, Randomesque
    from assessment.simulation import simulate
    from assessment.stopping import StoppingRule

    cuts = CutScores.load()
    blueprint = None
    if args.bank == "seed":
        from item_bank.content import load_content

        items = load_content(cuts=cuts)
        pool = ItemPool([i.pool_item() for i in items])
        blueprint = Blueprint.load()
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
    if args.examinees < 1 or args.max_items < 1:
        return _err("--examinees and --max-items must be at least 1")
    min_items = args.min_items if args.min_items is not None else args.max_items
    try:
        stopping = StoppingRule(min_items=min(min_items, args.max_items), max_items=args.max_items,
                                sem_target=args.sem_target, cefr_band=args.cefr_stop)
    except ValueError as err:
        return _err(str(err))
    if args.no_exposure_control:
        factory, max_rate = MaxInformation, None
    else:
        factory, max_rate = (lambda: Randomesque(args.randomesque)), args.max_exposure

    def progress(done, total):
        if not args.json or args.progress:
            print(f"  {done}/{total} simulees", file=sys.stderr, flush=True)

    report = simulate(pool, examinees=args.examinees, stopping=stopping, selector_factory=factory,
                      cuts=cuts, blueprint=blueprint, seed=args.seed, max_exposure_rate=max_rate,
                      progress=progress)
    out = report.as_dict()
    out["config"] = {"bank": args.bank, "bank_size": pool.size, "seed": args.seed,
                     "min_items": stopping.min_items, "max_items": stopping.max_items,
                     "sem_target": stopping.sem_target, "cefr_stop": stopping.cefr_band,
                     "exposure_control": None if max_rate is None else
                     {"randomesque_k": args.randomesque, "max_rate": max_rate},
                     "estimator": "EAP", "cut_scores": cuts.version}
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>16}: {v}")
    return 0


# -- serving -------------------------------------------------------------------------
def cmd_serve(args) -> int:
    from gunicorn.app.base import BaseApplication

    cfg, db = _database()
    if args.seed:
        rc = cmd_db_seed(args)
        if rc:
            return rc
    from services.common.queue import JobContext
    from services.testing.jobs import record_pending_statistics

    caught_up = record_pending_statistics(JobContext(db=db))
    if caught_up:
        print(f"recorded the item statistics of {caught_up} finished test(s) left from before",
              flush=True)
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
            from services.gateway import create_app

            return create_app(cfg)

    print(f"Taitotaso is served at http://{args.host}:{args.port}/ ({_safe_url(cfg.database_url)})",
          flush=True)
    _App().run()
    return 0


def cmd_worker(args) -> int:
    from services.worker import run_worker

    return run_worker(burst=args.burst)


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
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema and content")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="apply Alembic migrations").set_defaults(func=cmd_db_upgrade)
    dbsub.add_parser("seed", help="load item_bank/content into the database").set_defaults(func=cmd_db_seed)

    items = sub.add_parser("items", help="the item bank")
    isub = items.add_subparsers(dest="items_command", required=True)
    export = isub.add_parser("export", help="print the live items as JSON lines")
    export.add_argument("--with-keys", action="store_true", help="include the answer keys")
    export.set_defaults(func=cmd_items_export)
    isub.add_parser("coverage", help="print the skill x level table of the item content (Markdown)") \
        .set_defaults(func=cmd_items_coverage)

    sim = sub.add_parser("simulate", help="seeded simulations of adaptive tests")
    sim.add_argument("--bank", default="seed", help="'seed' (the item content) or 'synthetic:N'")
    sim.add_argument("--examinees", type=int, default=1000)
    sim.add_argument("--max-items", type=int, default=20)
    sim.add_argument("--min-items", type=int, default=None,
                     help="never stop before this many items (default: --max-items, a fixed length)")
    sim.add_argument("--sem-target", type=float, default=None, help="stop when the SEM is this small")
    sim.add_argument("--cefr-stop", action="store_true",
                     help="stop when the 95%% interval lies inside one CEFR band")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--randomesque", type=int, default=2, help="exposure control: pick among the k best")
    sim.add_argument("--max-exposure", type=float, default=0.25,
                     help="exposure control: leave out items shown to more than this share of tests")
    sim.add_argument("--no-exposure-control", action="store_true")
    sim.add_argument("--json", action="store_true")
    sim.add_argument("--progress", action="store_true", help="show progress also with --json")
    sim.set_defaults(func=cmd_simulate)

    worker = sub.add_parser("worker", help="run queued jobs from Redis (production)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
