"""What every port shares: the in-process adapter named by its dotted path.

A service declares what it needs from another as a port (``services/<name>/ports.py``)
with an HTTP adapter; the in-process adapters of the embedded default live in
``services/adapters``, out of the service packages, and are loaded by name, so that no
service package imports another (the import-linter independence contract).
"""
from __future__ import annotations

import importlib


def load(path: str):
    """The object named ``module:attribute``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
