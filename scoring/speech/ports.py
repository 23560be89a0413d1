"""The one interface every speech recogniser implements (faster-whisper on CTranslate2,
speechbrain on PyTorch); the scorers see nothing else of an engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000
WINDOW_S = 30.0  # Whisper hears at most 30 s at a time


@dataclass
class RecognisedWord:
    text: str
    start: float | None = None   # seconds, when the engine gives word times
    end: float | None = None
    probability: float | None = None


@dataclass
class Transcript:
    text: str
    words: list[RecognisedWord] = field(default_factory=list)
    avg_logprob: float = 0.0      # mean log-probability of the decoded tokens
    no_speech_prob: float = 0.0   # the model's belief that the clip holds no speech
    engine: str = ""
    language: str | None = None               # the language the model hears most likely
    language_probability: float | None = None  # (first 30 s) its probability
    finnish_probability: float | None = None   # and the probability of Finnish

    @property
    def compression_ratio(self) -> float:
        """Whisper's own check for decoding loops: a text that repeats itself compresses
        far better than speech does (above 2.4 it is taken as a loop)."""
        import zlib

        raw = self.text.encode("utf-8")
        return len(raw) / len(zlib.compress(raw)) if raw else 0.0


class Recognizer(Protocol):
    """Finnish speech recognition on 16 kHz mono float32 audio in [-1, 1]."""

    name: str

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """The words heard, in order; audio of any length up to the upload limit."""
        ...

    def score_reference(self, audio: np.ndarray, words: list[str]) -> list[float]:
        """Forced decoding: for each word of ``words`` (a reference text the speaker was
        asked to read), the mean log-probability of its tokens given the audio and the
        words before it. ``audio`` is at most ``WINDOW_S`` seconds long."""
        ...
