"""How far the writing level can be trusted, on the held-out rated texts, beside a
length-only baseline fitted on the training texts in the same run:

1. agreement (exact, adjacent, QWK, Spearman) on all held-out texts and on the
   length-balanced subset (every level cut to the same range of word counts);
2. gaming: each held-out text repeated twice and three times, padded with an unrelated
   paragraph, its sentences shuffled, and turned into a word list — how many score a
   higher level than the original (the target is 0);
3. the reliability table of the confidence and its expected calibration error;
4. whether each analytic sub-score carries information the overall level does not.

Run: ``.venv/bin/python benchmarks/writing_trust.py [--json]``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from item_bank.content import writing_tasks  # noqa: E402
from scoring.adapters import writing_scorer  # noqa: E402
from scoring.evaluation import (LengthBaseline, agreement_table, gaming_table, load_corpus,  # noqa: E402
                                offtask_paragraphs, reliability_table, score_rows,
                                subscore_information)


def _row(name: str, m: dict) -> str:
    return (f"  {name:<22} n={m['n']:>3}  exact {m['exact']:.3f}  adjacent {m['adjacent']:.3f}  "
            f"QWK {m['qwk']:.3f}  Spearman {m['spearman']:.3f}")


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    train, heldout = load_corpus()
    tasks = writing_tasks()
    scorer = writing_scorer()
    baseline = LengthBaseline.fit(train)
    scored = score_rows(scorer, heldout, tasks)
    report = {
        "agreement": agreement_table(scored, baseline),
        "gaming": gaming_table(scorer, [s for s in scored if s["result"].recognised_as == "finnish_text"],
                               tasks, offtask_paragraphs()),
        "reliability": reliability_table(scored),
        "subscores": subscore_information(scored),
        "model": scorer.model.version, "merged_scales": scorer.model.merged,
        "baseline": {"slope_per_log_word": round(baseline.slope, 3), "intercept": round(baseline.intercept, 3)},
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return report
    print(f"writing scorer {report['model']} on {len(heldout)} held-out texts "
          f"(length-only baseline fitted on {len(train)} training texts)")
    for part, t in report["agreement"].items():
        words = t["words"]
        print(f" {part}: {words.get('min')}–{words.get('max')} words, per level "
              + ", ".join(f"{k} {v}" for k, v in t["levels"].items()))
        print(_row("model", t["model"]))
        print(_row("length-only baseline", t["baseline"]))
    print(" gaming (held-out texts the model reads as Finnish writing):")
    for kind, g in report["gaming"].items():
        print(f"  {kind:<22} n={g['n']:>3}  higher level {g['higher_level']:>3}  "
              f"higher score {g['higher_score']:>3}  flagged {g['flagged']:>3}")
    rel = report["reliability"]
    print(f" reliability of the confidence (n={rel['n']}), ECE {rel['ece']:.3f}:")
    for b in rel["bins"]:
        if b["n"]:
            print(f"  confidence {b['bin']}: n={b['n']:>3}  stated {b['confidence']:.3f}  observed exact {b['exact']:.3f}")
    print(" analytic sub-scores: correlation of predicted and rated deviation from the level")
    for scale, info in report["subscores"].items():
        print(f"  {scale:<11} r={info['r_deviation']:+.3f}  ({info['texts_uneven']} of {info['n']} texts rated off the level)")
    print(f" ({report['seconds']} s)")
    return report


if __name__ == "__main__":
    main()
