"""The test design's figures: the production stopping rule (assessment/data/stopping.json)
on the seed bank, assembled as the live test assembles it (texts and yes/no blocks scored
as one item each), 1,000 simulees, seed 1, answering from the engine's own parameters and
from a perturbed truth (difficulties off by N(0, 0.5) + 0.5, discriminations by
lognormal(0, 0.3)).

Prints, for each: mean items (scored units), mean answers, mean pages (a block of yes/no
words is one page; a text's questions are a page each), exact and adjacent CEFR
agreement, RMSE and bias, the stop reasons and the share of each kind; then JSON lines.
Runs `taitotaso simulate`, the same command a reader can run by hand.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "taitotaso"
PERTURBED = "perturbed:b_sd=0.5,a_logsd=0.3,shift=0.5"
COMMAND = ["simulate", "--bank", "seed", "--examinees", "1000", "--rule", "production",
           "--seed", "1", "--json"]


def simulate(*extra: str) -> dict:
    out = subprocess.run([str(BIN), *COMMAND, *extra], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def mean_block_size() -> float:
    """Words per yes/no block in the seed bank, as the live test deals them."""
    from assessment.selection import Blueprint
    from item_bank.assembly import assemble, is_block_id
    from item_bank.content import load_content

    _items, pool = assemble([i for i in load_content() if i.status == "live"], Blueprint.load())
    sizes = [len(m) for u, m in pool.members.items() if is_block_id(pool.ids[u])]
    return sum(sizes) / len(sizes) if sizes else 1.0


def pages(report: dict, block_size: float) -> float:
    """Pages a test takes: every answer is a page except a block's words, one page a block."""
    blocks = report["mean_items"] * report["kind_share"].get("yes_no", 0.0)
    return report["mean_answers"] - blocks * (block_size - 1.0)


def main() -> None:
    block_size = mean_block_size()
    runs = {"engine's parameters": simulate(), "perturbed truth": simulate("--truth", PERTURBED)}
    first = next(iter(runs.values()))["config"]
    print(f"production rule: min {first['min_items']}, max {first['max_items']}, SEM target "
          f"{first['sem_target']}, CEFR band {first['cefr_stop']}, level certainty "
          f"{first['level_certainty']}; blueprint {first['blueprint']}; seed bank "
          f"({first['bank_size']} pool entries), 1000 simulees, seed 1")
    for label, r in runs.items():
        print(f"\n{label}:")
        print(f"  mean items {r['mean_items']:.2f} (max {r['max_items']}), mean answers "
              f"{r['mean_answers']:.1f}, mean pages {pages(r, block_size):.1f}")
        print(f"  CEFR exact {r['cefr_exact']:.3f}, adjacent {r['cefr_adjacent']:.3f}, "
              f"RMSE {r['rmse']:.3f}, bias {r['bias']:+.3f}")
        print("  stop reasons: " + ", ".join(f"{k} {v:.3f}" for k, v in r["stop_reasons"].items()))
        print("  kind share:   " + ", ".join(f"{k} {v:.3f}" for k, v in r["kind_share"].items()))
    for label, r in runs.items():
        print(json.dumps({"benchmark": "test_design", "run": label,
                          "mean_pages": round(pages(r, block_size), 2), **r}))


if __name__ == "__main__":
    main()
