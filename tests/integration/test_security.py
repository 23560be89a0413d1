"""Regression tests of the security findings of issue 15, through the suite's gateway."""
from __future__ import annotations

import pytest

from services.gateway import create_app as suite

from .conftest import seeded_config


@pytest.fixture
def sqlite_config(tmp_path):
    return seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)


@pytest.fixture
def gateway(sqlite_config):
    app = suite(sqlite_config)
    yield app
    app.extensions["taitotaso.resources"].db.dispose()


DEEP = "[" * 100_000 + "]" * 100_000
SURROGATE = '{"answer": "Hei \\ud800 maailma", "prompt_text": "Kerro"}'
JSON_PATHS = ["/api/v1/sessions", "/api/v1/scoring/writing", "/api/v1/results/shares",
              "/authoring/api/v1/items", "/authoring/api/v1/auth/sign-in"]


@pytest.mark.parametrize("path", JSON_PATHS)
@pytest.mark.parametrize("body,words", [(DEEP, "nested too deeply"), (SURROGATE, "surrogate")])
def test_deep_json_and_lone_surrogates_get_a_400_with_a_message(gateway, path, body, words):
    r = gateway.test_client().post(path, data=body, content_type="application/json")
    assert r.status_code == 400, (path, r.status_code, r.data[:200])
    assert words in r.json["message"]
