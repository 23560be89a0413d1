"""The scoring service as its own Flask app: ``gunicorn 'services.scoring.app:create_app()'``."""
from __future__ import annotations

import threading

from services.common.app_support import RestApi, base_app
from services.common.config import Config

from . import api, service_api
from .handlers import ScoringService
from .ports import session_tokens_for


def create_app(config: Config | None = None, scorer_factory=None, warm_up: bool = False):
    app, res = base_app(__name__, config)
    from services.common.staff_login import init_staff_login

    init_staff_login(app)   # the review queue reads the staff session (Flask-Login)
    app.config.update(
        API_TITLE="Taitotaso scoring API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1/scoring", OPENAPI_JSON_PATH="openapi.json",
        SESSION_COOKIE_NAME="taitotaso_staff",  # the staff session of the authoring service
        MAX_CONTENT_LENGTH=11 * 1024 * 1024,  # recordings up to 10 MB, checked with a message
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "serviceAuth": {"type": "http", "scheme": "bearer",
                            "description": "a service's credential (TAITOTASO_SCORING_CLIENTS)"}}}},
    )
    service = ScoringService(res.db, res.config, scorer_factory, res.queue)
    app.extensions["taitotaso.scoring"] = service
    # a job seeker's token is checked by the testing service (services/scoring/ports.py)
    app.extensions["taitotaso.scoring.sessions"] = session_tokens_for(res.config, res.db)

    rest = RestApi(app)
    rest.register_blueprint(api.blp)
    rest.register_blueprint(service_api.records_blp)
    if res.redis is None:  # embedded: jobs left by a stopped server run again
        from .speech import recover_stale_jobs

        def recover():
            from .retention import purge_recordings

            try:
                recover_stale_jobs(res.db, res.queue)
                # no worker runs the retention sweep here: each start does, and
                # `taitotaso recordings purge` (e.g. daily from cron)
                purge_recordings(res.db, res.config.recording_retention_days)
            except Exception as err:  # e.g. a database not migrated yet: the next poll recovers
                app.logger.warning("could not look for stopped speech jobs: %s", err.__class__.__name__)

        threading.Thread(target=recover, name="speech-recovery", daemon=True).start()
    if warm_up:  # load the language tools before the first answer arrives
        threading.Thread(target=service.warm_up, name="scoring-warm-up", daemon=True).start()
    return app
