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
}


def create_app(config: Config | None = None):
    from services.testing.app import create_app as testing_app

    config = config or Config.from_env()
    root = testing_app(config)
    mounts = {}
    for prefix, module in SERVICES.items():
        mod = __import__(module, fromlist=["create_app"])
        mounts[prefix] = mod.create_app(config)
    if mounts:
        root.wsgi_app = DispatcherMiddleware(root.wsgi_app, mounts)
    return root
