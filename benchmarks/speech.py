"""Speech recognition engines on synthetic Finnish read-aloud clips.

The clips are the item bank's read-aloud passages spoken by espeak-ng at 150 words a
minute (``scoring.speech.synthetic``): about 12 passages spread over the CEFR levels, or
all of them with ``--full``. espeak-ng is robotic, so accuracy here is an optimistic
reference point, not what learners' recordings will get.

Each engine runs in its own process with 2 threads, so the peak memory (the child's
``ru_maxrss``) is that engine's alone. Per engine: model load time; after one warm-up
clip (not counted), the real-time factor of ``transcribe`` per clip (processing seconds
/ audio seconds, median and p90), the time of ``score_reference`` on the clips of at most
30 s, and the word and character error rates (jiwer, corpus level, after lowercasing,
removing punctuation and collapsing whitespace), also by CEFR level. An engine that
cannot be loaded is reported unavailable with its error.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import jiwer
import numpy as np

from item_bank.content import load_content
from scoring.speech.engines import ENGINES, make_recognizer
from scoring.speech.ports import SAMPLE_RATE, WINDOW_S
from scoring.speech.synthetic import passages, synthesize

THREADS = 2
WPM = 150
WARM_UP = "Hyvää huomenta. Tämä on lyhyt lämmittely ennen varsinaista mittausta."


def select(n: int | None) -> list[tuple[str, str, str]]:
    """(id, CEFR level, text) of ``n`` passages taken in turn from each level, or all."""
    level = {item.id: item.cefr for item in load_content() if item.kind == "read_aloud"}
    by_level: dict[str, list[tuple[str, str, str]]] = {}
    for pid, text in passages():
        by_level.setdefault(level[pid], []).append((pid, level[pid], text))
    ordered = [group[i] for i in range(max(map(len, by_level.values())))
               for _, group in sorted(by_level.items()) if i < len(group)]
    return ordered if n is None else ordered[:n]


def measure(engine: str, clips_path: str) -> dict:
    """In the child process: load the engine and time it on every clip."""
    clips = np.load(clips_path)
    t0 = time.perf_counter()
    try:
        recognizer = make_recognizer(engine, threads=THREADS)
    except Exception as err:  # a missing package, missing weights: the engine is unavailable
        return {"available": False, "error": f"{type(err).__name__}: {err}"}
    load_s = time.perf_counter() - t0
    recognizer.transcribe(clips["warm_up"])
    recognizer.score_reference(clips["warm_up"], WARM_UP.split())
    results = []
    for i, text in enumerate(clips["texts"]):
        audio = clips[f"clip{i}"]
        t = time.perf_counter()
        transcript = recognizer.transcribe(audio)
        transcribe_s = time.perf_counter() - t
        reference_s = None
        if len(audio) <= WINDOW_S * SAMPLE_RATE:
            t = time.perf_counter()
            recognizer.score_reference(audio, str(text).split())
            reference_s = time.perf_counter() - t
        results.append({"transcribe_s": transcribe_s, "score_reference_s": reference_s,
                        "text": transcript.text})
    return {"available": True, "load_s": load_s, "clips": results,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_engine(engine: str, clips_path: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), MKL_NUM_THREADS=str(THREADS))
    done = subprocess.run([sys.executable, __file__, "--child", engine, "--clips", clips_path],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return {"available": False, "error": f"the engine's process failed: {tail}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def normalise(text: str) -> str:
    """Lowercase, punctuation removed, whitespace collapsed."""
    kept = (" " if unicodedata.category(ch).startswith("P") else ch for ch in text.lower())
    return " ".join("".join(kept).split())


def summarise(raw: dict, chosen: list[tuple[str, str, str]], audio_s: list[float]) -> dict:
    if not raw["available"]:
        return raw
    clips = raw["clips"]
    rtf = [c["transcribe_s"] / a for c, a in zip(clips, audio_s)]
    reference_ms = [c["score_reference_s"] * 1000 for c in clips if c["score_reference_s"] is not None]
    refs = [normalise(text) for _, _, text in chosen]
    hyps = [normalise(c["text"]) for c in clips]
    wer_by_level = {}
    for level in sorted({lvl for _, lvl, _ in chosen}):
        idx = [i for i, (_, lvl, _) in enumerate(chosen) if lvl == level]
        wer_by_level[level] = round(jiwer.wer([refs[i] for i in idx], [hyps[i] for i in idx]), 3)
    return {
        "available": True,
        "load_s": round(raw["load_s"], 2),
        "peak_rss_mb": round(raw["peak_rss_mb"]),
        "clips": len(clips),
        "audio_s": round(sum(audio_s), 1),
        "transcribe_s": round(sum(c["transcribe_s"] for c in clips), 1),
        "rtf_median": round(float(np.median(rtf)), 3),
        "rtf_p90": round(float(np.percentile(rtf, 90)), 3),
        "score_reference_clips": len(reference_ms),
        "score_reference_median_ms": round(float(np.median(reference_ms))) if reference_ms else None,
        "wer": round(jiwer.wer(refs, hyps), 3),
        "cer": round(jiwer.cer(refs, hyps), 3),
        "wer_by_level": wer_by_level,
    }


def print_table(figures: dict[str, dict], n_clips: int, audio_s: float) -> None:
    print(f"speech recognition, {n_clips} synthetic read-aloud clips (espeak-ng, {WPM} wpm), "
          f"{audio_s:.0f} s of audio, {THREADS} threads, one warm-up clip not counted")
    head = (f"  {'engine':<15}{'load s':>8}{'peak MB':>9}{'RTF med':>9}{'RTF p90':>9}"
            f"{'ref. ms':>9}{'WER':>7}{'CER':>7}")
    print(head)
    for name, f in figures.items():
        if not f["available"]:
            print(f"  {name:<15}unavailable: {f['error']}")
            continue
        ref = "-" if f["score_reference_median_ms"] is None else f["score_reference_median_ms"]
        print(f"  {name:<15}{f['load_s']:>8.1f}{f['peak_rss_mb']:>9}{f['rtf_median']:>9.3f}"
              f"{f['rtf_p90']:>9.3f}{ref:>9}{f['wer']:>7.3f}{f['cer']:>7.3f}")
    for name, f in figures.items():
        if f["available"]:
            levels = ", ".join(f"{lvl} {w:.3f}" for lvl, w in f["wer_by_level"].items())
            print(f"  {name} WER by level: {levels}; score_reference median over "
                  f"{f['score_reference_clips']} clips of at most {WINDOW_S:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), metavar="ENGINE",
                        help=f"engines to measure (default: {' '.join(ENGINES)})")
    parser.add_argument("--passages", type=int, default=12, metavar="N",
                        help="number of passages, spread over the CEFR levels (default 12)")
    parser.add_argument("--full", action="store_true", help="every read-aloud passage")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--clips", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.clips)))
        return

    chosen = select(None if args.full else args.passages)
    audio = [synthesize(text, wpm=WPM) for _, _, text in chosen]
    audio_s = [len(a) / SAMPLE_RATE for a in audio]
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        clips_path = str(Path(tmp) / "clips.npz")
        np.savez(clips_path, warm_up=synthesize(WARM_UP, wpm=WPM),
                 texts=np.array([text for _, _, text in chosen]),
                 **{f"clip{i}": a for i, a in enumerate(audio)})
        for engine in args.engines:
            if not args.json:
                print(f"{engine}: {len(chosen)} clips ...", file=sys.stderr, flush=True)
            figures[engine] = summarise(run_engine(engine, clips_path), chosen, audio_s)
    if not args.json:
        print_table(figures, len(chosen), sum(audio_s))
    print(json.dumps({"benchmark": "speech", "passages": [pid for pid, _, _ in chosen],
                      "audio_s": round(sum(audio_s), 1), "threads": THREADS, "wpm": WPM,
                      "engines": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
