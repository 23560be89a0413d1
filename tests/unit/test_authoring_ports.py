"""The authoring service's ports to the testing service (services/authoring/ports.py): the
adapter the configuration picks, and what the HTTP adapters send and make of the answers
(the real testing app over a socket: tests/integration/test_authoring_testing_port.py)."""
from __future__ import annotations

import io
import json
import urllib.error
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.adapters.testing import InProcessItemExposure, InProcessRecentResults
from services.authoring.ports import (HttpItemExposure, HttpRecentResults, TestingUnavailable,
                                      item_exposure_for, recent_results_for)
from services.common.service_calls import ServiceUnavailable


class FakeTesting:
    """``urllib.request.urlopen`` answering each request with the next of ``answers``: a
    dict (200 with it as JSON) or an exception; the requests are kept."""

    def __init__(self, monkeypatch, *answers):
        self.answers = list(answers)
        self.requests = []
        monkeypatch.setattr("urllib.request.urlopen", self)

    def __call__(self, request, timeout=None):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return io.BytesIO(json.dumps(answer).encode())


def http_error(code: int, message: str = "no") -> urllib.error.HTTPError:
    return urllib.error.HTTPError("http://testing", code, message, {},
                                  io.BytesIO(json.dumps({"message": message}).encode()))


def test_the_testing_url_picks_the_http_adapters_else_the_in_process_ones():
    apart = SimpleNamespace(testing_url="http://testing:8000/", testing_secret="s" * 24)
    embedded = SimpleNamespace(testing_url=None, testing_secret=None)
    exposure, results = item_exposure_for(apart, None), recent_results_for(apart, None)
    assert isinstance(exposure, HttpItemExposure) and isinstance(results, HttpRecentResults)
    assert exposure.url == "http://testing:8000" and exposure.secret == "s" * 24
    assert isinstance(item_exposure_for(embedded, "db"), InProcessItemExposure)
    assert isinstance(recent_results_for(embedded, "db"), InProcessRecentResults)


def test_exposure_asks_for_one_version_since_a_utc_moment_with_the_credential(monkeypatch):
    fake = FakeTesting(monkeypatch, {"item_id": "lu-a1-1", "version": 2, "served": 7,
                                     "sessions": 40, "since": "2024-05-01T12:00:00+00:00"})
    http = HttpItemExposure("http://testing", "secret-of-authoring")
    # SQLite gives moments back naive: they are UTC
    assert http.exposure("lu-a1-1", 2, datetime(2024, 5, 1, 12)) == {"served": 7, "sessions": 40}
    (req,) = fake.requests
    assert req.full_url == ("http://testing/api/v1/testing/items/lu-a1-1/exposure"
                            "?version=2&since=2024-05-01T12%3A00%3A00%2B00%3A00")
    assert req.get_header("Authorization") == "Bearer secret-of-authoring"
    # an aware moment keeps its offset
    fake = FakeTesting(monkeypatch, {"served": 0, "sessions": 0})
    helsinki = timezone(timedelta(hours=3))
    http.exposure("x", 1, datetime(2024, 5, 1, 15, tzinfo=helsinki))
    assert fake.requests[0].full_url.endswith("since=2024-05-01T15%3A00%3A00%2B03%3A00")


def test_served_versions_and_recent_thetas_read_their_answers(monkeypatch):
    fake = FakeTesting(monkeypatch, {"item_id": "a/b", "versions": [1, 3]},
                       {"days": 30, "thetas": [0.5, -1, 2.25]})
    assert HttpItemExposure("http://t", None).served_versions("a/b") == [1, 3]
    assert HttpRecentResults("http://t", None).thetas(30) == [0.5, -1.0, 2.25]
    # the item id is one path segment, whatever it holds
    assert fake.requests[0].full_url == "http://t/api/v1/testing/items/a%2Fb/served-versions"
    assert fake.requests[1].full_url == "http://t/api/v1/testing/recent-thetas?days=30"
    assert fake.requests[0].get_header("Authorization") is None


@pytest.mark.parametrize("failure", [
    urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
    http_error(404), http_error(401), http_error(422), http_error(503)],
    ids=["down", "404", "401", "422", "503"])
def test_no_usable_answer_is_testing_unavailable(monkeypatch, failure):
    FakeTesting(monkeypatch, failure, failure)   # one retry
    http = HttpItemExposure("http://testing", "s", retry_wait=0)
    with pytest.raises(TestingUnavailable) as err:
        http.served_versions("lu-a1-1")
    assert isinstance(err.value, ServiceUnavailable)
    with pytest.raises(TestingUnavailable):
        FakeTesting(monkeypatch, failure, failure)
        HttpRecentResults("http://testing", "s", retry_wait=0).thetas(365)
