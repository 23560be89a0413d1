"""The two errors of QTI packages: one for export, one for import."""
from __future__ import annotations


class QTIImportError(ValueError):
    """The package cannot be imported; the message names the file inside the zip and the
    element, attribute or field. Nothing of the package is used."""


class QTIExportError(ValueError):
    """The items cannot be written as a QTI package without losing something."""
