"""`taitotaso calibrate` (item parameters from finished tests) and `taitotaso validity report`."""
from __future__ import annotations

import json
import sys

from .common import _database, _err


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
