"""Synthetic Finnish speech for tests and benchmarks, made with espeak-ng's Finnish voice.

espeak-ng is a formant synthesiser: its speech is robotic, perfectly regular and free of
noise, hesitation and accent. Real learners' recordings differ in every one of these, so
figures measured on these clips (recognition accuracy above all) are an optimistic
reference point, not an estimate of accuracy on real speech.

Every function returns 16 kHz mono float32 audio in [-1, 1]. Synthesis needs Debian's
``espeak-ng`` and ``sox``.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from item_bank.content import load_content

from .audio import to_wav
from .ports import SAMPLE_RATE

_FRAME = int(0.03 * SAMPLE_RATE)


class SynthesisError(RuntimeError):
    """espeak-ng or sox failed or is missing."""


def synthesize(text: str, *, wpm: int = 150, pitch: int = 50, voice: str = "fi") -> np.ndarray:
    """``text`` read aloud at ``wpm`` words a minute. Text containing ``<break`` is SSML
    (e.g. ``<break time="800ms"/>``), wrapped in ``<speak>`` unless it already is; text
    starting with ``<speak`` is SSML too."""
    wrapped = text.lstrip().startswith("<speak")
    ssml = wrapped or "<break" in text
    if ssml and not wrapped:
        text = f"<speak>{text}</speak>"
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "espeak.wav", Path(tmp) / "out.wav"
        _run(["espeak-ng", *(["-m"] if ssml else []), "-v", voice, "-s", str(wpm), "-p", str(pitch),
              "-w", str(raw), text])
        # -D: no dither, so silences stay digital zeros and the output is reproducible
        _run(["sox", str(raw), "-D", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(out)])
        with wave.open(str(out), "rb") as w:
            pcm = w.readframes(w.getnframes())
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def with_pauses(words: list[str], after: list[int], seconds: float, **kw) -> np.ndarray:
    """``words`` spoken with a silence of ``seconds`` after each word index in ``after``.

    The pauses are SSML breaks: the silence after such a word lasts ``seconds`` to within
    about 15 ms, and replaces (does not add to) the pause a sentence end would have had.
    ``kw`` goes to ``synthesize``.
    """
    if any(not 0 <= i < len(words) for i in after):
        raise ValueError(f"pause positions {after} outside the {len(words)} words")
    pause = f' <break time="{round(seconds * 1000)}ms"/>'
    marked = set(after)
    text = " ".join(escape(w) + (pause if i in marked else "") for i, w in enumerate(words))
    return synthesize(f"<speak>{text}</speak>", **kw)


def skip_words(words: list[str], k: int, rng: np.random.Generator) -> tuple[list[str], list[int]]:
    """A reading that leaves out ``k`` words, never the first: (kept words, sorted dropped indices)."""
    if not 0 <= k < len(words):
        raise ValueError(f"cannot drop {k} of {len(words)} words while keeping the first")
    dropped = sorted(int(i) for i in rng.choice(np.arange(1, len(words)), size=k, replace=False))
    gone = set(dropped)
    return [w for i, w in enumerate(words) if i not in gone], dropped


def tempo(audio: np.ndarray, factor: float) -> np.ndarray:
    """The same speech ``factor`` times as fast, pitch kept (sox ``tempo``): below 1 is slower."""
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(SAMPLE_RATE)]
    out = _run(["sox", *fmt, "-", *fmt, "-", "tempo", "-s", str(factor)],
               np.asarray(audio, dtype="<f4").tobytes())
    return np.clip(np.frombuffer(out, dtype="<f4"), -1.0, 1.0).astype(np.float32)


def speech_rms(audio: np.ndarray) -> float:
    """RMS of the 30 ms frames louder than a hundredth of the loudest frame (the pauses
    between words do not count)."""
    n = len(audio) // _FRAME
    if n == 0:
        return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0
    power = np.mean(np.square(audio[: n * _FRAME].reshape(n, _FRAME), dtype=np.float64), axis=1)
    return float(np.sqrt(np.mean(power[power >= power.max() * 1e-4])))


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White Gaussian noise at ``snr_db`` below the speech level (``speech_rms``), clipped to [-1, 1]."""
    sigma = speech_rms(audio) / 10 ** (snr_db / 20)
    noisy = audio + rng.normal(0.0, sigma, len(audio))
    return np.clip(noisy, -1.0, 1.0).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    """Digital silence."""
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def tone(seconds: float, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    """A sine wave; an ``amplitude`` above 1 gives a clipped (flat-topped) recording."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return np.clip(amplitude * np.sin(2 * np.pi * freq * t), -1.0, 1.0).astype(np.float32)


def to_wav_bytes(audio: np.ndarray) -> bytes:
    """16-bit PCM WAV bytes, as a browser upload would bring them."""
    return to_wav(audio)


def passages(max_words: int | None = None) -> list[tuple[str, str]]:
    """(item id, text) of every read-aloud item in the item bank, in bank order; with
    ``max_words``, only texts of at most that many words."""
    out = [(item.id, " ".join(item.content["text"].split()))
           for item in load_content() if item.kind == "read_aloud"]
    return [p for p in out if max_words is None or len(p[1].split()) <= max_words]


def _run(cmd: list[str], stdin: bytes | None = None) -> bytes:
    if shutil.which(cmd[0]) is None:
        raise SynthesisError(f"{cmd[0]} is not installed (Debian package {cmd[0]})")
    done = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
    if done.returncode != 0:
        raise SynthesisError(f"{cmd[0]} failed: {done.stderr.decode(errors='replace')[:300]}")
    return done.stdout
