"""The writing level against a length-only baseline, gaming and the reliability of its
confidence, recomputed from the rated-text CSV files on every run (nothing is read from
the numbers stored in the model file). benchmarks/writing_trust.py prints the same tables."""
from __future__ import annotations

import pytest

from item_bank.content import writing_tasks
from scoring.adapters import writing_scorer
from scoring.evaluation import (LengthBaseline, agreement_table, balanced_subset, gaming_table,
                                load_corpus, offtask_paragraphs, reliability_table, score_rows,
                                subscore_information, word_count)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def scorer():
    return writing_scorer()


@pytest.fixture(scope="module")
def scored(corpus, scorer):
    return score_rows(scorer, corpus[1], writing_tasks())


@pytest.fixture(scope="module")
def table(corpus, scored):
    return agreement_table(scored, LengthBaseline.fit(corpus[0]))


def test_the_corpus_breaks_the_length_confound_in_both_parts(corpus):
    """Short B2–C2 and long A1–B1 texts for every task of the test (practice tasks, kept out
    of the test as retired items, have no rated texts), in training and held-out texts."""
    from item_bank.content import load_content

    tasks = [i.id for i in load_content() if i.kind == "writing_task" and i.status == "live"]
    assert len(tasks) >= 10
    for rows in corpus:
        for task in tasks:
            texts = [r for r in rows if r["task_id"] == task]
            short_high = [r for r in texts if r["cefr"] in ("B2", "C1", "C2") and word_count(r["text"]) <= 90]
            long_low = [r for r in texts if r["cefr"] in ("A1", "A2", "B1") and word_count(r["text"]) >= 60]
            assert short_high and long_low, task


def test_the_balanced_subset_covers_every_level_in_one_range_of_lengths(corpus):
    subset = balanced_subset(corpus[1])
    levels = {r["cefr"] for r in subset}
    assert levels == {"A1", "A2", "B1", "B2", "C1", "C2"}
    assert all(60 <= word_count(r["text"]) <= 100 for r in subset)
    assert all(sum(r["cefr"] == lvl for r in subset) >= 5 for lvl in levels)


def test_the_model_beats_the_length_baseline_where_length_says_nothing(table):
    balanced = table["balanced"]
    assert abs(balanced["baseline"]["spearman"]) <= 0.25          # length says (almost) nothing here
    assert balanced["model"]["spearman"] >= 0.8
    assert balanced["model"]["qwk"] >= 0.8 and balanced["model"]["adjacent"] >= 0.9
    everything = table["all"]
    assert everything["model"]["spearman"] >= 0.9 > everything["baseline"]["spearman"]
    assert everything["model"]["exact"] >= everything["baseline"]["exact"] + 0.2


def test_no_kind_of_gaming_raises_a_level(scorer, scored):
    finnish = [s for s in scored if s["result"].recognised_as == "finnish_text"]
    table = gaming_table(scorer, finnish, writing_tasks(), offtask_paragraphs())
    assert set(table) == {"repeated_twice", "repeated_three_times", "padded_unrelated",
                          "shuffled_sentences", "word_list"}
    for kind, row in table.items():
        assert row["n"] == len(finnish) >= 150
        assert row["higher_level"] == 0, (kind, row["examples"])
    # what was set aside is named: every repeated or listed answer is flagged
    for kind in ("repeated_twice", "repeated_three_times", "word_list"):
        assert table[kind]["flagged"] == table[kind]["n"]
    assert table["padded_unrelated"]["flagged"] >= 0.9 * table["padded_unrelated"]["n"]


def test_the_confidence_is_calibrated(scored):
    rel = reliability_table(scored)
    assert rel["n"] == len(scored)
    assert rel["ece"] <= 0.10
    populated = [b for b in rel["bins"] if b["n"] >= 20]
    assert len(populated) >= 2
    # more confident bins are right more often
    assert populated[-1]["exact"] > populated[0]["exact"]


def test_only_subscores_that_say_something_of_their_own_are_kept(scorer, scored):
    info = subscore_information(scored)
    assert info["task"]["r_deviation"] >= 0.4            # short or off-task answers: task below level
    for scale, into in scorer.model.merged.items():
        assert into == "overall"
        assert all(s["result"].subscores[scale] == pytest.approx(s["result"].score, abs=0.01)
                   for s in scored if s["result"].recognised_as == "finnish_text")
