"""The suite's one JSON parser refuses what used to end in a 500 (issue 15)."""
from __future__ import annotations

import pytest

from services.common.request_parsing import MAX_DEPTH, BadJSON, loads


def test_json_nested_100000_deep_is_refused_with_a_message():
    with pytest.raises(BadJSON, match="nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BadJSON, match="nested too deeply"):
        loads('{"a":' * 100_000 + "1" + "}" * 100_000)


def test_nesting_up_to_the_limit_is_taken():
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(BadJSON):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize("body", [r'{"answer": "ab\ud800c"}', r'{"\udfff": 1}', r'["\udc00"]'])
def test_a_lone_surrogate_is_refused(body):
    with pytest.raises(BadJSON, match="surrogate"):
        loads(body)


def test_a_complete_surrogate_pair_is_a_character():
    assert loads(r'{"a": "\ud83d\ude00"}') == {"a": "\U0001F600"}


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(BadJSON, match="UTF-8"):
        loads('{"a": "ä"}'.encode("latin-1"))
