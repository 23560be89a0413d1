"""`taitotaso simulate`: seeded simulations of adaptive tests (and, with
``--recalibrate-after``, the calibration loop through the testing service)."""
from __future__ import annotations

import json
import sys

from .common import _err


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
