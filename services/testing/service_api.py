"""The testing API's service-only part, under /api/v1/testing: what the other services read
or ask of the tables the testing service owns (``test_sessions``, ``session_items``). Each
call carries the calling service's credential (``TAITOTASO_TESTING_CLIENTS``); job seekers'
browsers use /api/v1/sessions instead."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from services.common.service_calls import require_service

service_blp = Blueprint("testing-services", __name__, url_prefix="/api/v1/testing",
                        description="For the suite's other services, with their credentials")

SERVICE_AUTH = [{"serviceAuth": []}]


def service():
    return current_app.extensions["taitotaso.testing"]


def caller() -> str:
    """The calling service's name, or 401."""
    config = current_app.extensions["taitotaso.resources"].config
    return require_service(config.testing_clients, "TAITOTASO_TESTING_CLIENTS", "testing")
