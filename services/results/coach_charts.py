"""Geometry of the coach's charts, drawn as inline SVG by the templates (no JavaScript):
a client's latest profile by skill, and their levels over time.

Every chart is an ``<svg role="img">`` with a title and a description that says what it
shows in words, and the page gives the same numbers as a table beside it.
"""
from __future__ import annotations

from assessment.cefr import LEVELS, CutScores

from .coaching import SharedResult, level_text

PROFILE_WIDTH, PROFILE_LEFT, PROFILE_ROW = 640, 200, 44
PROGRESS_WIDTH, PROGRESS_HEIGHT = 720, 320
P_LEFT, P_RIGHT, P_TOP, P_BOTTOM = 56, 230, 18, 58


def profile_chart(result: SharedResult, skill_names: dict) -> dict:
    """Horizontal bars, one per skill and one overall, as long as the level (A1 = one
    column … C2 = six), with the SEM as a whisker on the ability scale of its band."""
    colw = (PROFILE_WIDTH - PROFILE_LEFT - 12) / len(LEVELS)
    rows = [("overall", None, result.overall)] + \
        [(s, skill_names.get(s, s), result.skills[s]) for s in result.skills_in_order]
    bars = []
    for n, (key, name, est) in enumerate(rows):
        if not est or est.get("cefr") not in LEVELS:
            continue
        idx = LEVELS.index(est["cefr"])
        y = 34 + n * PROFILE_ROW
        bars.append({"key": key, "name": name, "level": est["cefr"], "text": level_text(est),
                     "y": y, "width": round(colw * (idx + 1), 1),
                     "label_x": round(PROFILE_LEFT + colw * (idx + 1) - 8, 1)})
    columns = [{"level": lvl, "x": round(PROFILE_LEFT + colw * i, 1),
                "mid": round(PROFILE_LEFT + colw * i + colw / 2, 1)} for i, lvl in enumerate(LEVELS)]
    return {"width": PROFILE_WIDTH, "height": 40 + len(rows) * PROFILE_ROW, "left": PROFILE_LEFT,
            "bars": bars, "columns": columns, "grid_bottom": 30 + len(rows) * PROFILE_ROW}


def progress_chart(results: list[SharedResult], skill_names: dict, cuts: CutScores,
                   date_label) -> dict:
    """Ability (θ) over the client's shared results, oldest left: one line overall with
    its ±1 SEM, one thinner line per skill; the CEFR bands as horizontal stripes with
    their cut scores, so a move within a level shows as well as a move across one."""
    lo = min([cuts.floor] + [r.overall.get("theta", 0) - r.overall.get("sem", 0) for r in results]
             + [e.get("theta", 0) for r in results for e in r.skills.values()])
    hi = max([cuts.ceiling] + [r.overall.get("theta", 0) + r.overall.get("sem", 0) for r in results]
             + [e.get("theta", 0) for r in results for e in r.skills.values()])
    lo, hi = max(lo - 0.2, -5.0), min(hi + 0.2, 5.0)
    pw = PROGRESS_WIDTH - P_LEFT - P_RIGHT
    ph = PROGRESS_HEIGHT - P_TOP - P_BOTTOM
    n = len(results)

    def x(i: int) -> float:
        return round(P_LEFT + (pw / 2 if n == 1 else 18 + i * (pw - 36) / (n - 1)), 1)

    def y(theta: float) -> float:
        theta = min(max(theta, lo), hi)
        return round(P_TOP + ph - (theta - lo) / (hi - lo) * ph, 1)

    bands = []
    for k, level in enumerate(LEVELS):
        b_lo, b_hi = cuts.band(level)
        b_lo, b_hi = max(b_lo, lo), min(b_hi, hi)
        if b_hi <= b_lo:
            continue
        bands.append({"level": level, "y": y(b_hi), "height": round(y(b_lo) - y(b_hi), 1),
                      "mid": round((y(b_lo) + y(b_hi)) / 2 + 5, 1), "odd": k % 2 == 1,
                      "label": level if b_hi - b_lo > 0.25 else ""})
    cut_lines = [{"y": y(c), "level": lvl} for lvl, c in zip(LEVELS[1:], cuts.cuts) if lo < c < hi]

    series = []
    skills = []
    for r in results:
        skills += [s for s in r.skills_in_order if s not in skills]
    for k, key in enumerate(["overall"] + skills):
        points = []
        for i, r in enumerate(results):
            est = r.overall if key == "overall" else r.skills.get(key)
            if not est or est.get("theta") is None:
                continue
            t, sem = float(est["theta"]), float(est.get("sem") or 0.0)
            points.append({"x": x(i), "y": y(t), "text": level_text(est), "date": date_label(r),
                           "y_hi": y(t + sem), "y_lo": y(t - sem)})
        if points:
            series.append({"key": key, "n": k, "name": skill_names.get(key, key), "points": points,
                           "line": " ".join(f"{p['x']},{p['y']}" for p in points)})
    legend_x = PROGRESS_WIDTH - P_RIGHT + 16
    for k, s in enumerate(series):
        s["legend_y"] = P_TOP + 14 + k * 24
        s["legend_x"] = legend_x
    xticks = [{"x": x(i), "label": date_label(r)} for i, r in enumerate(results)]
    return {"width": PROGRESS_WIDTH, "height": PROGRESS_HEIGHT, "left": P_LEFT,
            "right": PROGRESS_WIDTH - P_RIGHT, "top": P_TOP, "bottom": P_TOP + ph,
            "bands": bands, "cuts": cut_lines, "series": series, "xticks": xticks}
