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
