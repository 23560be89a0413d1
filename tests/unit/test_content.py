"""The first item bank: enough live items, every skill and level, Finnish checked by Voikko."""
from collections import Counter

import pytest

from item_bank.content import allowed_names, finnish_texts, load_content
from item_bank.schema import ContentError
from scoring.objective import score

ITEMS = load_content()
NAMES = allowed_names()


def test_at_least_150_live_items_from_a1_to_c1_in_every_skill():
    assert len(ITEMS) >= 150
    cells = Counter((i.skill, i.cefr) for i in ITEMS)
    for skill in ("reading", "vocabulary", "structure"):
        for level in ("A1", "A2", "B1", "B2", "C1"):
            assert cells[(skill, level)] >= 5, f"too few {skill} items at {level}"


def test_reading_texts_have_several_questions():
    # live reading is given as texts with several questions; released practice items
    # (status retired, practice.yaml) may be single short notices
    per_text = Counter(i.testlet for i in ITEMS if i.skill == "reading" and i.status == "live")
    assert None not in per_text
    assert min(per_text.values()) >= 2


def test_every_key_scores_full_marks():
    for item in ITEMS:
        if item.objective:
            assert score(item, item.key) == item.max_score, item.id


def misspelt(voikko, text):
    bad = []
    for token in voikko.tokens(text):
        word = token.tokenText
        if token.tokenTypeName != "WORD" or any(ch.isdigit() for ch in word):
            continue
        if word in NAMES or word.strip("-") in NAMES:
            continue
        if not voikko.spell(word):
            bad.append(word)
    return bad


def test_all_finnish_text_passes_voikko(voikko):
    problems = {}
    for item in ITEMS:
        for text in finnish_texts(item):
            bad = misspelt(voikko, text)
            if bad:
                problems.setdefault(item.id, []).extend(bad)
    assert not problems, f"words Voikko does not accept: {problems}"


def test_pseudowords_are_rejected_and_real_words_accepted_and_lists_never_overlap(voikko):
    real = {i.content["word"].casefold() for i in ITEMS if i.kind == "yes_no" and i.key == "yes"}
    pseudo = {i.content["word"].casefold() for i in ITEMS if i.kind == "yes_no" and i.key == "no"}
    assert len(real) >= 15 and len(pseudo) >= 15
    assert not real & pseudo
    assert all(voikko.spell(w) for w in real)
    assert not any(voikko.spell(w) for w in pseudo), [w for w in pseudo if voikko.spell(w)]


def test_a_broken_file_is_refused_with_its_name_item_and_field(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "items:\n  - id: x-1\n    kind: multiple_choice\n    skill: reading\n    cefr: B1\n"
        "    topic: housing\n    prompt: Mikä?\n    choices: {a: yksi, b: kaksi}\n    key: c\n")
    with pytest.raises(ContentError, match=r"bad.yaml: item x-1: .*key"):
        load_content(tmp_path)


def test_duplicate_ids_across_files_are_refused(tmp_path):
    body = ("items:\n  - id: dup\n    kind: yes_no\n    skill: vocabulary\n    cefr: A1\n"
            "    topic: general\n    word: talo\n    key: \"yes\"\n")
    (tmp_path / "a.yaml").write_text(body)
    (tmp_path / "b.yaml").write_text(body)
    with pytest.raises(ContentError, match="already used in a.yaml"):
        load_content(tmp_path)
