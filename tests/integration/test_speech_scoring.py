"""Spoken answers scored with the real Whisper model (faster-whisper), on recordings the
suite makes itself (espeak-ng Finnish, sox for tempo; silences inserted)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from assessment.cefr import LEVELS
from scoring.speech import synthetic as sy
from scoring.speech.engines import make_recognizer
from scoring.speech.read_aloud import reference_words
from scoring.speech.scorer import SpeechScorer
from services.scoring.handlers import shared_tools

PASSAGE = ("Kirjasto on auki maanantaista perjantaihin kello kahdeksasta kahteenkymmeneen. "
           "Lauantaina kirjasto on auki kello kymmenestä kuuteentoista.")
KEYS = {"transcript", "cefr", "confidence", "speech_rate", "articulation_rate", "pause_count",
        "mean_pause_s"}


@pytest.fixture(scope="module")
def scorer():
    return SpeechScorer(make_recognizer("faster-whisper", threads=2), *shared_tools())


@pytest.fixture(scope="module")
def readings():
    words = reference_words(PASSAGE)
    normal = sy.synthesize(PASSAGE)
    kept, _ = sy.skip_words(words, 4, np.random.default_rng(2))
    return {"normal": normal, "skipped": sy.synthesize(" ".join(kept)),
            "slower": sy.tempo(normal, 0.65), "pauses": sy.with_pauses(words, [2, 6, 10], 1.6)}


@pytest.fixture(scope="module")
def scored(scorer, readings):
    return {k: scorer.score(a, reference_text=PASSAGE, passage_cefr="A2") for k, a in readings.items()}


def test_read_aloud_result_has_every_figure(scored):
    r = scored["normal"]
    assert KEYS | {"accuracy", "wcpm"} <= set(r)
    assert r["cefr"] in ("A1", "A2", "B1", "B2", "C1", "C2") and 0 <= r["confidence"] <= 1
    assert r["accuracy"] >= 0.85 and r["wcpm"] > 60
    assert len(r["words"]) == len(reference_words(PASSAGE))


def test_skipping_words_lowers_accuracy(scored):
    assert scored["skipped"]["accuracy"] < scored["normal"]["accuracy"]
    assert scored["skipped"]["subscores"]["accuracy"] < scored["normal"]["subscores"]["accuracy"]
    assert sum(w["status"] != "read" for w in scored["skipped"]["words"]) >= 2


def test_reading_slower_lowers_rate_and_fluency(scored):
    assert scored["slower"]["speech_rate"] < 0.85 * scored["normal"]["speech_rate"]
    assert scored["slower"]["subscores"]["fluency"] < scored["normal"]["subscores"]["fluency"]


def test_long_pauses_are_counted_and_lower_fluency(scored):
    p, n = scored["pauses"], scored["normal"]
    assert p["pause_count"] >= n["pause_count"] + 3
    assert p["mean_pause_s"] > 1.0
    assert p["subscores"]["fluency"] < n["subscores"]["fluency"]


def test_open_speaking_gets_a_level_and_subscores(scorer):
    answer = ("Minä asun Espoossa perheeni kanssa. Meillä on pieni asunto lähellä metroasemaa. "
              "Haluaisin löytää työtä kaupasta tai ravintolasta, koska pidän asiakaspalvelusta.")
    r = scorer.score(sy.synthesize(answer), prompt_text="Kerro itsestäsi ja kodistasi.", max_seconds=60)
    assert KEYS <= set(r) and r["recognised_as"] == "speech"
    assert set(r["subscores"]) == {"fluency", "range", "accuracy", "task"}
    assert r["cefr"] in ("A1", "A2", "B1", "B2", "C1", "C2")


def test_speech_in_another_language_is_recognised(scorer):
    english = sy.synthesize("I have lived in this city for three years and I would like to find "
                            "a job in a shop or in a restaurant.", voice="en")
    r = scorer.score(english, prompt_text="Kerro itsestäsi.")
    assert r["recognised_as"] in ("not_finnish", "no_speech") and r["cefr"] == "A1"


def test_cli_prints_the_json(tmp_path, readings):
    wav = tmp_path / "reading.wav"
    wav.write_bytes(sy.to_wav_bytes(readings["normal"]))
    out = subprocess.run([sys.executable, "-m", "services.cli", "score", "speech",
                          "--reference-text", PASSAGE, "--threads", "2", str(wav)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert KEYS | {"accuracy", "wcpm"} <= set(result)
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    out = subprocess.run([sys.executable, "-m", "services.cli", "score", "speech",
                          "--prompt-text", "Kerro.", str(bad)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "not a recording" in out.stderr


def test_open_speaking_is_not_raised_by_repetition_and_a_flat_voice_is_not_fluent(scorer):
    """What holds for writing holds for what was said: saying the answer twice counts once;
    an even synthetic voice without pauses is not rated as fluent as live speech; only
    words the recogniser was sure of, and that are Finnish words, are praised."""
    answer = ("Minä asun Espoossa perheeni kanssa. Meillä on pieni asunto lähellä metroasemaa. "
              "Haluaisin löytää työtä kaupasta tai ravintolasta, koska pidän asiakaspalvelusta.")
    prompt = "Kerro itsestäsi ja kodistasi."
    once = scorer.score(sy.synthesize(answer), prompt_text=prompt, max_seconds=60)
    twice = scorer.score(sy.synthesize(answer + " " + answer), prompt_text=prompt, max_seconds=60)
    if twice["recognised_as"] == "unclear":
        # the recogniser heard the voice badly enough that its doubled transcript reads as a
        # decoder loop (seen with Debian's espeak-ng 1.51+dfsg-10+deb12u2, whose transcript
        # has no sentence ends to find the repeat by): set aside, no level and no
        # confidence, so a coach hears it; never a higher level
        assert twice["cefr"] is None and twice["confidence"] == 0.0
    else:
        assert twice["recognised_as"] == "speech"
        assert LEVELS.index(twice["cefr"]) <= LEVELS.index(once["cefr"])
        assert "repetition" in twice["flags"] and twice["evidence"]["repeated_share"] >= 0.3
        assert any(f["code"] == "speech_repetition" for f in twice["feedback"])
    # espeak-ng's voice is flat: its fluency is held at B1 however fast and smooth it is
    assert once["fluency"]["pitch_variation"] < 0.10 and "flat_intonation" in once["flags"]
    assert once["subscores"]["fluency"] <= 2.0
    assert "off_task" not in once["flags"] and once["recognised_as"] == "speech"   # it is on the task
