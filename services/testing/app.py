"""The testing service as its own Flask app: ``gunicorn 'services.testing.app:create_app()'``."""
from __future__ import annotations

from services.common.app_support import RestApi, base_app
from services.common.config import Config
from services.common.exposure import MemoryExposure, RedisExposure
# how an item is shown: shared with the authoring service's preview
from services.common.item_view import LENGTH_LINE, highlight, paragraphs, prompt_lines  # noqa: F401
from services.common.rate_limit import Limit

from . import api, pages, service_api
from .handlers import TestingService


def create_app(config: Config | None = None, scorer=None, speech=None, sittings=None):
    """``scorer``: how written answers reach the scoring service, ``speech``: how spoken ones
    do, ``sittings``: how a coach's sitting code reaches the results service
    (services/testing/ports.py); None: as the configuration says (``TAITOTASO_SCORING_URL``,
    ``TAITOTASO_RESULTS_URL``, else in this process)."""
    app, res = base_app(__name__, config)
    app.config.update(
        API_TITLE="Taitotaso testing API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "serviceAuth": {"type": "http", "scheme": "bearer",
                            "description": "a service's credential (TAITOTASO_TESTING_CLIENTS)"}}}},
        MAX_CONTENT_LENGTH=11 * 1024 * 1024,  # spoken answers up to 10 MB, refused with a message
    )
    exposure = RedisExposure(res.redis) if res.redis is not None else MemoryExposure()
    app.extensions["taitotaso.testing"] = TestingService(res.db, res.config, exposure, res.queue,
                                                         scorer=scorer, speech=speech,
                                                         sittings=sittings)
    # a whole classroom may start from one address at once: the limit stops floods, not groups
    app.extensions["taitotaso.session_starts"] = Limit(
        "session-starts", res.config.session_starts_per_minute, 60)
    rest = RestApi(app)
    rest.register_blueprint(api.blp)
    rest.register_blueprint(api.assets_blp)
    rest.register_blueprint(service_api.service_blp)
    app.register_blueprint(pages.bp)
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["prompt_lines"] = prompt_lines
    return app
