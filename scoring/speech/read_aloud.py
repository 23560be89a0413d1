"""Read-aloud: which words of the reference text were read, skipped, changed or added.

Two signals per reference word:
1. the recogniser's transcript aligned to the reference with jiwer (Levenshtein over
   words): equal, substituted, deleted, and inserted words;
2. forced decoding: the mean log-probability of the word's tokens given the audio and
   the reference words before it (``Recognizer.score_reference``).

Recognition of short Finnish words is weak (Whisper base hears "kialion" for "kieli
on"), so a word the transcript missed still counts as read when forced decoding finds
it likely (log-probability ≥ ``READ_LOGPROB``); a word counts as skipped only when both
signals say so. ``benchmarks/speech.py`` reports the accuracy error with and without
forced decoding on passages read with known words skipped.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np

from .ports import SAMPLE_RATE, WINDOW_S, Recognizer, Transcript

# Set on 12 synthetic passages read whole and with a sixth of the words skipped (678 word
# decisions, faster-whisper): read words had a median log-probability of -1.4 (5th
# percentile -5.1), skipped words -7.0 (95th percentile -4.9). At -4.5, 94 % of the words
# are called read or not read rightly, against 39 % from the transcript alone.
READ_LOGPROB = -4.5        # forced-decoding log-probability above which a word was read
# A passage read as a whole scores a mean around -1.5 to -2.5; audio of another text, or
# too unclear to hear, about -5: below this, with little of the transcript matching, the
# words cannot be judged.
UNCLEAR_LOGPROB = -4.0
_PUNCT = string.punctuation + "–—…«»”“’"


def normalise(word: str) -> str:
    return re.sub(r"\s+", " ", word.lower().strip(_PUNCT)).strip()


@dataclass
class WordResult:
    word: str                   # the reference word as written
    status: str                 # read | changed | skipped
    heard: str | None           # what the recogniser wrote for it (changed words)
    logprob: float | None       # forced-decoding log-probability
    asr: str                    # equal | substitute | delete

    def as_dict(self) -> dict:
        return {"word": self.word, "status": self.status, "heard": self.heard,
                "logprob": None if self.logprob is None else round(self.logprob, 2), "asr": self.asr}


@dataclass
class ReadAloudResult:
    words: list[WordResult]
    added: list[dict]           # words heard that are not in the text: {"after": i, "word": w}
    accuracy: float             # share of reference words read (both signals)
    accuracy_asr: float         # the same from the transcript alone
    forced_logprob: float       # mean forced-decoding log-probability over the passage
    unclear: bool               # too unclear to judge which words were read
    wer: float

    @property
    def correct(self) -> int:
        return sum(w.status == "read" for w in self.words)


def reference_words(text: str) -> list[str]:
    return [w for w in text.split() if normalise(w)]


def align(reference: list[str], transcript: Transcript) -> tuple[list[tuple[str, str | None]], list[dict], float]:
    """Per reference word (asr type, heard word), the inserted words, and the WER."""
    import jiwer

    ref = [normalise(w) for w in reference]
    hyp = [normalise(w.text) for w in transcript.words] or [normalise(w) for w in transcript.text.split()]
    hyp = [h for h in hyp if h]
    if not hyp:
        return [("delete", None)] * len(ref), [], 1.0
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    per_word: list[tuple[str, str | None]] = [("delete", None)] * len(ref)
    added: list[dict] = []
    for chunk in out.alignments[0]:
        if chunk.type == "insert":
            added += [{"after": chunk.ref_start_idx - 1, "word": hyp[j]}
                      for j in range(chunk.hyp_start_idx, chunk.hyp_end_idx)]
            continue
        for k, i in enumerate(range(chunk.ref_start_idx, chunk.ref_end_idx)):
            if chunk.type == "equal":
                per_word[i] = ("equal", hyp[chunk.hyp_start_idx + k])
            elif chunk.type == "substitute":
                per_word[i] = ("substitute", hyp[chunk.hyp_start_idx + k])
    return per_word, added, float(out.wer)


def _windows(reference: list[str], per_word, transcript: Transcript, duration: float) -> list[tuple[float, float, list[int]]]:
    """Cut a passage longer than Whisper's 30 s window into windows of reference words,
    placing each word at the time of the transcript word aligned to it (words without
    one in between their neighbours)."""
    if duration <= WINDOW_S:
        return [(0.0, duration, list(range(len(reference))))]
    import jiwer

    hyp = [w for w in transcript.words if normalise(w.text)]
    times = np.full(len(reference), np.nan)
    out = jiwer.process_words(" ".join(normalise(w) for w in reference),
                              " ".join(normalise(w.text) for w in hyp) or "-")
    for chunk in out.alignments[0]:
        if chunk.type in ("equal", "substitute"):
            for k, i in enumerate(range(chunk.ref_start_idx, chunk.ref_end_idx)):
                w = hyp[chunk.hyp_start_idx + k]
                if w.start is not None:
                    times[i] = w.start
    known = ~np.isnan(times)
    idx = np.arange(len(reference))
    times = (np.interp(idx, idx[known], times[known]) if known.any()
             else idx * duration / max(len(reference), 1))
    windows, start = [], 0.0
    while start < duration:
        end = min(start + WINDOW_S, duration)
        members = [i for i in idx if start <= times[i] < end]
        if members and end < duration and len(members) > 1:
            # end the window before the last word, so no word is cut in half
            end = max(start + 1.0, float(times[members[-1]]) - 0.1)
            members = members[:-1]
        if members:
            windows.append((start, end, members))
        start = end
    return windows


def score_read_aloud(audio: np.ndarray, reference_text: str, transcript: Transcript,
                     recognizer: Recognizer | None) -> ReadAloudResult:
    reference = reference_words(reference_text)
    per_word, added, wer = align(reference, transcript)
    logprobs: list[float | None] = [None] * len(reference)
    if recognizer is not None and reference:
        duration = len(audio) / SAMPLE_RATE
        for start, end, members in _windows(reference, per_word, transcript, duration):
            window = audio[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)]
            for i, lp in zip(members, recognizer.score_reference(window, [reference[i] for i in members])):
                logprobs[i] = lp
    words = []
    for word, (asr, heard), lp in zip(reference, per_word, logprobs):
        if asr == "equal" or (lp is not None and lp >= READ_LOGPROB):
            status = "read"
        else:
            status = "skipped" if asr == "delete" else "changed"
        words.append(WordResult(word, status, heard if asr == "substitute" else None, lp, asr))
    n = max(len(reference), 1)
    scored = [lp for lp in logprobs if lp is not None and np.isfinite(lp)]
    forced = float(np.mean(scored)) if scored else float("nan")
    accuracy_asr = sum(a == "equal" for a, _ in per_word) / n
    unclear = (transcript.no_speech_prob > 0.6 and accuracy_asr < 0.3) or (
        bool(scored) and forced < UNCLEAR_LOGPROB and accuracy_asr < 0.3)
    return ReadAloudResult(words, added, sum(w.status == "read" for w in words) / n, accuracy_asr,
                           forced, unclear, wer)
