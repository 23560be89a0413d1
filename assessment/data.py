"""Reading the engine's data files (cut scores, blueprint, self-assessment)."""
from __future__ import annotations

import json
from importlib import resources


def load_json(name: str, path=None) -> dict:
    """``assessment/data/<name>``, or the file at ``path`` when one is given."""
    if path is None:
        return json.loads(resources.files("assessment").joinpath("data", name).read_text("utf-8"))
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
