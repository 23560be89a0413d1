import pytest

from scoring.textinput import TextInputError, clean, read_answer


def test_html_and_scripts_are_stripped_and_entities_decoded():
    assert clean("<p>Hei <b>Maija</b>!</p><script>alert(1)</script>") == "Hei  Maija !"
    assert clean("Minä &amp; sinä") == "Minä & sinä"


@pytest.mark.parametrize("data,message", [
    (b"\x00\x01\x02PK", "binary"),
    ("Hyvää päivää".encode("latin-1"), "not UTF-8"),
    (("sana " * 5001).encode(), "more than 5000 words"),
])
def test_unreadable_answers_are_refused_with_a_reason(data, message):
    with pytest.raises(TextInputError, match=message):
        read_answer(data)


def test_utf8_with_a_byte_order_mark_is_read():
    assert read_answer("\ufeffHei".encode("utf-8")) == "Hei"
