"""Fluency from the audio itself: how fast, how continuously, how long the pauses.

Speech segments come from the Silero voice-activity model that faster-whisper carries
(an ONNX file inside the PyPI package). A *pause* is a silent stretch of at least
0.25 s between two segments (De Jong & Bosker 2013 found 250 ms the best threshold
for L2 fluency); silence before the first and after the last word is not a pause.
Syllables are counted with Voikko's Finnish hyphenation.

- speech rate: syllables per second over the spoken span (pauses included)
- articulation rate: syllables per second of speech time (pauses excluded)
- speech share: speech time / spoken span (phonation-time ratio)
- pitch variation: the spread of F0 over voiced frames (semitones, and Hincks's pitch
  variation quotient); speech flatter than live speech (``FLAT_PVQ``) is not rated above
  B1 for fluency, so that a synthetic voice reading without pauses is not "C2"

The level a fluency profile suggests is read off anchor values per CEFR level
(``ANCHORS``) by piecewise-linear interpolation, each measure monotone in the right
direction. The anchors are set from the L2 fluency literature (De Jong et al. 2012;
Kormos & Dénes 2004; the Finnish national certificate's descriptors of tempo and
pausing), not fitted on rated Finnish speech: no such corpus ships in a package.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from .ports import SAMPLE_RATE

PAUSE_S = 0.25
LONG_PAUSE_S = 1.0
# pitch variation quotient below which speech counts as flat. Hincks (2005, "Measures and
# perceptions of liveliness in student oral presentation speech") found PVQ 0.11–0.23 in
# speakers' presentations and perceived monotony below about 0.10; espeak-ng's Finnish
# voices measure 0.06–0.12 here. A flat voice is not evidence of fluent speech: the
# fluency level of flat free speech is held at B1 at most (CEFR phonological control:
# varied intonation belongs to B2 and up). Reading aloud is not held: a text read out
# evenly is no sign of a machine.
FLAT_PVQ = 0.10
FLAT_FLUENCY_MAX = 2.0
Segments = list[tuple[float, float]]

# value of each measure at the levels A1, A2, B1, B2, C1, C2
ANCHORS = {
    "speech_rate": (1.2, 1.9, 2.6, 3.3, 3.9, 4.4),         # syllables / s, higher is better
    "mean_pause_s": (1.6, 1.2, 0.9, 0.7, 0.55, 0.45),      # lower is better
    "speech_share": (0.45, 0.55, 0.65, 0.73, 0.80, 0.85),  # higher is better
}


@dataclass
class Fluency:
    duration_s: float
    span_s: float
    speech_s: float
    syllables: int
    speech_rate: float
    articulation_rate: float
    speech_share: float
    pause_count: int
    mean_pause_s: float
    long_pauses: int
    pauses_per_minute: float
    pauses: list[tuple[float, float]]
    # intonation: the spread of the voice's pitch over voiced frames (see ``pitch_variation``)
    pitch_sd_semitones: float = 0.0
    pitch_variation: float = 0.0    # PVQ: SD / mean of F0 in Hz (Hincks 2005)
    voiced_frames: int = 0

    @property
    def flat_intonation(self) -> bool:
        """Pitch varies less than in live speech: a synthetic or read-out monotone. Only
        judged with enough voiced speech (two seconds)."""
        return self.voiced_frames >= 200 and self.pitch_variation < FLAT_PVQ

    def as_dict(self) -> dict:
        d = asdict(self)
        d["pauses"] = [[round(a, 2), round(b, 2)] for a, b in self.pauses]
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


def silero_segments(audio: np.ndarray) -> Segments:
    """Speech stretches (seconds) by the Silero VAD, with short gaps kept apart."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(threshold=0.5, min_speech_duration_ms=60, min_silence_duration_ms=120,
                      speech_pad_ms=30)
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE)
            for s in get_speech_timestamps(audio, vad_options=opts, sampling_rate=SAMPLE_RATE)]


def count_syllables(words: list[str], syllables: Callable[[str], list[str]]) -> int:
    """Finnish syllables of the words; digits (a number said aloud) count two per digit."""
    total = 0
    for word in words:
        for part in re.findall(r"[^\W\d_]+|\d+", word):
            if part.isdigit():
                total += 2 * len(part)
            else:
                total += max(1, len(syllables(part) or [part]))
    return total


def pitch_track(audio: np.ndarray, fmin: float = 70.0, fmax: float = 400.0,
                frame_s: float = 0.04, hop_s: float = 0.01) -> np.ndarray:
    """F0 (Hz) of the voiced frames: the lag of the normalised autocorrelation's highest
    peak between 1/fmax and 1/fmin, kept where that peak is above 0.6 (clearly periodic)
    and the frame is not near-silent. Autocorrelation pitch detection as in Boersma
    (1993), without his refinements; enough for a spread of pitch."""
    n, hop = int(frame_s * SAMPLE_RATE), int(hop_s * SAMPLE_RATE)
    if len(audio) < n:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(audio.astype(np.float64), n)[::hop]
    frames = frames - frames.mean(axis=1, keepdims=True)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    frames = frames[rms >= 0.1 * np.sqrt(np.mean(audio.astype(np.float64) ** 2))]
    if not len(frames):
        return np.zeros(0)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(frames, size, axis=1)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), size, axis=1)[:, :n]
    ac = ac / np.maximum(ac[:, :1], 1e-12)
    lo, hi = int(SAMPLE_RATE / fmax), int(SAMPLE_RATE / fmin)
    window = ac[:, lo:hi + 1]
    best = window.argmax(axis=1)
    voiced = window[np.arange(len(window)), best] > 0.6
    return SAMPLE_RATE / (lo + best[voiced])


def pitch_spread(f0: np.ndarray) -> tuple[float, float]:
    """(SD in semitones around the median, SD/mean in Hz) of a pitch track, the outer 5 %
    on each side left out (octave errors of the tracker)."""
    if len(f0) < 10:
        return 0.0, 0.0
    lo, hi = np.percentile(f0, [5, 95])
    kept = f0[(f0 >= lo) & (f0 <= hi)]
    semitones = 12 * np.log2(kept / np.median(kept))
    return float(np.std(semitones)), float(np.std(kept) / np.mean(kept))


def measure(audio: np.ndarray, n_syllables: int, segments: Segments | None = None) -> Fluency:
    segs = silero_segments(audio) if segments is None else segments
    duration = len(audio) / SAMPLE_RATE
    if not segs:
        return Fluency(duration, 0.0, 0.0, n_syllables, 0.0, 0.0, 0.0, 0, 0.0, 0, 0.0, [])
    f0 = pitch_track(audio)
    sd_st, pvq = pitch_spread(f0)
    span = segs[-1][1] - segs[0][0]
    speech = sum(b - a for a, b in segs)
    pauses = [(segs[i][1], segs[i + 1][0]) for i in range(len(segs) - 1)
              if segs[i + 1][0] - segs[i][1] >= PAUSE_S]
    lengths = [b - a for a, b in pauses]
    return Fluency(
        duration_s=duration, span_s=span, speech_s=speech, syllables=n_syllables,
        speech_rate=n_syllables / span if span > 0 else 0.0,
        articulation_rate=n_syllables / speech if speech > 0 else 0.0,
        speech_share=speech / span if span > 0 else 0.0,
        pause_count=len(pauses), mean_pause_s=float(np.mean(lengths)) if lengths else 0.0,
        long_pauses=sum(1 for x in lengths if x >= LONG_PAUSE_S),
        pauses_per_minute=60.0 * len(pauses) / span if span > 0 else 0.0, pauses=pauses,
        pitch_sd_semitones=sd_st, pitch_variation=pvq, voiced_frames=len(f0))


def _level(value: float, anchors: tuple[float, ...]) -> float:
    """Numeric level 0..5 (A1..C2) of a value between the anchors, linear in between."""
    xs = np.asarray(anchors, dtype=float)
    levels = np.arange(len(xs), dtype=float)
    if xs[0] > xs[-1]:          # lower is better: flip to an increasing axis
        xs, levels = xs[::-1], levels[::-1]
    return float(np.interp(value, xs, levels))


def fluency_levels(f: Fluency) -> dict[str, float]:
    """The level each measure suggests; a clip without pauses is not penalised for them."""
    out = {"speech_rate": _level(f.speech_rate, ANCHORS["speech_rate"]),
           "speech_share": _level(f.speech_share, ANCHORS["speech_share"])}
    out["mean_pause_s"] = (_level(f.mean_pause_s, ANCHORS["mean_pause_s"]) if f.pause_count
                           else 5.0)
    return out


def fluency_score(f: Fluency, free_speech: bool = False) -> float:
    """Numeric fluency level 0..5: rate counts twice, pausing and continuity once each.
    In free speech (not reading aloud) flat intonation holds it at ``FLAT_FLUENCY_MAX``."""
    lv = fluency_levels(f)
    score = float((2 * lv["speech_rate"] + lv["mean_pause_s"] + lv["speech_share"]) / 4)
    return min(score, FLAT_FLUENCY_MAX) if free_speech and f.flat_intonation else score
