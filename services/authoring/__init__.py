"""The authoring service: staff (authors and reviewers) write, review and publish items.

``create_app()`` in ``app.py``; pages in ``pages.py``, the JSON API under /api/v1 in
``api.py``, the service layer both call in ``handlers.py``. Staff accounts live in
``services.common.accounts``.
"""
