"""The results service as its own Flask app: ``gunicorn 'services.results.app:create_app()'``.

Mounted by the gateway at ``/results`` (the job seeker's account, sharing and the
employer's link pages; the coach pages under ``/results/coach``), and on unchanged paths
for ``/api/v1/results`` and ``/.well-known/jwks.json``.
"""
from __future__ import annotations

from services.common.app_support import RestApi, base_app
from services.common.config import Config

from . import api, coach, pages, service_api, wellknown
from .ports import finished_tests_for, scoring_records_for
from . import password_reset, sign_up_mail  # noqa: F401  (their pages join pages.bp)


def create_app(config: Config | None = None, scoring=None):
    """``scoring``: the scoring service's reviews and spoken answers
    (:class:`services.results.ports.ScoringRecords`); None: as the configuration says
    (``TAITOTASO_SCORING_URL``, else in this process)."""
    app, res = base_app(__name__, config)
    # the tests the testing service keeps: in this process, or over HTTP (TAITOTASO_TESTING_URL)
    app.extensions["taitotaso.results.finished_tests"] = finished_tests_for(res.config, res.db)
    app.extensions["taitotaso.results.scoring"] = scoring if scoring is not None else \
        scoring_records_for(res.config, res.db, res.queue)
    pages.init_login(app)   # Flask-Login: who is signed in (job seekers)
    app.config.update(
        API_TITLE="Taitotaso results API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1/results", OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "serviceAuth": {"type": "http", "scheme": "bearer",
                            "description": "a service's credential (TAITOTASO_RESULTS_CLIENTS)"}}}},
    )
    rest = RestApi(app)
    rest.register_blueprint(api.blp)
    rest.register_blueprint(service_api.service_blp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(coach.bp)
    app.register_blueprint(wellknown.bp)
    return app
