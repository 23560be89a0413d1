"""The card sheet's geometry: cards on A4 with every cutting line marked in the margins."""
from __future__ import annotations

from services.library import printing


def test_six_cards_fit_a4_inside_the_margins_with_room_for_cut_marks():
    x0, y0 = printing.grid_origin()
    reach = printing.MARK_GAP + printing.MARK_LEN
    assert x0 - reach >= 5 and y0 - reach >= 5            # marks stay on the paper
    assert x0 + 2 * printing.CARD_W <= printing.PAGE_W - x0 + 1e-9


def test_every_cutting_line_has_a_mark_on_both_sides():
    marks = printing.cut_marks()
    x0, y0 = printing.grid_origin()
    verticals = sorted({round(m[0], 2) for m in marks if m[0] == m[2]})
    horizontals = sorted({round(m[1], 2) for m in marks if m[1] == m[3]})
    assert verticals == [round(x0 + i * printing.CARD_W, 2) for i in range(3)]
    assert horizontals == [round(y0 + i * printing.CARD_H, 2) for i in range(4)]
    assert len(marks) == 2 * 3 + 2 * 4


def test_cards_are_laid_out_six_to_a_page_and_the_last_page_marks_only_its_rows():
    sheets = printing.sheets(list(range(9)))
    assert [len(s.cards) for s in sheets] == [6, 3]
    x0, y0 = printing.grid_origin()
    assert sheets[0].cards[1][:2] == (x0 + printing.CARD_W, y0)
    assert len(sheets[1].marks) == 2 * 3 + 2 * 3          # two rows on the last page
