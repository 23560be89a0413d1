"""Geometry of the item information curve drawn as inline SVG on the item page."""
from __future__ import annotations

import math

import numpy as np

from assessment.cefr import LEVELS, CutScores
from item_bank.model import Item

from .handlers import information_curve

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 52
THETA_MIN, THETA_MAX = -4.0, 4.0


def _nice_step(top: float) -> float:
    """A round tick step giving 4–6 ticks up to ``top``."""
    raw = top / 5
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag  # pragma: no cover


def curve_plot(item: Item, cuts: CutScores) -> dict:
    grid, info = information_curve(item, THETA_MIN, THETA_MAX)
    info = np.nan_to_num(info, nan=0.0, posinf=0.0)
    peak_i = int(np.argmax(info))
    peak = float(info[peak_i])
    step = _nice_step(max(peak * 1.1, 0.05))
    ymax = step * math.ceil(max(peak * 1.05, step) / step)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(theta: float) -> float:
        return round(LEFT + (theta - THETA_MIN) / (THETA_MAX - THETA_MIN) * pw, 1)

    def y(value: float) -> float:
        return round(TOP + ph - value / ymax * ph, 1)

    points = " ".join(f"{x(t)},{y(v)}" for t, v in zip(grid, info))
    xticks = [{"x": x(t), "label": f"{t:g}".replace("-", "−")} for t in range(-4, 5)]
    n_y = int(round(ymax / step))
    yticks = [{"y": y(k * step), "label": f"{k * step:g}"} for k in range(n_y + 1)]
    lines, bands = [], []
    for level, cut in zip(LEVELS[1:], cuts.cuts):
        if THETA_MIN < cut < THETA_MAX:
            lines.append({"x": x(cut), "level": level, "theta": cut})
    for level in LEVELS:
        lo, hi = cuts.band(level)
        lo, hi = max(lo, THETA_MIN), min(hi, THETA_MAX)
        if hi - lo > 0.3:
            bands.append({"x": x((lo + hi) / 2), "level": level})
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
        "bottom": TOP + ph, "points": points, "xticks": xticks, "yticks": yticks,
        "cuts": lines, "bands": bands,
        "peak": {"theta": round(float(grid[peak_i]), 2), "info": round(peak, 2),
                 "level": cuts.level(float(grid[peak_i])), "x": x(float(grid[peak_i])),
                 "y": y(peak)},
        "model": item.irt.model,
    }
