"""What the scoring service needs from other services, as ports with their adapters.

A job seeker reads the scoring of their own spoken answers with the bearer token of their
test session, which the testing service gave them and alone can check: :class:`SessionTokens`.

- the embedded default (one process) uses ``services.adapters.testing.InProcessSessionTokens``,
  named by its dotted path (this package does not import the testing service);
- a scoring service deployed apart asks the testing service at ``TAITOTASO_TESTING_URL``:
  :class:`HttpSessionTokens` sends the job seeker's token to ``GET /api/v1/sessions/<id>``,
  which answers 200 for the session's bearer and 404 for any other token.
"""
from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from services.common.config import Config
from services.common.errors import APIError
from services.common.ports import load

log = logging.getLogger(__name__)

IN_PROCESS_SESSION_TOKENS = "services.adapters.testing:InProcessSessionTokens"


class SessionTokens(Protocol):
    def matches(self, session_id: str, token: str) -> bool:
        """Whether ``token`` is the bearer token of test session ``session_id``."""


class HttpSessionTokens:
    PATH = "/api/v1/sessions/"

    def __init__(self, url: str, timeout: float = 5.0):
        self.url = url.rstrip("/") + self.PATH
        self.timeout = timeout

    def matches(self, session_id: str, token: str) -> bool:
        request = urllib.request.Request(self.url + urllib.parse.quote(session_id, safe=""),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):
                return True
        except urllib.error.HTTPError as err:
            if err.code in (401, 404):
                return False
            log.error("the testing service answered %s to a token check", err.code)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
            log.error("the testing service did not answer a token check: %s",
                      getattr(err, "reason", err))
        raise APIError(503, "Your test's token cannot be checked right now: try again in a "
                            "minute.")


def session_tokens_for(config: Config, db) -> SessionTokens:
    """The testing service as configured: over HTTP where ``TAITOTASO_TESTING_URL`` is set,
    else in this process (the embedded default)."""
    if config.testing_url:
        return HttpSessionTokens(config.testing_url)
    return load(IN_PROCESS_SESSION_TOKENS)(db)
