"""Open speaking on a transcript: praise only for words the recogniser was sure of and
Voikko knows, task relevance that survives recognition slips, and a whole answer about
something else recognised as off-task. The recogniser is a fake that returns a given
transcript; the audio is real espeak-ng speech for the fluency measures."""
from __future__ import annotations

import pytest

from scoring.adapters import default_tools
from scoring.speech import synthetic as sy
from scoring.speech.audio import check
from scoring.speech.ports import RecognisedWord, Transcript
from scoring.speech.scorer import SpeechScorer

PROMPT = "Kerro työpaikastasi ja työkavereistasi."
SAID = ("Minä olen töissä ravintolassa Espoossa. Työkaverit ovat mukavia ja autamme toisiamme. "
        "Keittiössä on kiireistä, mutta pidän työstäni, koska asiakkaat ovat ystävällisiä.")


class FakeRecognizer:
    name = "fake"

    def __init__(self, transcript: Transcript):
        self.transcript = transcript

    def transcribe(self, audio):
        return self.transcript

    def score_reference(self, audio, words):
        return [0.0 for _ in words]


def transcript(text: str, unsure: set[str] = frozenset()) -> Transcript:
    words = [RecognisedWord(w, probability=0.3 if w.strip(".,").casefold() in unsure else 0.95)
             for w in text.split()]
    return Transcript(text=text, words=words, language="fi", language_probability=0.9,
                      finnish_probability=0.9)


@pytest.fixture(scope="module")
def tools():
    return default_tools()


@pytest.fixture(scope="module")
def clip():
    return check(sy.synthesize(SAID))


def score(tools, clip, text, unsure=frozenset()):
    scorer = SpeechScorer(FakeRecognizer(transcript(text, unsure)), *tools)
    return scorer.open_speaking(clip, PROMPT, transcript(text, unsure), max_seconds=60)


def praised(result) -> list[str]:
    return [w for f in result["feedback"] if f["code"] == "words_used_well" for w in f["words"]]


def test_only_words_heard_for_sure_and_known_to_voikko_are_praised(tools, clip):
    sure = score(tools, clip, SAID)
    assert "Työkaverit" in praised(sure)
    unsure = score(tools, clip, SAID, unsure={"työkaverit"})
    assert "Työkaverit" not in praised(unsure)
    invented = score(tools, clip, SAID.replace("Työkaverit", "Työkavereittenikkaat"))
    assert praised(invented) == []


def test_task_words_heard_slightly_wrong_still_count_as_on_the_task(tools, clip):
    slips = (SAID.replace("Työkaverit", "Työkavert").replace("ravintolassa", "ravintolasa")
             .replace("työstäni", "työstänik"))
    result = score(tools, clip, slips)
    assert result["recognised_as"] == "speech" and "off_task" not in result["flags"]


def test_a_talk_about_something_else_is_off_task_and_repetition_counts_once(tools, clip):
    bees = ("Mehiläiset elävät yhdyskunnissa, joissa jokaisella yksilöllä on oma tehtävänsä. "
            "Pesää johtaa kuningatar, joka munii kesällä jopa parituhatta munaa vuorokaudessa. "
            "Työmehiläiset ovat steriilejä naaraita, jotka hoitavat toukkia ja rakentavat kennoja. "
            "Talven ne viettävät pesässä tiiviinä rykelmänä.")
    off = score(tools, clip, bees)
    assert off["recognised_as"] == "off_task" and off["cefr"] == "A1"
    assert [f["code"] for f in off["feedback"]] == ["speech_off_task"]
    once, twice = score(tools, clip, SAID), score(tools, clip, SAID + " " + SAID)
    assert twice["score"] <= once["score"] and "repetition" in twice["flags"]
