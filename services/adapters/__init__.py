"""In-process adapters: the embedded default's way for one service to call another.

Each service declares what it needs from another as a port (``services/<name>/ports.py``)
with an HTTP adapter for services deployed apart. The in-process adapters live here, out
of the service packages, because they join two of them: the import-linter independence
contract (pyproject.toml) keeps the service packages from importing each other, and the
ports name these adapters by their dotted path, chosen by configuration.
"""
