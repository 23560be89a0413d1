"""faster-whisper (CTranslate2, int8 on the CPU) behind the Recognizer port.

Decoding: Finnish, beam 5, one temperature (the default temperature fallback re-decodes
unclear audio several times, slowly and at random), word times from cross-attention.
Forced decoding uses CTranslate2's alignment pass, whose ``text_token_probs`` are the
probabilities of the given text's tokens given the audio.
"""
from __future__ import annotations

import string
import threading

import numpy as np

from ..ports import SAMPLE_RATE, WINDOW_S, RecognisedWord, Transcript
from .model_files import whisper_ct2_dir

_PUNCT = string.punctuation + "–—…«»”“’"


class FasterWhisperRecognizer:
    name = "faster-whisper"

    def __init__(self, threads: int | None = None, compute_type: str = "int8", device: str = "cpu"):
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        self.model = WhisperModel(str(whisper_ct2_dir()), device=device, compute_type=compute_type,
                                  cpu_threads=threads or 0, num_workers=1)
        self.tokenizer = Tokenizer(self.model.hf_tokenizer, True, task="transcribe", language="fi")
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray) -> Transcript:
        with self._lock:
            segments, _info = self.model.transcribe(
                audio, language="fi", task="transcribe", beam_size=5, temperature=[0.0],
                word_timestamps=True, condition_on_previous_text=False, vad_filter=False)
            segments = list(segments)
        words = [RecognisedWord(w.word.strip(), float(w.start), float(w.end), float(w.probability))
                 for s in segments for w in (s.words or []) if w.word.strip()]
        tokens = sum(max(len(s.tokens), 1) for s in segments) or 1
        avg = sum(s.avg_logprob * max(len(s.tokens), 1) for s in segments) / tokens if segments else 0.0
        no_speech = min((s.no_speech_prob for s in segments), default=1.0)  # speech anywhere counts
        text = " ".join(s.text.strip() for s in segments).strip()
        return Transcript(text, words, float(avg), float(no_speech), self.name,
                          *self._language(audio))

    def _language(self, audio: np.ndarray) -> tuple[str | None, float | None, float | None]:
        """The most likely language of the first 30 s, its probability, that of Finnish."""
        with self._lock:
            language, p, probs = self.model.detect_language(audio[: int(WINDOW_S * SAMPLE_RATE)])
        return language, float(p), float(dict(probs).get("fi", 0.0))

    def score_reference(self, audio: np.ndarray, words: list[str]) -> list[float]:
        if not words:
            return []
        audio = audio[: int(WINDOW_S * SAMPLE_RATE)]
        groups: list[tuple[int, int]] = []   # token range of each word's letters
        tokens: list[int] = []
        for word in words:
            core = word.strip(_PUNCT) or word
            lead = word[: len(word) - len(word.lstrip(_PUNCT))]
            trail = word[len(lead) + len(core):] if core != word else ""
            if lead:
                tokens += self.tokenizer.encode(" " + lead)
                first = self.tokenizer.encode(core)
            else:
                first = self.tokenizer.encode(" " + core)
            groups.append((len(tokens), len(tokens) + len(first)))
            tokens += first
            if trail:
                tokens += self.tokenizer.encode(trail)
        features = self.model.feature_extractor(audio)
        frames = features.shape[-1]
        full = 3000
        features = features[:, :full] if frames >= full else np.pad(features, ((0, 0), (0, full - frames)))
        with self._lock:
            encoded = self.model.encode(features)
            result = self.model.model.align(
                encoded, list(self.tokenizer.sot_sequence) + [self.tokenizer.no_timestamps],
                [tokens], [min(frames, full) // 2])[0]
        logp = np.log(np.clip(np.asarray(result.text_token_probs, dtype=np.float64), 1e-12, 1.0))
        return [float(logp[a:b].mean()) if b > a else float("nan") for a, b in groups]
