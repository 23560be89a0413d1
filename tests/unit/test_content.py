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


# -- practice items never resemble live ones -------------------------------------------
def _stem_and_key(item) -> str:
    """What a learner would remember of an item: its text, question and right answer,
    lower-cased words only."""
    import re

    c, parts = item.content, []
    if item.stimulus:
        parts.append(item.stimulus.get("text") or item.stimulus.get("audio_text") or "")
    if item.kind == "multiple_choice":
        parts += [c.get("context") or "", c["prompt"], c["choices"][item.key]]
    elif item.kind == "cloze":
        parts.append(c["text"].replace("___", item.accept[0]))
    elif item.kind == "yes_no":
        parts.append(c["word"])
    elif item.kind == "sentence_building":
        parts.append(item.accept[0])
    elif "prompt" in c:
        parts.append(c["prompt"])
    else:
        parts.append(c.get("text") or c.get("audio_text") or "")
    return " ".join(re.findall(r"\w+", " ".join(parts).casefold()))


def near_copies(practice, live, ratio_limit=0.7, jaccard_limit=0.6):
    """Pairs (practice id, live id, ratio, jaccard) whose stem and key are nearly the same
    text: difflib's ratio of the two strings, or the Jaccard index of their word sets."""
    from difflib import SequenceMatcher

    found = []
    for p in practice:
        tp = _stem_and_key(p)
        wp = set(tp.split())
        for q in live:
            tq = _stem_and_key(q)
            wq = set(tq.split())
            ratio = SequenceMatcher(None, tp, tq, autojunk=False).ratio()
            jaccard = len(wp & wq) / len(wp | wq) if wp | wq else 0.0
            if ratio >= ratio_limit or jaccard >= jaccard_limit:
                found.append((p.id, q.id, round(ratio, 2), round(jaccard, 2)))
    return found


def test_no_practice_item_is_a_near_copy_of_a_live_item():
    """Practice shows its answers: a practice item close to a live one would give a live key
    away (as "Jos minulla olisi auto, ___ töihin autolla" did for st-b1-cz-ajaa)."""
    practice = [i for i in ITEMS if i.status == "retired"]
    live = [i for i in ITEMS if i.status != "retired"]
    assert len(practice) >= 20 and len(live) >= 500
    assert not near_copies(practice, live)


def test_the_near_copy_check_catches_the_copies_it_is_for():
    from dataclasses import replace

    live = {i.id: i for i in ITEMS}
    ajaa = live["st-b1-cz-ajaa"]
    copy = replace(ajaa, id="pr-copy", status="retired",
                   content={**ajaa.content, "text": "Jos minulla olisi auto, ___ töihin autolla."})
    assert [c[:2] for c in near_copies([copy], [ajaa])] == [("pr-copy", "st-b1-cz-ajaa")]
    reworded = replace(ajaa, id="pr-other", status="retired",
                       content={**ajaa.content, "text": "Jos voittaisin lotossa, ___ talon."},
                       accept=("ostaisin",))
    assert near_copies([reworded], [ajaa]) == []


def test_no_practice_word_is_a_word_a_live_item_asks_the_meaning_of():
    import re

    def asked(item):
        m = re.search(r'sana "([^"]+)"', item.content.get("prompt") or "")
        return m.group(1).casefold() if m else None

    live_words = {asked(i) for i in ITEMS if i.status != "retired"} - {None}
    practice_words = {asked(i): i.id for i in ITEMS if i.status == "retired" and asked(i)}
    assert practice_words and not {w: pid for w, pid in practice_words.items() if w in live_words}
