"""The suite's rate limits through the `limits` library (in memory, and with Redis
unreachable; the shared Redis count runs in tests/integration/test_results_seeker.py)."""
import time
from types import SimpleNamespace

import pytest
import redis
from flask import Flask

from services.common.rate_limit import Limit, RateLimited, enforce, hit, init_rate_limits

LOOKUPS = Limit("link-lookups", 30, 60)


def _app(redis_client=None, url=None):
    app = Flask(__name__)
    init_rate_limits(app, SimpleNamespace(redis=redis_client, config=SimpleNamespace(redis_url=url)))
    return app


def _from(app, address):
    return app.test_request_context(environ_base={"REMOTE_ADDR": address})


def test_the_31st_lookup_in_a_minute_waits_about_a_minute_and_other_addresses_do_not():
    app = _app()
    with _from(app, "192.0.2.1"):
        assert [hit(LOOKUPS) for _ in range(30)] == [0] * 30
        assert 55 <= hit(LOOKUPS) <= 60
    with _from(app, "198.51.100.7"):
        assert hit(LOOKUPS) == 0  # another address has its own count


def test_the_window_moves_on_and_refused_events_do_not_extend_it():
    app, limit = _app(), Limit("short", 2, 1)
    with _from(app, "192.0.2.1"):
        assert hit(limit) == 0 and hit(limit) == 0
        assert all(hit(limit) == 1 for _ in range(50))
        time.sleep(1.1)
        assert hit(limit) == 0


def test_limits_with_the_same_scope_share_the_count_and_other_scopes_do_not():
    app = _app()
    with _from(app, "192.0.2.1"):
        assert hit(Limit("prints", 1, 60)) == 0
        assert hit(Limit("prints", 1, 60)) > 0
        assert hit(Limit("feedback", 1, 60)) == 0


def test_a_named_key_replaces_the_address():
    app, limit = _app(), Limit("uploads", 1, 60)
    with _from(app, "192.0.2.1"):
        assert hit(limit, key="service:a") == 0
        assert hit(limit, key="service:b") == 0
        with pytest.raises(RateLimited) as refused:
            enforce(limit, "Too many.", key="service:a")
    assert refused.value.status == 429 and 55 <= refused.value.retry_after <= 60


def test_an_unreachable_redis_falls_back_to_counting_in_the_process():
    url = "redis://127.0.0.1:1/0"   # nothing listens on port 1
    down = redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)
    app = _app(down, url)
    with _from(app, "192.0.2.1"):
        assert hit(Limit("x", 1, 60)) == 0
        assert hit(Limit("x", 1, 60)) > 0
