import json

from services.cli import main


def test_simulate_prints_every_figure_as_json(capsys):
    assert main(["simulate", "--bank", "synthetic:300", "--examinees", "40", "--max-items", "10",
                 "--seed", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("rmse", "bias", "mean_items", "cefr_exact", "cefr_adjacent", "max_exposure",
                "step_us_median", "step_us_p99", "bound_rmse"):
        assert isinstance(out[key], (int, float)), key
    assert out["mean_items"] == 10 and out["config"]["exposure_control"]["randomesque_k"] == 2


def test_simulate_on_the_seed_bank_with_the_production_rule(capsys):
    assert main(["simulate", "--bank", "seed", "--examinees", "30", "--min-items", "15",
                 "--max-items", "30", "--sem-target", "0.3", "--cefr-stop", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 15 <= out["mean_items"] <= 30 and out["cefr_adjacent"] > 0.8


def test_simulate_explains_a_bad_bank_argument(capsys):
    assert main(["simulate", "--bank", "synthetic:lots"]) == 2
    assert "positive whole number" in capsys.readouterr().err
    assert main(["simulate", "--bank", "mine"]) == 2


def test_export_on_an_empty_database_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAITOTASO_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["items", "export", "--with-keys"]) == 2
    assert "taitotaso db seed" in capsys.readouterr().err


def test_seed_then_export_gives_keys_in_the_shape_the_api_takes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAITOTASO_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["db", "seed"]) == 0
    capsys.readouterr()
    assert main(["items", "export", "--with-keys"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) >= 150
    for row in rows:
        assert {"id", "kind", "skill", "cefr", "irt", "key"} <= set(row)
        assert set(row["irt"]) == {"a", "b", "c"}
        if row["kind"] == "c_test":
            assert isinstance(row["key"], list) and all(row["key"])
        elif row["kind"] in ("writing_task", "read_aloud", "speaking_prompt"):
            assert row["key"] is None  # scored by the writing and speech scorers
        else:
            assert isinstance(row["key"], str) and row["key"]


def test_the_readme_coverage_table_is_generated_from_the_bank(capsys):
    from pathlib import Path

    from item_bank.content import load_content
    from services.cli.items import COVERAGE_BEGIN, COVERAGE_END, coverage_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    current = readme.split(COVERAGE_BEGIN, 1)[1].split(COVERAGE_END, 1)[0].strip()
    expected = coverage_table([i for i in load_content() if i.status == "live"])
    assert current == expected, "run: taitotaso items coverage --readme README.md"


def test_seed_if_empty_leaves_an_existing_bank_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAITOTASO_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["db", "seed", "--if-empty"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["added"] >= 600
    assert main(["db", "seed", "--if-empty"]) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert second["seeded"] is False and second["bank_version"] == first["bank_version"]


def test_score_writing_prints_the_level_subscores_confidence_and_feedback(tmp_path, capsys):
    answer = tmp_path / "answer.txt"
    answer.write_text("Hei! Olen sairas, koska minulla on kuumetta. En pääse huomenna töihin. "
                      "Soitan lääkärille aamulla. Terveisin Olga", encoding="utf-8")
    assert main(["score", "writing", "--prompt-text", "Olet sairas. Kirjoita viesti esihenkilöllesi.",
                 str(answer)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cefr"] in ("A1", "A2", "B1", "B2", "C1", "C2")
    assert set(out["subscores"]) == {"task", "vocabulary", "accuracy", "coherence"}
    assert 0 <= out["confidence"] <= 1 and isinstance(out["feedback"], list)


def test_score_writing_explains_a_file_that_is_not_text(tmp_path, capsys):
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\x00\x10JFIF")
    assert main(["score", "writing", "--prompt-text", "Kerro itsestäsi.", str(binary)]) == 2
    assert "not text" in capsys.readouterr().err


def test_score_writing_batch_prints_one_line_per_answer_with_flags_and_explains_bad_lines(tmp_path, capsys):
    text = ("Hei Minna! Olen sairas, koska minulla on kuumetta. En pääse huomenna töihin. "
            "Soitan lääkärille aamulla ja kerron, milloin tulen takaisin. Terveisin Olga")
    lines = [
        {"id": "plain", "task_id": "wr-a2-viesti-sairas", "text": text},
        {"id": "pasted-twice", "task_id": "wr-a2-viesti-sairas", "text": text + "\n\n" + text},
        {"id": "list", "prompt_text": "Kerro itsestäsi.",
         "text": "\n".join(["kestävyys", "hyvinvointi", "yhteiskunta", "osallisuus", "kehittäminen",
                            "vuorovaikutus", "merkitys", "vastuullisuus", "monimuotoisuus", "tehokkuus"])},
        {"id": "swedish", "prompt_text": "Kerro itsestäsi.", "text": "Jag heter Anna och jag bor i Esbo sedan tre år."},
    ]
    batch = tmp_path / "answers.jsonl"
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
                     + '\nnot json\n{"id": "x", "task_id": "no-such-task", "text": "Hei"}\n', encoding="utf-8")
    assert main(["score", "writing", "--jsonl", str(batch)]) == 1   # two lines could not be scored
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_id = {o["id"]: o for o in out if "error" not in o}
    assert set(by_id) == {"plain", "pasted-twice", "list", "swedish"}
    plain, twice = by_id["plain"], by_id["pasted-twice"]
    assert set(plain) >= {"cefr", "score", "subscores", "confidence", "feedback", "flags"}
    assert twice["cefr"] == plain["cefr"] and twice["score"] == plain["score"]
    assert "repetition" in twice["flags"] and twice["confidence"] < plain["confidence"]
    assert by_id["list"]["flags"] == ["word_list"] and by_id["list"]["cefr"] == "A1"
    assert "not_finnish" in by_id["swedish"]["flags"]
    errors = [o for o in out if "error" in o]
    assert [e["line"] for e in errors] == [5, 6]
    assert "not a JSON object" in errors[0]["error"] and "no-such-task" in errors[1]["error"]


def test_simulate_answers_from_a_perturbed_truth_and_reports_kind_shares(capsys):
    args = ["simulate", "--bank", "seed", "--examinees", "40", "--min-items", "15", "--max-items", "30",
            "--sem-target", "0.3", "--cefr-stop", "--seed", "1", "--json"]
    assert main(args) == 0
    known = json.loads(capsys.readouterr().out)
    assert main(args + ["--truth", "perturbed:b_sd=0.5,a_logsd=0.3,shift=0.5"]) == 0
    out = json.loads(capsys.readouterr().out)
    for report in (known, out):
        assert {"rmse", "bias", "cefr_exact", "cefr_adjacent", "mean_items", "kind_share"} <= set(report)
        assert {"writing_task", "yes_no", "c_test", "sentence_building", "dictation"} <= set(report["kind_share"])
    assert out["config"]["truth"] == {"perturbed": {"b_sd": 0.5, "a_logsd": 0.3, "shift": 0.5}}
    assert known["config"]["truth"] == "engine"
    assert out["bias"] < known["bias"]  # harder than believed: estimates fall
    assert main(["simulate", "--truth", "perturbed:shift=lots"]) == 2
    assert "needs a number" in capsys.readouterr().err
