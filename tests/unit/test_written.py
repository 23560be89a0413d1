"""The writing scorer: recognised non-answers, and monotonicity over the held-out texts —
spelling errors, removed case endings or a text cut to a third never score higher."""
from __future__ import annotations

import pytest

from scoring.adapters.lexicon import LinguaIdentifier, WordfreqList
from scoring.adapters.voikko import VoikkoAnalyzer
from scoring.fit import read_rated
from scoring.written import LevelModel, WritingScorer

HELDOUT = read_rated("scoring/data/rated_texts/heldout.csv")


@pytest.fixture(scope="module")
def scorer():
    return WritingScorer(VoikkoAnalyzer(), WordfreqList(), LinguaIdentifier())


def misspell(text: str) -> str:
    """Learner-like spelling errors in every third longer word: a lost double letter,
    a lost umlaut, or a doubled consonant."""
    words = text.split(" ")
    for i in range(0, len(words), 3):
        w = words[i]
        if len(w) < 4 or not w.isalpha():
            continue
        for a, b in (("kk", "k"), ("tt", "t"), ("ll", "l"), ("ss", "s"), ("ä", "a"), ("ö", "o")):
            if a in w:
                words[i] = w.replace(a, b, 1)
                break
        else:
            words[i] = w[:2] + w[1] + w[2:]
    return " ".join(words)


def strip_endings(text: str, analyzer: VoikkoAnalyzer) -> str:
    """Every noun and adjective in its base form, as if the case endings were left off."""
    out = []
    for w in text.split(" "):
        core = w.strip(".,!?;:")
        a = analyzer.analyze(core)
        if a and a[0].get("CLASS") in ("nimisana", "laatusana") and core.islower():
            w = w.replace(core, a[0]["BASEFORM"])
        out.append(w)
    return " ".join(out)


def third(text: str) -> str:
    words = text.split()
    return " ".join(words[: max(1, len(words) // 3)])


@pytest.mark.parametrize("spoil", ["misspell", "strip_endings", "third"])
def test_spoiling_a_text_never_raises_its_score(scorer, spoil):
    analyzer = scorer.analyzer
    worse = {"misspell": misspell, "strip_endings": lambda t: strip_endings(t, analyzer),
             "third": third}[spoil]
    checked = raised = 0
    for row in HELDOUT:
        before = scorer.score(row["text"])
        if before.recognised_as != "finnish_text":
            continue
        after = scorer.score(worse(row["text"]))
        checked += 1
        if after.score > before.score + 1e-9:
            raised += 1
    assert checked >= 70
    assert raised == 0, f"{raised} of {checked} texts scored higher after {spoil}"


def test_the_model_file_says_what_it_was_fitted_on_and_how_well_it_agrees():
    model = LevelModel.load()
    assert "train.csv" in model.trained_on
    held = model.agreement["heldout"]
    assert held["n"] == len(HELDOUT) and held["adjacent"] >= 0.9 and held["qwk"] >= 0.8


@pytest.mark.parametrize("text,recognised", [("", "empty"), ("   \n ", "empty"),
                                             ("Jag heter Anna och jag bor i Esbo sedan tre år.", "not_finnish")])
def test_non_answers_are_recognised(scorer, text, recognised):
    result = scorer.score(text, "Kerro itsestäsi.")
    assert result.recognised_as == recognised and result.cefr == "A1"
