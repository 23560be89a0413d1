"""Reading what ``calibrate`` is given: item specs (``"2pl"``, ``"3pl:c"``, ``("grm", k)``, ...),
anchors, and the start values of the free items."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .likelihood import B_MAX
from .results import ItemSpec


def _parse_spec(spec, column: np.ndarray) -> ItemSpec:
    """``"3pl:c"``, ``("3pl", c)`` and ``{"model": "3pl", "c": c}`` give the guessing ``c``;
    for ``"grm"`` the second part is the number of categories."""
    c = None
    if isinstance(spec, ItemSpec):
        model, k, c = spec.model, spec.categories, spec.guessing
    elif isinstance(spec, str):
        model, _, k = spec.lower().partition(":")
        k = float(k) if k else None
    elif isinstance(spec, Mapping):
        model, k, c = spec["model"], spec.get("categories"), spec.get("c", spec.get("guessing"))
    else:
        model, k = spec[0], (spec[1] if len(spec) > 1 else None)
    model = str(model).lower()
    if model == "2pl":
        return ItemSpec("2pl", 2)
    if model == "3pl":
        c = float(c if c is not None else (k or 0.0))
        if not 0.0 <= c < 1.0:
            raise ValueError(f"a 3PL item's guessing must lie in [0, 1), got {c}")
        return ItemSpec("3pl", 2, c) if c > 0 else ItemSpec("2pl", 2)
    if model != "grm":
        raise ValueError(f"unknown item model {model!r} (use '2pl', '3pl' or 'grm')")
    if k is None:
        seen = column[~np.isnan(column)]
        k = int(seen.max()) + 1 if seen.size else 2
    if int(k) < 2:
        raise ValueError("a GRM item needs at least two categories")
    return ItemSpec("grm", int(k))


def _parse_anchors(anchors, specs: list[ItemSpec]) -> dict[int, tuple[float, np.ndarray]]:
    """Anchors -> {item: (a, d)} in slope-intercept form."""
    if anchors is None:
        return {}
    items = anchors.items() if isinstance(anchors, Mapping) else enumerate(anchors)
    out = {}
    for j, par in items:
        if par is None:
            continue
        j = int(j)
        if not 0 <= j < len(specs):
            raise ValueError(f"anchor for unknown item {j}")
        if isinstance(par, Mapping):
            a = par["a"]
            b = par["b"] if "b" in par else par["thresholds"]
        else:
            a, b = par[0], par[1]
        a = float(a)
        b = np.atleast_1d(np.asarray(b, dtype=float))
        if b.size != specs[j].categories - 1:
            raise ValueError(f"anchor of item {j}: {b.size} thresholds for {specs[j].categories} categories")
        if a <= 0 or np.any(np.diff(b) <= 0) or not np.all(np.isfinite(b)):
            raise ValueError(f"anchor of item {j}: need a > 0 and increasing finite thresholds")
        out[j] = (a, -a * b)
    return out


def _start_values(column: np.ndarray, k: int, guessing: float = 0.0) -> tuple[float, np.ndarray]:
    """a = 1 and intercepts from the marginal cumulative proportions (probit-logit rescaled;
    above the guessing rate for a 3PL item)."""
    x = column[~np.isnan(column)]
    if x.size == 0:
        return 1.0, np.linspace(1.0, -1.0, k - 1) if k > 2 else np.zeros(1)
    cum = np.array([(x >= c).mean() for c in range(1, k)])
    if guessing > 0:
        cum = (cum - guessing) / (1.0 - guessing)
    d = 1.16 * np.log(np.clip(cum, 0.02, 0.98) / (1.0 - np.clip(cum, 0.02, 0.98)))
    for i in range(1, d.size):           # strictly decreasing intercepts
        d[i] = min(d[i], d[i - 1] - 0.1)
    return 1.0, np.clip(d, -B_MAX + 0.5, B_MAX - 0.5)
