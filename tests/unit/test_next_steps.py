"""Courses and services after a result: the city's file, its validation and the matching."""
from __future__ import annotations

import pytest
import yaml

from item_bank.content import load_content
from item_bank.model import SKILLS
from services.testing import next_steps
from services.testing.next_steps import (DEFAULT_FILE, Entry, NextStepsError, load, match,
                                         practice_candidates, weakest_skill)


def result(overall: str, thetas: dict[str, float]) -> dict:
    return {"overall": {"cefr": overall, "theta": 0.0},
            "skills": {k: {"theta": t, "cefr": overall} for k, t in thetas.items()}}


def entry(id_, levels, skills=()) -> Entry:
    text = {"fi": id_, "sv": id_, "en": id_}
    return Entry(id=id_, kind="course", name=text, description=text, levels=tuple(levels),
                 skills=tuple(skills))


def test_the_shipped_file_loads_and_covers_every_level():
    entries = load(DEFAULT_FILE)
    assert 10 <= len(entries) <= 20
    assert len({e.id for e in entries}) == len(entries)
    for level in ("A1", "A2", "B1", "B2", "C1", "C2"):
        assert any(level in e.levels for e in entries), level
    for e in entries:
        assert all(e.name[lang] and e.description[lang] for lang in ("fi", "sv", "en"))
        assert set(e.skills) <= set(SKILLS)


def test_the_shipped_finnish_passes_voikko(voikko):
    bad = []
    for e in load(DEFAULT_FILE):
        for text in (e.name["fi"], e.description["fi"]):
            for token in voikko.tokens(text):
                w = token.tokenText
                if token.tokenTypeName == "WORD" and not voikko.spell(w) and w not in ("Yle", "YKI"):
                    bad.append((e.id, w))
    assert not bad


def test_the_environment_variable_names_another_file(tmp_path, monkeypatch):
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    data["entries"] = data["entries"][:2]
    path = tmp_path / "espoo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(next_steps.ENV_VAR, str(path))
    assert [e.id for e in load()] == [d["id"] for d in data["entries"]]


@pytest.mark.parametrize("change,pattern", [
    (lambda d: d["entries"][1]["name"].pop("sv"), r"bad.yaml: entry integration-training: name: .*sv"),
    (lambda d: d["entries"][0].update(levels=["A7"]), r"entry literacy-training: levels"),
    (lambda d: d["entries"][2].update(kind="party"), r"entry employment-services-finnish: kind"),
    (lambda d: d["entries"][0].update(skills=["cooking"]), r"entry literacy-training: skills"),
    (lambda d: d["entries"][0].update(url="not a url"), r"entry literacy-training: url"),
    (lambda d: d["entries"][0].update(colour="red"), r"entry literacy-training: colour"),
    (lambda d: d["entries"][1].update(id="literacy-training"), r"entry literacy-training: id: already used"),
])
def test_a_broken_file_is_refused_naming_the_entry_and_field(tmp_path, change, pattern):
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(NextStepsError, match=pattern):
        load(path)


def test_a_file_without_entries_is_refused(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("courses: []\n")
    with pytest.raises(NextStepsError, match="empty.yaml: the file needs a list 'entries'"):
        load(path)


def test_the_weakest_skill_is_the_lowest_theta_and_ties_follow_the_skill_order():
    assert weakest_skill(result("B1", {"reading": 0.4, "listening": -0.3, "vocabulary": 0.1})) == "listening"
    assert weakest_skill(result("B1", {"structure": -1.0, "reading": -1.0})) == "reading"
    assert weakest_skill({"overall": {"cefr": "A1"}, "skills": {}}) is None


def test_matching_fits_the_level_prefers_the_weakest_skill_and_gives_at_most_four():
    entries = [entry("a", ["B1"], ["reading"]), entry("b", ["A1"], ["listening"]),
               entry("c", ["B1", "B2"], ["listening"]), entry("d", ["B1"]),
               entry("e", ["B1"], ["writing"]), entry("f", ["B1"], ["listening", "speaking"]),
               entry("g", ["C1"], ["listening"])]
    res = result("B1", {"reading": 0.5, "listening": -0.5, "structure": 0.0})
    chosen = match(res, entries)
    assert [e.id for e in chosen] == ["c", "f", "a", "d"]
    assert all("B1" in e.levels for e in chosen)
    assert match(res, list(entries)) == chosen  # deterministic
    assert len(match(res, entries * 3)) == 4


def test_matching_on_the_shipped_file():
    entries = load(DEFAULT_FILE)
    for level in ("A1", "A2", "B1", "B2", "C1", "C2"):
        res = result(level, {"reading": 0.2, "listening": -0.8, "vocabulary": 0.0})
        chosen = match(res, entries)
        assert 1 <= len(chosen) <= 4 and all(level in e.levels for e in chosen)
        assert chosen == match(res, entries)
    chosen = match(result("A2", {"reading": 0.2, "listening": -0.8}), entries)
    assert "listening" in chosen[0].skills


def test_matching_falls_back_to_the_nearest_level():
    entries = [entry("far", ["C2"]), entry("near", ["B2"])]
    assert [e.id for e in match(result("A2", {"reading": 0.0}), entries)] == ["near"]


def test_practice_uses_only_retired_items_best_fitting_first():
    items = load_content()
    chosen = practice_candidates(items, "A2", "structure")
    assert chosen and all(i.status == "retired" for i in chosen)
    assert all(i.id.startswith("pr-") for i in chosen)
    assert chosen[0].skill == "structure" and chosen[0].cefr == "A2"
    live = [i for i in items if i.status == "live"]
    assert practice_candidates(live, "A2", "structure") == []
    # no items in the skill: other skills, nearest level first
    other = practice_candidates(items, "B2", "listening")
    assert other[0].cefr == "B2"


def test_the_practice_file_has_six_questions_a_level_writing_tasks_and_listening():
    practice = [i for i in load_content() if i.id.startswith("pr-")]
    assert all(i.status == "retired" for i in practice)
    questions = [i for i in practice if not i.testlet and i.kind != "writing_task"]
    for level in ("A1", "A2", "B1", "B2"):
        assert sum(i.cefr == level for i in questions) == 6
    assert {i.skill for i in questions} == {"vocabulary", "structure", "reading"}
    writing = [i for i in practice if i.kind == "writing_task"]
    assert {i.cefr for i in writing} == {"A1", "A2", "B1", "B2"}
    assert all(i.content["min_words"] < i.content["max_words"] for i in writing)
    listening = [i for i in practice if i.skill == "listening"]
    assert len(listening) >= 2
    assert all(i.kind == "multiple_choice" and i.testlet and "stimulus_audio" in i.audio_texts()
               for i in listening)
    assert {i.skill for i in practice} == {"vocabulary", "structure", "reading", "writing", "listening"}


def test_listening_practice_needs_its_recording_and_comes_first_for_weak_listening():
    from dataclasses import replace

    items = load_content()
    question = next(i for i in items if i.id.startswith("pr-li-a1-"))
    assert question not in practice_candidates(items, "A1", "listening")  # no recording made yet
    ready = replace(question, assets={"stimulus_audio": "0" * 64})
    others = [i for i in items if i.id != question.id]
    assert practice_candidates(others + [ready], "A1", "listening")[0] == ready
    # a live listening question with its recording is never practice
    live = next(i for i in items if i.skill == "listening" and i.status == "live" and i.testlet)
    live = replace(live, assets={"stimulus_audio": "1" * 64})
    assert live not in practice_candidates(others + [live], "A1", "listening")
