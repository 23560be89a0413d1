"""The usage chart on the curators' statistics page: one stacked bar a day (views,
downloads, prints) as inline SVG, with a text summary for screen readers (the numbers are
also in the table under it)."""
from __future__ import annotations

from datetime import date

from flask_babel import format_date, gettext as _
from markupsafe import Markup, escape

COLOURS = {"view": "#1f63ad", "download": "#b35c00", "print": "#2e7d32"}   # ≥ 4.5:1 on white


def daily_chart(days: list[tuple[date, dict[str, int]]], width: int = 720, height: int = 220) -> Markup:
    if not days:
        return Markup("")
    names = {"view": _("views"), "download": _("downloads"), "print": _("prints")}
    left, right, top, bottom = 40, 10, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(1, max(sum(counts.values()) for _day, counts in days))
    step = plot_w / len(days)
    bar_w = max(2.0, step * 0.7)
    parts = []
    for tick in (0, peak // 2, peak):
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c9d1da"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="#3d4752">{tick}</text>')
    for i, (day, counts) in enumerate(days):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        for event in ("view", "download", "print"):
            h = plot_h * counts.get(event, 0) / peak
            if h:
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                             f'fill="{COLOURS[event]}"><title>{escape(format_date(day, "short"))}: '
                             f'{counts[event]} {escape(names[event])}</title></rect>')
        if i in (0, len(days) - 1) or (len(days) > 14 and i == len(days) // 2):
            anchor = "start" if i == 0 else "end" if i == len(days) - 1 else "middle"
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="{anchor}" '
                         f'font-size="12" fill="#3d4752">{escape(format_date(day, "short"))}</text>')
    totals = {e: sum(c.get(e, 0) for _d, c in days) for e in names}
    summary = _("Use per day over %(n)s days: %(views)s views, %(downloads)s downloads and "
                "%(prints)s prints in all.", n=len(days), views=totals["view"],
                downloads=totals["download"], prints=totals["print"])
    legend = "".join(f'<li><span class="swatch swatch-{e}"></span>{escape(n)}</li>'
                     for e, n in names.items())
    return Markup(f'<figure class="usage-chart"><svg viewBox="0 0 {width} {height}" role="img" '
                  f'aria-label="{escape(summary)}">{"".join(parts)}</svg>'
                  f'<figcaption>{escape(summary)}<ul class="legend">{legend}</ul></figcaption></figure>')
