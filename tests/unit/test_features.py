"""Features of written answers, with the real Voikko, wordfreq and lingua."""
import pytest

from scoring.adapters.lexicon import LinguaIdentifier, WordfreqList
from scoring.adapters.voikko import VoikkoAnalyzer
from scoring.features import extract, mtld

PROMPT = "Olet sairas etkä pääse huomenna töihin. Kirjoita viesti esihenkilöllesi."
B1 = ("Hei Minna! Olen valitettavasti sairas, koska minulla on kuumetta ja kurkkukipua. "
      "En pääse huomenna töihin, mutta soitan lääkärille aamulla. Jos tarvitset apua vuorojen "
      "kanssa, voin kysyä Ahmedilta, voisiko hän vaihtaa vuoron kanssani. Terveisin Olga")
A2 = "Hei. Mä olen sairas. Minulla on kuume ja pää kipee. En tule huomena töihin. Anteeks. Olga"


@pytest.fixture(scope="module")
def tools():
    return VoikkoAnalyzer(), WordfreqList(), LinguaIdentifier()


def features(text, tools, prompt=PROMPT):
    return extract(text, prompt, *tools)


def test_spelling_errors_and_colloquial_forms_are_found_with_suggestions(tools):
    f = features(A2, tools)
    found = {m.word for m in f.misspellings}
    assert {"huomena", "kipee"} <= found
    assert "huomenna" in next(m for m in f.misspellings if m.word == "huomena").suggestions
    assert f.colloquial >= 1 and f.misspelt_share > 0.15
    assert features(B1, tools).misspellings == []  # names (Minna, Ahmedilta, Olga) are no errors


def test_a_richer_text_shows_more_structure(tools):
    low, high = features(A2, tools), features(B1, tools)
    assert high.subordinators >= 2 > low.subordinators
    assert high.case_variety > low.case_variety
    assert high.verb_forms > low.verb_forms
    assert high.conditionals >= 1
    assert high.n_words > 2 * low.n_words


def test_an_answer_in_english_or_a_copied_prompt_is_recognised(tools):
    english = features("Hello, I am sick and I cannot come to work tomorrow. Sorry! Olga", tools)
    assert english.language == "en" and english.finnish_share == 0.0
    copy = features(PROMPT, tools)
    assert copy.copied_share == 1.0 and copy.prompt_coverage == 1.0
    assert features(B1, tools).copied_share == 0.0


def test_empty_text_gives_zero_features(tools):
    f = features("", tools)
    assert f.n_words == 0 and f.n_sentences == 0 and f.mtld == 0.0


def test_mtld_grows_with_lexical_diversity():
    repetitive = ["talo", "on", "iso"] * 20
    varied = [f"sana{i}" for i in range(60)]
    assert mtld(varied) > 3 * mtld(repetitive)
    assert mtld([]) == 0.0
