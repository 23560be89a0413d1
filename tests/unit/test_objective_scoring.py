import pytest

from item_bank.model import IRT, Item
from scoring.objective import AnswerError, normalise, score

MC = Item(id="m", kind="multiple_choice", skill="reading", cefr="A2", topic="housing",
          content={"prompt": "?", "choices": {"a": "yksi", "b": "kaksi"}}, key="b", irt=IRT(1, 0))
YN = Item(id="y", kind="yes_no", skill="vocabulary", cefr="A1", topic="general",
          content={"word": "talo"}, key="yes", irt=IRT(1, 0))
CZ = Item(id="c", kind="cloze", skill="structure", cefr="A2", topic="housing",
          content={"text": "Asun ___.", "hint": "Espoo"}, key="Espoossa", accept=("Espoossa",),
          irt=IRT(1, 0))


def test_typed_answers_ignore_case_space_and_final_punctuation():
    assert normalise("  ESPOOSSA. ") == "espoossa"
    assert score(CZ, "espoossa") == 1
    assert score(CZ, "Espoosa") == 0
    assert score(CZ, "") == 0


@pytest.mark.parametrize("item,answer,message", [
    (MC, "c", "one of the choice ids a, b"),
    (MC, 1, "one of the choice ids"),
    (YN, True, '"yes"'),
    (CZ, ["Espoossa"], "as a string"),
    (CZ, "x" * 201, "longer than"),
])
def test_malformed_answers_get_a_message_a_person_can_act_on(item, answer, message):
    with pytest.raises(AnswerError, match=message):
        score(item, answer)


def test_keys_score_and_wrong_choices_do_not():
    assert score(MC, "b") == 1 and score(MC, "a") == 0
    assert score(YN, "yes") == 1 and score(YN, "no") == 0


def make(kind, **content):
    from item_bank.content import answer_key

    key = answer_key(kind, {**content, "accept": content.get("accept", [])}) if kind != "sentence_building" else content["accept"][0]
    return Item(id="x", kind=kind, skill="structure", cefr="B1", topic="general",
                content={k: v for k, v in content.items() if k != "accept"}, key=key,
                accept=tuple(content.get("accept", ())), irt=IRT(1, 0))


def test_dictation_gives_partial_credit_for_most_words():
    item = make("dictation", audio_text="Kauppa on auki kello yhdeksään asti.")
    assert score(item, "kauppa on auki kello yhdeksään asti") == 2
    assert score(item, "Kauppa on auki kello yhdeksän asti.") == 1
    assert score(item, "kauppa") == 0
    assert score(item, "kauppa on auki kello yhdeksään asti " * 3) == 0  # padding does not pay


def test_sentence_building_accepts_every_listed_order_only():
    item = make("sentence_building", words=["maitoa", "ostan", "huomenna"],
                accept=["Huomenna ostan maitoa.", "Ostan huomenna maitoa."])
    assert score(item, "ostan huomenna maitoa") == 1
    assert score(item, "Maitoa huomenna ostan.") == 0


def test_c_test_scores_each_gap_and_takes_the_missing_part_or_the_whole_word():
    text = ("Espoon kirjasto on avoinna joka päivä. Kirjastosta voi lainata kirjoja, lehtiä ja "
            "elokuvia. Lainaamiseen tarvitaan kirjastokortti, jonka saa maksutta.")
    item = make("c_test", text=text)
    n = len(item.key)
    assert score(item, list(item.key)) == n
    whole = ["voi"] + list(item.key[1:])
    assert score(item, whole) == n
    assert score(item, [""] * n) == 0
    with pytest.raises(AnswerError, match=f"list of {n} strings"):
        score(item, ["a"])


def test_cloze_under_the_graded_model_gives_partial_credit_for_a_wrong_form_or_a_near_miss():
    from scoring.adapters.voikko import VoikkoAnalyzer

    item = Item(id="c2", kind="cloze", skill="structure", cefr="A2", topic="housing",
                content={"text": "Asun ___.", "hint": "Espoo"}, key="Espoossa", accept=("Espoossa",),
                irt=IRT(1.2, -1.0, model="grm", thresholds=(-2.0, -1.0)))
    voikko = VoikkoAnalyzer()
    assert score(item, "Espoossa", voikko) == 2
    assert score(item, "Espooseen", voikko) == 1   # the right word, a wrong case
    assert score(item, "Espoosa", voikko) == 1     # a lost double consonant
    assert score(item, "Helsingissä", voikko) == 0
    assert score(CZ, "Espoosa") == 0               # a dichotomous item: full credit only
