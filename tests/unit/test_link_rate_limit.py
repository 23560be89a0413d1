"""The rate limit of employer-link look-ups (in the process; the Redis variant runs in
tests/integration/test_results_seeker.py)."""
from services.common.rate_limit import RateLimiter as LinkRateLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_31st_lookup_in_a_minute_waits_until_the_oldest_is_a_minute_old():
    clock = Clock()
    limiter = LinkRateLimiter(limit=30, window=60, clock=clock)
    for i in range(30):
        clock.now = 1000.0 + i
        assert limiter.hit("192.0.2.1") == 0
    clock.now = 1030.5
    assert limiter.hit("192.0.2.1") == 30  # the first look-up leaves the window at 1060
    assert limiter.hit("198.51.100.7") == 0  # another address has its own count
    clock.now = 1060.0
    assert limiter.hit("192.0.2.1") == 0


def test_refused_lookups_do_not_extend_the_wait():
    clock = Clock()
    limiter = LinkRateLimiter(limit=2, window=60, clock=clock)
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    for _ in range(100):
        assert limiter.hit("a") > 0
    clock.now += 60
    assert limiter.hit("a") == 0


def test_a_failing_redis_falls_back_to_counting_in_the_process():
    class Broken:
        def pipeline(self, **_kw):
            raise ConnectionError("down")

    limiter = LinkRateLimiter(Broken(), limit=1, window=60, clock=Clock())
    assert limiter.hit("a") == 0
    assert limiter.hit("a") > 0
