"""Spoken answers to CEFR: read-aloud and open speaking.

Read-aloud: the level of the passage (the item's level, or the writing model's level
of the text when none is given) moved down by the share of words not read, blended with
the fluency level: ``0.6 × accuracy level + 0.4 × fluency level``, but never more than
half a level above the accuracy level (reading an A2 text fluently shows at most B1).

Open speaking: the transcript goes through the writing features that make sense for
speech (vocabulary range, morphology, clause linking, prompt coverage; spelling stands
for words the recogniser could not make out). Features that belong to writing only —
spoken forms such as "mä", sentence length from punctuation — are held at the writing
model's mean, so they neither add nor take away. Overall: ``0.65 × language level +
0.35 × fluency level``, at most one level above the language level (fluent speech with
few words and no range is not B1). Sub-scores: fluency, range, accuracy, task achievement.

Both are monotone by construction: reading fewer words, slower, or with longer pauses
never raises a sub-score. The confidence is the probability that the true level is in
the band of the given one, widened by the recogniser's uncertainty; uncertain results
go to a coach (services decide the threshold).
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from assessment.cefr import LEVELS

from ..evidence import TaskVocabulary, gather, topical_lemmas
from ..features import extract
from ..ports import Analyzer, FrequencyList, LanguageIdentifier
from ..written import (SET_ASIDE_WHOLE, LevelModel, band_probability, evidence_ceiling,
                       feature_vector, level_of)
from . import fluency as fl
from .audio import Clip, load
from .ports import Recognizer, Transcript
from .read_aloud import READ_LOGPROB, normalise, score_read_aloud

Progress = Callable[[str, float], None]
SPEECH_NEUTRAL = ("colloquial", "sentence_words")   # writing-only features, held at the mean
# Languages a job seeker might answer in instead of Finnish. Whisper's language guess
# counts only for these and only when sure: on robotic or strongly accented Finnish it
# names unlikely languages (espeak-ng Finnish is often "Thai" or "Latin" to it).
OTHER_LANGUAGES = {"en", "sv", "ru", "et", "uk", "ar", "so", "fa", "es", "de", "fr", "tr",
                   "zh", "vi", "pt", "pl", "ku"}
FLUENCY_LIFT_MAX = 0.5   # fluency alone lifts a level at most this far above the language
LOOP_RATIO = 2.4   # Whisper's compression-ratio limit: above it the decoder went round in a loop
SURE_WORD = 0.8    # a recognised word's probability from which it counts as heard for sure


def speaks_other_language(t: Transcript) -> bool:
    return (t.language in OTHER_LANGUAGES and (t.language_probability or 0.0) >= 0.75
            and t.finnish_probability is not None and t.finnish_probability < 0.01)
# share of the passage read → levels below the passage's own (1.0 → half a level above)
ACCURACY_STEPS = ((0.4, -3.0), (0.6, -2.0), (0.8, -1.0), (0.9, 0.0), (1.0, 0.5))


def _accuracy_adjustment(accuracy: float) -> float:
    xs, ys = zip(*ACCURACY_STEPS)
    return float(np.interp(accuracy, xs, ys, left=-4.0))


def _round(d: dict) -> dict:
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


class SpeechScorer:
    def __init__(self, recognizer: Recognizer, analyzer: Analyzer, frequencies: FrequencyList,
                 languages: LanguageIdentifier | None, model: LevelModel | None = None,
                 forced_decoding: bool = True):
        self.recognizer = recognizer
        self.analyzer = analyzer
        self.frequencies = frequencies
        self.languages = languages
        self.model = model or LevelModel.load()
        self.forced_decoding = forced_decoding

    # -- entry points --------------------------------------------------------------------
    def score(self, data: bytes | np.ndarray, reference_text: str | None = None,
              prompt_text: str | None = None, passage_cefr: str | None = None,
              max_seconds: float | None = None, progress: Progress | None = None) -> dict:
        """Score a recording: read-aloud when ``reference_text`` is given, else open speaking."""
        say = progress or (lambda stage, share: None)
        started = time.perf_counter()
        say("checking", 0.05)
        clip = load(data) if isinstance(data, (bytes, bytearray)) else _clip(data)
        say("recognising", 0.15)
        transcript = self.recognizer.transcribe(clip.samples)
        say("measuring", 0.7)
        if reference_text:
            out = self.read_aloud(clip, reference_text, transcript, passage_cefr, say)
        else:
            out = self.open_speaking(clip, prompt_text or "", transcript, max_seconds)
        out["engine"] = self.recognizer.name
        out["duration_s"] = round(clip.duration, 2)
        out["processing_s"] = round(time.perf_counter() - started, 2)
        say("done", 1.0)
        return out

    def read_aloud(self, clip: Clip, reference_text: str, transcript: Transcript,
                   passage_cefr: str | None = None, progress: Progress | None = None) -> dict:
        if progress:
            progress("aligning", 0.75)
        ra = score_read_aloud(clip.samples, reference_text, transcript,
                              self.recognizer if self.forced_decoding else None)
        spoken = [w.word for w in ra.words if w.status != "skipped"]
        flu = fl.measure(clip.samples, fl.count_syllables(spoken, self.analyzer.syllables))
        passage = (float(LEVELS.index(passage_cefr)) if passage_cefr in LEVELS
                   else self._text_level(reference_text))
        accuracy_level = float(np.clip(passage + _accuracy_adjustment(ra.accuracy), 0, 5))
        fluency_level = fl.fluency_score(flu)
        overall = float(np.clip(min(0.6 * accuracy_level + 0.4 * fluency_level,
                                    accuracy_level + FLUENCY_LIFT_MAX), 0, 5))
        # the two signals agree on a word: both say read, or both say not read
        agree = np.mean([(w.asr == "equal") == (w.logprob is not None and w.logprob >= READ_LOGPROB)
                         for w in ra.words]) if ra.words and self.forced_decoding else 0.5
        sd = 0.45 + 1.0 * (1.0 - float(agree))
        confidence = band_probability(overall, sd)
        minutes = flu.span_s / 60 if flu.span_s > 0 else clip.duration / 60
        recognised_as = "read_aloud"
        if speaks_other_language(transcript):
            ra.unclear = True
        if ra.unclear:
            recognised_as, confidence = "unclear", min(confidence, 0.2)
        result = {
            "task": "read_aloud", "recognised_as": recognised_as,
            "transcript": transcript.text,
            "cefr": None if ra.unclear else level_of(overall), "score": round(overall, 2),
            "confidence": round(float(confidence), 3),
            "subscores": {"accuracy": round(accuracy_level, 2), "fluency": round(fluency_level, 2)},
            "accuracy": round(ra.accuracy, 3), "accuracy_transcript_only": round(ra.accuracy_asr, 3),
            "wcpm": round(ra.correct / minutes, 1) if minutes > 0 else 0.0,
            "wer": round(ra.wer, 3),
            "forced_logprob": None if math.isnan(ra.forced_logprob) else round(ra.forced_logprob, 3),
            "passage_level": LEVELS[int(np.clip(round(passage), 0, 5))],
            "words": [w.as_dict() for w in ra.words], "added": ra.added,
            **_fluency_keys(flu),
        }
        result["feedback"] = _read_aloud_feedback(ra, flu, fluency_level)
        return result

    def open_speaking(self, clip: Clip, prompt: str, transcript: Transcript,
                      max_seconds: float | None = None) -> dict:
        text = transcript.text
        whole = extract(text, prompt, self.analyzer, self.frequencies, self.languages)
        # the same checks as for writing, on what was said: repeated material counts once,
        # read-out task text is not the speaker's own, and a stretch about something else
        # is off-task; task words match by their starts and by near spellings, since the
        # recogniser may get an ending or a letter wrong
        vocabulary = TaskVocabulary(topical_lemmas(prompt, self.analyzer, self.frequencies), fuzzy=True)
        ev = gather(text, self.analyzer, self.frequencies, prompt=prompt, vocabulary=vocabulary)
        f = extract(ev.own_text(), prompt, self.analyzer, self.frequencies, None)
        words = [w for w in text.split() if normalise(w)]
        flu = fl.measure(clip.samples, fl.count_syllables(words, self.analyzer.syllables))
        x = feature_vector(f)
        for name in SPEECH_NEUTRAL:
            x[name] = self.model.mean[name]
        # length against the task: the share of the expected speaking time missing
        x["shortfall"] = max(0.0, 1.0 - flu.span_s / (0.6 * max_seconds)) if max_seconds else 0.0
        language = min(self.model.predict(x), evidence_ceiling(f.n_words))
        subs = {"fluency": fl.fluency_score(flu, free_speech=True), "range": self.model.predict(x, "vocabulary"),
                "accuracy": self.model.predict(x, "accuracy"), "task": self.model.predict(x, "task")}
        overall = float(np.clip(min(0.65 * language + 0.35 * subs["fluency"],
                                    language + 2 * FLUENCY_LIFT_MAX), 0, 5))
        probs = [w.probability for w in transcript.words if w.probability is not None]
        asr_sd = 1.2 * (1.0 - float(np.mean(probs))) if probs else 0.6
        sd = math.hypot(self.model.error_sd(f.n_words), asr_sd)
        confidence = band_probability(overall, sd) * (1.0 - 0.5 * (1.0 - ev.n_own_words / max(ev.n_words, 1)))
        flags = list(ev.flags)
        if flu.flat_intonation:
            flags.append("flat_intonation")
            confidence *= 0.8
        recognised_as = "speech"
        if whole.n_words == 0 or transcript.no_speech_prob > 0.8 and whole.n_words < 3:
            recognised_as = "no_speech"
        elif (whole.n_words >= 3 and whole.finnish_share < 0.5) or speaks_other_language(transcript):
            recognised_as = "not_finnish"
        elif transcript.compression_ratio > LOOP_RATIO and ev.share("repeated") < 0.5:
            recognised_as = "unclear"
        elif whole.copied_share >= 0.6 or ev.share("copied") >= SET_ASIDE_WHOLE:
            recognised_as = "copy_of_prompt"
        elif ev.share("off_task") >= SET_ASIDE_WHOLE:
            recognised_as = "off_task"
        if recognised_as == "unclear":
            confidence = 0.0
        elif recognised_as == "off_task":
            overall, subs, confidence = 0.0, {k: 0.0 for k in subs}, 0.5
        elif recognised_as != "speech":
            overall, subs, confidence = 0.0, {k: 0.0 for k in subs}, 0.95
        sure = self._sure_words(transcript)
        return {
            "task": "open_speaking", "recognised_as": recognised_as, "transcript": text,
            "cefr": None if recognised_as == "unclear" else level_of(overall), "score": round(overall, 2),
            "language": transcript.language, "finnish_probability": transcript.finnish_probability,
            "confidence": round(float(confidence), 3), "flags": flags, "evidence": ev.as_dict(),
            "subscores": {k: round(v, 2) for k, v in subs.items()},
            "n_words": whole.n_words, "asr_word_probability": round(float(np.mean(probs)), 3) if probs else None,
            "features": _round({k: v for k, v in x.items() if k not in SPEECH_NEUTRAL}),
            **_fluency_keys(flu),
            "feedback": _speaking_feedback(recognised_as, f, flu, subs, ev, sure, self.analyzer),
        }

    @staticmethod
    def _sure_words(transcript: Transcript) -> set[str] | None:
        """The words the recogniser was sure of (None when it gives no word probabilities)."""
        if not any(w.probability is not None for w in transcript.words):
            return None
        return {normalise(w.text) for w in transcript.words
                if w.probability is not None and w.probability >= SURE_WORD}

    def _text_level(self, text: str) -> float:
        """How hard a passage is, by the writing model's level of the text itself."""
        f = extract(text, "", self.analyzer, self.frequencies, None)
        return self.model.predict(feature_vector(f))


def _clip(samples: np.ndarray) -> Clip:
    from .audio import check

    return check(np.asarray(samples, dtype=np.float32))


def _fluency_keys(flu: fl.Fluency) -> dict:
    return {"speech_rate": round(flu.speech_rate, 2), "articulation_rate": round(flu.articulation_rate, 2),
            "pause_count": flu.pause_count, "mean_pause_s": round(flu.mean_pause_s, 2),
            "fluency": flu.as_dict()}


def _read_aloud_feedback(ra, flu: fl.Fluency, fluency_level: float) -> list[dict]:
    if ra.unclear:
        return [{"code": "unclear_audio"}]
    out = []
    skipped = [w.word for w in ra.words if w.status == "skipped"]
    changed = [{"word": w.word, "heard": w.heard} for w in ra.words if w.status == "changed"]
    if skipped:
        out.append({"code": "skipped_words", "words": skipped[:10]})
    if changed:
        out.append({"code": "changed_words", "words": changed[:10]})
    if ra.added:
        out.append({"code": "added_words", "words": [a["word"] for a in ra.added[:10]]})
    out += _fluency_feedback(flu, fluency_level)
    if not skipped and not changed and ra.accuracy >= 0.95:
        out.append({"code": "read_accurately"})
    return out


def _fluency_feedback(flu: fl.Fluency, fluency_level: float) -> list[dict]:
    out = []
    if flu.long_pauses:
        out.append({"code": "long_pauses", "count": flu.long_pauses})
    if flu.speech_rate and fl._level(flu.speech_rate, fl.ANCHORS["speech_rate"]) < 2.0:
        out.append({"code": "speak_more_smoothly"})
    if fluency_level >= 3.5:
        out.append({"code": "fluent"})
    return out


def _speaking_feedback(recognised_as: str, f, flu: fl.Fluency, subs: dict, ev, sure: set[str] | None,
                       analyzer: Analyzer) -> list[dict]:
    if recognised_as == "unclear":
        return [{"code": "unclear_audio"}]
    if recognised_as == "off_task":
        return [{"code": "speech_off_task"}]
    if recognised_as != "speech":
        return [{"code": "speech_" + recognised_as}]
    out = _fluency_feedback(flu, subs["fluency"])
    if flu.flat_intonation:
        out.append({"code": "flat_intonation"})
    if f.n_words < 15:
        out.append({"code": "say_more"})
    for status, code in (("repeated", "speech_repetition"), ("off_task", "speech_off_task_part")):
        if ev.share(status) >= 0.1:
            out.append({"code": code, "share": round(ev.share(status), 2)})
    # praise only words the recogniser was sure it heard and that are Finnish words:
    # a word the recogniser invented is not the speaker's achievement
    well = [w for w in f.words_used_well
            if analyzer.spell(w) and (sure is None or normalise(w) in sure)]
    if well:
        out.append({"code": "words_used_well", "words": well})
    return out
