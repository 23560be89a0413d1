"""Katso, the material library for worldview education, as its own Flask app:
``gunicorn 'services.library.app:create_app()'``. The gateway mounts it at ``/katso``.

Public pages (no sign-in, nothing personal kept) under ``/<lang>/``; the curators' pages
under ``/staff/`` with the suite's staff sign-in (the ``curator`` or ``admin`` role).
"""
from __future__ import annotations

from flask_babel import gettext as _

from services.common.app_support import base_app
from services.common.config import Config
from services.common.errors import error_response

from . import images, pages, staff


def create_app(config: Config | None = None):
    app, _res = base_app(__name__, config)
    # photos up to images.MAX_BYTES, with room for the form's other fields
    app.config["MAX_CONTENT_LENGTH"] = images.MAX_BYTES + 256 * 1024
    app.register_blueprint(pages.bp)
    app.register_blueprint(staff.bp)

    @app.errorhandler(413)
    def _too_large(_err):
        return error_response(413, _("The file is too large: a photo may be at most %(mb)s MB. "
                                     "Make it smaller and try again.", mb=images.MAX_BYTES // 1_000_000))

    return app
