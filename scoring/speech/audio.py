"""Reading a spoken answer: any recording a browser or phone makes, decoded with PyAV
and resampled to 16 kHz mono float32, then checked before any model hears it.

Refused with a code the services turn into a sentence the learner can act on:
``too_large`` (over 10 MB), ``not_audio`` (no audio stream PyAV can decode),
``too_long`` (over 120 s), ``too_short`` (under half a second), ``silent`` (we heard
nothing) and ``clipped`` (too loud: the waveform is cut off).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from .ports import SAMPLE_RATE

MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 120.0
MIN_SECONDS = 0.5
SILENCE_DBFS = -50.0        # an active-speech level below this is a muted microphone
CLIP_LEVEL = 0.999
CLIP_SHARE = 0.01           # more than 1 % of the samples at full scale


class AudioProblem(ValueError):
    """The recording cannot be scored; ``code`` names why, ``detail`` gives numbers."""

    def __init__(self, code: str, message: str, **detail):
        super().__init__(message)
        self.code = code
        self.detail = detail


@dataclass
class Clip:
    samples: np.ndarray   # float32, 16 kHz, mono, in [-1, 1]
    peak_dbfs: float
    speech_dbfs: float    # level of the loudest tenth of 30 ms frames

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def decode(data: bytes) -> np.ndarray:
    """Any audio container and codec PyAV (FFmpeg) reads → 16 kHz mono float32."""
    import av

    if len(data) > MAX_BYTES:
        raise AudioProblem("too_large", f"the recording is larger than {MAX_BYTES // 2**20} MB",
                           bytes=len(data))
    if not data:
        raise AudioProblem("not_audio", "the file is empty")
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioProblem("not_audio", "the file has no sound in it")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            chunks: list[np.ndarray] = []
            total = 0
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += len(chunk)
                if total > (MAX_SECONDS + 1) * SAMPLE_RATE:
                    raise AudioProblem("too_long", f"the recording is longer than {MAX_SECONDS:.0f} s",
                                       seconds=round(total / SAMPLE_RATE, 1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioProblem:
        raise
    except (av.error.FFmpegError, ValueError, IndexError, OSError) as err:
        raise AudioProblem("not_audio", f"the file is not a recording we can read ({err.__class__.__name__})") from None
    if not chunks:
        raise AudioProblem("not_audio", "the file holds no sound")
    return (np.concatenate(chunks).astype(np.float32) / 32768.0)


def check(samples: np.ndarray) -> Clip:
    """Length, level and clipping, on decoded 16 kHz mono audio."""
    seconds = len(samples) / SAMPLE_RATE
    if seconds > MAX_SECONDS:
        raise AudioProblem("too_long", f"the recording is longer than {MAX_SECONDS:.0f} s",
                           seconds=round(seconds, 1))
    if seconds < MIN_SECONDS:
        raise AudioProblem("too_short", "the recording is shorter than half a second",
                           seconds=round(seconds, 2))
    frame = int(0.03 * SAMPLE_RATE)
    n = len(samples) // frame
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.sort(rms)[-max(1, n // 10):]
    speech_dbfs = float(20 * np.log10(np.mean(loud)))
    peak = float(np.max(np.abs(samples)))
    peak_dbfs = float(20 * np.log10(peak + 1e-12))
    if speech_dbfs < SILENCE_DBFS:
        raise AudioProblem("silent", "we heard nothing in the recording",
                           level_dbfs=round(speech_dbfs, 1))
    clipped = float(np.mean(np.abs(samples) >= CLIP_LEVEL))
    if clipped > CLIP_SHARE:
        raise AudioProblem("clipped", "the recording is too loud and distorted",
                           clipped_share=round(clipped, 3))
    return Clip(samples, peak_dbfs, speech_dbfs)


def load(data: bytes) -> Clip:
    return check(decode(data))


def to_wav(samples: np.ndarray) -> bytes:
    """16-bit PCM WAV bytes of 16 kHz mono audio (what is stored for a job)."""
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()
