"""All services in one process: the embedded default that `taitotaso serve` runs.

Each service stays its own Flask app; this mounts them under one WSGI application.
The testing service owns the root (the job seeker's pages and /api/v1/sessions);
later services mount under their own prefixes.
"""
from __future__ import annotations

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services.common.config import Config

SERVICES: dict[str, str] = {
    # prefix -> module with create_app
    "/authoring": "services.authoring.app",
    "/results": "services.results.app",
    "/katso": "services.library.app",
}


# services whose paths are part of the suite's one API (/api/v1/...): they get the
# request unchanged, so that they answer on the same paths alone and in the suite
API_SERVICES: dict[str, str] = {
    "/api/v1/scoring": "services.scoring.app",
    "/api/v1/results": "services.results.app",
    "/.well-known": "services.results.app",
    "/verify": "services.results.app",   # redirects to its verification page, /results/verify
}


# each service alone (`taitotaso serve --service NAME`): its app module and the prefix its
# pages answer under (as in the suite, so that links and the gateway in front stay the same)
ALONE: dict[str, tuple[str, str]] = {
    "testing": ("services.testing.app", ""),
    "scoring": ("services.scoring.app", ""),
    "results": ("services.results.app", "/results"),
    "authoring": ("services.authoring.app", "/authoring"),
    "library": ("services.library.app", "/katso"),
}


def mounted_at(prefix: str, app):
    """``app`` answering under ``prefix`` (e.g. "/results") and on unchanged other paths
    (its API under /api/v1/..., /.well-known)."""
    prefix = prefix.rstrip("/")
    if not prefix:
        return app

    def mounted(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == prefix or path.startswith(prefix + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            environ["PATH_INFO"] = path[len(prefix):]
        return app(environ, start_response)

    mounted.mount_prefix = prefix
    return mounted


def service_app(name: str, config: Config | None = None):
    """One service alone, as ``taitotaso serve --service NAME`` serves it: it reaches the
    others through configuration (``TAITOTASO_SCORING_URL``...)."""
    if name not in ALONE:
        raise ValueError(f"no service {name!r}: choose one of {', '.join(ALONE)}")
    module, prefix = ALONE[name]
    config = config or Config.from_env()
    if name == "scoring":   # its language tools load at start, not in the first answer
        from services.scoring.app import create_app as scoring_app

        return scoring_app(config, warm_up=True)
    return mounted_at(prefix, _app_of(module, config))


class PathRouter:
    """Sends requests under a path prefix to another app without changing the path."""

    def __init__(self, default, routes: dict):
        self.default = default
        self.routes = sorted(routes.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for prefix, app in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        return self.default(environ, start_response)


def _app_of(module: str, config: Config):
    return __import__(module, fromlist=["create_app"]).create_app(config)


def create_app(config: Config | None = None):
    from services.testing.app import create_app as testing_app

    config = config or Config.from_env()
    apps: dict[str, object] = {}   # one app per service module, however many prefixes it has

    def app_of(module: str):
        if module not in apps:
            apps[module] = _app_of(module, config)
        return apps[module]

    scorer = speech = None
    if not config.scoring_url:   # the scoring service is in this process: one scorer for both
        from services.adapters.scoring import InProcessScorer, InProcessSpeechScoring

        scoring = app_of("services.scoring.app").extensions["taitotaso.scoring"]
        scorer = InProcessScorer(scoring.db, config, service=scoring)
        speech = InProcessSpeechScoring(scoring.db, config, service=scoring)
    root = testing_app(config, scorer=scorer, speech=speech)
    wsgi = root.wsgi_app
    mounts = {prefix: app_of(module) for prefix, module in SERVICES.items()}
    if mounts:
        wsgi = DispatcherMiddleware(wsgi, mounts)
    api = {prefix: app_of(module) for prefix, module in API_SERVICES.items()}
    if api:
        wsgi = PathRouter(wsgi, api)
    root.wsgi_app = wsgi
    return root
