"""Printable PDFs with WeasyPrint: card sheets (A4, six cards a page, cut marks in the
margins on every cutting line) and the instructions booklet.

Pictures reach WeasyPrint only through its URL fetcher (:func:`_fetcher`), which knows two kinds of
address, ``katso-pictogram:<card>`` (the project's SVG files) and ``katso-image:<sha256>``
(an uploaded photo from the database), and refuses every other one: a PDF is never made
from anything on the network or the file system that the library does not own.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from .content import pictogram_path

# the sheet: A4 portrait, 2 × 3 cards of CARD_W × CARD_H millimetres, centred
PAGE_W, PAGE_H = 210.0, 297.0
CARD_W, CARD_H = 88.0, 84.0
COLUMNS, ROWS = 2, 3
CARDS_PER_PAGE = COLUMNS * ROWS
MARK_GAP, MARK_LEN = 2.0, 7.0    # cut marks start 2 mm outside the grid and are 7 mm long
MAX_PRINT_CARDS = 120


@dataclass(frozen=True)
class Sheet:
    """One A4 page of cards: ``cards`` are (x, y) places in mm with what goes there."""

    cards: list[tuple[float, float, object]]
    marks: list[tuple[float, float, float, float]]


def grid_origin() -> tuple[float, float]:
    return (PAGE_W - COLUMNS * CARD_W) / 2, (PAGE_H - ROWS * CARD_H) / 2


def cut_marks(rows: int = ROWS) -> list[tuple[float, float, float, float]]:
    """Line segments (x1, y1, x2, y2 in mm) in the margins, in line with every edge between
    and around the cards, so that each cut goes straight across the sheet."""
    x0, y0 = grid_origin()
    x_end, y_end = x0 + COLUMNS * CARD_W, y0 + rows * CARD_H
    marks = []
    for c in range(COLUMNS + 1):
        x = x0 + c * CARD_W
        marks.append((x, y0 - MARK_GAP - MARK_LEN, x, y0 - MARK_GAP))
        marks.append((x, y_end + MARK_GAP, x, y_end + MARK_GAP + MARK_LEN))
    for r in range(rows + 1):
        y = y0 + r * CARD_H
        marks.append((x0 - MARK_GAP - MARK_LEN, y, x0 - MARK_GAP, y))
        marks.append((x_end + MARK_GAP, y, x_end + MARK_GAP + MARK_LEN, y))
    return marks


def sheets(cards: list) -> list[Sheet]:
    """The cards laid out six to a page, left to right, top to bottom."""
    x0, y0 = grid_origin()
    out = []
    for start in range(0, len(cards), CARDS_PER_PAGE):
        chunk = cards[start:start + CARDS_PER_PAGE]
        rows = -(-len(chunk) // COLUMNS)
        places = [(x0 + (i % COLUMNS) * CARD_W, y0 + (i // COLUMNS) * CARD_H, card)
                  for i, card in enumerate(chunk)]
        out.append(Sheet(cards=places, marks=cut_marks(rows)))
    return out


def _fetcher(image_of):
    """WeasyPrint's URL fetcher that knows only the library's own pictures."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LibraryFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("katso-pictogram:"):
                path = pictogram_path(url.split(":", 1)[1])
                if path is not None:
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "image/svg+xml"})
            elif url.startswith("katso-image:"):
                found = image_of(url.split(":", 1)[1])
                if found is not None:
                    media_type, data = found
                    return URLFetcherResponse(url, data, {"Content-Type": media_type})
            raise ValueError(f"the library prints only its own pictures, not {url[:80]!r}")

    return LibraryFetcher(allowed_protocols=("katso-pictogram", "katso-image"))


def write_pdf(html: str, image_of) -> bytes:
    """The PDF of ``html`` (its ``<title>`` and ``lang`` become the PDF's title and language)."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, url_fetcher=_fetcher(image_of), base_url="katso-pictogram:/")
    return document.write_pdf()
