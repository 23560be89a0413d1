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
