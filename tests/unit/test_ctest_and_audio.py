import shutil

from item_bank.audio import synthesise, turns
from item_bank.ctest import Gap, damage, gaps

TEXT = ("Työvuorot julkaistaan perjantaina. Jokainen työntekijä näkee omat vuoronsa "
        "sovelluksesta ja voi pyytää muutoksia esihenkilöltä. Vuoron vaihtamisesta sovitaan "
        "aina kirjallisesti, jotta Maija ja muut tietävät tilanteen.")


def test_first_sentence_stays_whole_and_every_second_word_loses_its_second_half():
    parts = damage(TEXT)
    assert parts[0].startswith("Työvuorot julkaistaan perjantaina. ")
    found = gaps(TEXT)
    assert found[0] == Gap("työnt", "ekijä")  # 2nd word of the 2nd sentence
    assert any(g.word == "muutoksia" and g.prefix == "muut" for g in found)  # odd: the larger half goes
    assert all(len(g.prefix) == len(g.word) // 2 for g in found)
    assert "".join(p if isinstance(p, str) else p.word for p in parts) == " ".join(TEXT.split())


def test_names_and_numbers_are_left_alone():
    assert all(g.word != "Maija" for g in gaps(TEXT))
    found = gaps("Tervetuloa. Kokous alkaa 12 minuuttia yli 9 ja Pekka kertoo 3 asiaa.")
    assert all(not any(ch.isdigit() for ch in g.word) and g.word != "Pekka" for g in found)
    assert [g.word for g in found] == ["alkaa", "yli", "kertoo"]  # the count skips them too


def test_dialogue_lines_get_two_voices():
    assert turns("A: Hei!\nB: Moi.\njatkuu") == [("A", "Hei!"), ("B", "Moi. jatkuu")]
    assert turns("Vain yksi ääni.") == [(None, "Vain yksi ääni.")]


def test_synthesis_makes_ogg_audio_and_caches_it(tmp_path):
    assert shutil.which("espeak-ng") and shutil.which("sox"), "make install installs espeak-ng and sox"
    data = synthesise("A: Hyvää huomenta.\nB: Huomenta!", "A2", tmp_path)
    assert data[:4] == b"OggS" and len(data) > 2000
    assert list(tmp_path.glob("*.ogg"))
    assert synthesise("A: Hyvää huomenta.\nB: Huomenta!", "A2", tmp_path) == data
