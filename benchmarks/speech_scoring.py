"""Read-aloud scoring on synthetic passages: monotonicity and what forced decoding adds.

For each passage (the item bank's read-aloud texts, spoken by espeak-ng) four readings:
- ``normal``: the whole text at 150 words a minute;
- ``skipped``: a fifth of the words left out (never the first);
- ``slower``: the normal reading slowed to 70 % tempo (sox, pitch kept);
- ``pauses``: three silences of 1.5 s inserted between words.
Each is scored as read-aloud of the full text. Monotonicity: the share of passages where
the variant scores lower than the normal reading on the matching sub-score (skipped →
accuracy, slower → fluency and speech rate, pauses → fluency and mean pause).

Forced decoding: the mean absolute error of the accuracy estimate against the truth
(1 for the normal reading, the share of words kept for the skipped one), from the
transcript alone and with forced decoding; and how often a word is called read/not read
rightly. espeak-ng is robotic: real learners' speech will differ.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from scoring.adapters import default_tools
from scoring.speech import synthetic as sy
from scoring.speech.engines import make_recognizer
from scoring.speech.read_aloud import reference_words
from scoring.speech.scorer import SpeechScorer

from speech import select  # benchmarks/speech.py: passages spread over the levels


def readings(text: str, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, list[int]]]:
    words = reference_words(text)
    normal = sy.synthesize(" ".join(words))
    kept, dropped = sy.skip_words(words, max(1, round(len(words) / 5)), rng)
    after = sorted(rng.choice(np.arange(len(words) - 1), size=min(3, len(words) - 1), replace=False))
    return {"normal": (normal, []),
            "skipped": (sy.synthesize(" ".join(kept)), dropped),
            "slower": (sy.tempo(normal, 0.7), []),
            "pauses": (sy.with_pauses(words, [int(a) for a in after], 1.5), [])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=10)
    ap.add_argument("--engine", default="faster-whisper")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    scorer = SpeechScorer(make_recognizer(args.engine, threads=2), *default_tools())
    chosen = select(args.passages)
    rows, word_calls = [], {"forced": [], "transcript": []}
    started = time.perf_counter()
    for pid, level, text in chosen:
        row = {"id": pid, "level": level}
        for variant, (audio, dropped) in readings(text, rng).items():
            r = scorer.score(audio, reference_text=text, passage_cefr=level)
            truth = 1.0 - len(dropped) / len(r["words"])
            row[variant] = {"accuracy": r["accuracy"], "accuracy_asr": r["accuracy_transcript_only"],
                            "truth": truth, "fluency": r["subscores"]["fluency"],
                            "accuracy_sub": r["subscores"]["accuracy"], "speech_rate": r["speech_rate"],
                            "mean_pause_s": r["mean_pause_s"], "pause_count": r["pause_count"],
                            "score": r["score"], "cefr": r["cefr"], "wer": r["wer"]}
            if variant in ("normal", "skipped"):
                for i, w in enumerate(r["words"]):
                    read = i not in dropped
                    word_calls["forced"].append((w["status"] == "read") == read)
                    word_calls["transcript"].append((w["asr"] == "equal") == read)
        rows.append(row)
        if not args.json:
            print(f"  {pid:28s} {level}  " + "  ".join(
                f"{v}: acc {row[v]['accuracy']:.2f} flu {row[v]['fluency']:.2f}"
                for v in ("normal", "skipped", "slower", "pauses")), flush=True)

    def lower(variant: str, key: str, higher_is_better: bool = True) -> float:
        return float(np.mean([(r[variant][key] < r["normal"][key]) if higher_is_better
                              else (r[variant][key] > r["normal"][key]) for r in rows]))

    def mae(key: str) -> float:
        return float(np.mean([abs(r[v][key] - r[v]["truth"]) for r in rows for v in ("normal", "skipped")]))

    figures = {
        "passages": len(rows), "engine": args.engine, "seconds": round(time.perf_counter() - started, 1),
        "monotonicity": {
            "skipped_lower_accuracy": lower("skipped", "accuracy"),
            "skipped_lower_accuracy_subscore": lower("skipped", "accuracy_sub"),
            "slower_lower_fluency": lower("slower", "fluency"),
            "slower_lower_speech_rate": lower("slower", "speech_rate"),
            "pauses_lower_fluency": lower("pauses", "fluency"),
            "pauses_longer_mean_pause": lower("pauses", "mean_pause_s", higher_is_better=False),
            "ties_or_higher": [r["id"] for r in rows if not (
                r["skipped"]["accuracy"] < r["normal"]["accuracy"]
                and r["slower"]["fluency"] < r["normal"]["fluency"]
                and r["pauses"]["fluency"] < r["normal"]["fluency"])],
        },
        "accuracy_mae": {"transcript_only": round(mae("accuracy_asr"), 3),
                         "with_forced_decoding": round(mae("accuracy"), 3)},
        "word_calls_right": {k: round(float(np.mean(v)), 3) for k, v in word_calls.items()},
        "median": {v: {k: round(statistics.median(r[v][k] for r in rows), 3)
                       for k in ("accuracy", "accuracy_asr", "fluency", "speech_rate", "mean_pause_s", "wer")}
                   for v in ("normal", "skipped", "slower", "pauses")},
    }
    if not args.json:
        m = figures["monotonicity"]
        print(f"\nread-aloud scoring, {len(rows)} passages, {args.engine}, {figures['seconds']} s")
        print(f"  skipped words → lower accuracy      {m['skipped_lower_accuracy']:.0%} of passages")
        print(f"  slower        → lower fluency       {m['slower_lower_fluency']:.0%}  (speech rate {m['slower_lower_speech_rate']:.0%})")
        print(f"  long pauses   → lower fluency       {m['pauses_lower_fluency']:.0%}  (longer mean pause {m['pauses_longer_mean_pause']:.0%})")
        a = figures["accuracy_mae"]
        print(f"  accuracy error (MAE vs truth): transcript only {a['transcript_only']:.3f}, "
              f"with forced decoding {a['with_forced_decoding']:.3f}")
        w = figures["word_calls_right"]
        print(f"  words called read/not read rightly: transcript only {w['transcript']:.1%}, "
              f"with forced decoding {w['forced']:.1%}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
