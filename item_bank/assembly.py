"""The adaptive test's items as the engine sees them, made in one place for the live testing
service and for the simulation (``taitotaso simulate --bank seed``), so that both give the
same kinds under the same blueprint and the same models.

* The kinds the adaptive test gives: the objective kinds, scored on submission, and the
  writing task, scored by the writing scorer on submission (0..5 = A1..C2).
* Items of a kind the blueprint groups into blocks (yes/no words) are dealt into blocks
  of about ``size`` items of one skill and level, real words and pseudowords in equal
  numbers as far as the bank allows, in a fixed shuffled order. A block is served as
  consecutive items (each word its own answer, as before) and scored as one:
  hits − false alarms, 0 at or below chance, under a graded response model derived from
  its words' parameters (:mod:`assessment.testlets`).
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from assessment.pool import ItemPool, PoolItem
from assessment.selection import Blueprint
from assessment.testlets import graded_approximation

from .model import OBJECTIVE_KINDS, Item

ADAPTIVE_KINDS = OBJECTIVE_KINDS + ("writing_task",)
BLOCK_PREFIX = "block-"


def adaptive_kind(item: Item) -> bool:
    """Whether the adaptive test gives items of this kind (scored on submission)."""
    return item.kind in ADAPTIVE_KINDS


def is_block_id(testlet: str | None) -> bool:
    return bool(testlet) and testlet.startswith(BLOCK_PREFIX)


def _order_seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def make_blocks(items: list[Item], kind: str, size: int) -> dict[str, list[Item]]:
    """Blocks of ``kind`` items that are not in a testlet: block id -> members in serving
    order. Deterministic: the same items give the same blocks."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        if item.kind == kind and not item.testlet:
            groups.setdefault((item.skill, item.cefr), []).append(item)
    blocks: dict[str, list[Item]] = {}
    for (skill, cefr), group in sorted(groups.items()):
        group.sort(key=lambda i: i.id)
        n_blocks = max(1, int(round(len(group) / max(size, 1))))
        dealt: list[list[Item]] = [[] for _ in range(n_blocks)]
        keyed_no = [i for i in group if i.key == "no"]
        others = [i for i in group if i.key != "no"]
        for n, item in enumerate(others + keyed_no):  # one rotation: sizes differ by one at most
            dealt[n % n_blocks].append(item)
        for k, members in enumerate(dealt):
            block_id = f"{BLOCK_PREFIX}{kind}-{skill}-{cefr.lower()}-{k + 1}"
            order = np.random.default_rng(_order_seed(block_id)).permutation(len(members))
            blocks[block_id] = [members[j] for j in order]
    return blocks


def block_unit(block_id: str, members: list[PoolItem], floor: int, testlet_sd: float) -> PoolItem:
    """The scored unit of a block: graded parameters of max(0, number right - ``floor``)
    over ``members`` under a testlet effect of SD ``testlet_sd``."""
    a = [m.a for m in members]
    b = [m.b for m in members]
    c = [m.c for m in members]
    slope, thresholds = graded_approximation(a, b, c, testlet_sd, floor)
    return PoolItem(id=block_id, skill=members[0].skill, a=slope,
                    b=float(np.median(thresholds)), model="grm", thresholds=thresholds,
                    kind=members[0].kind, members=tuple(m.id for m in members),
                    score_floor=floor)


def block_floor(members: list[Item]) -> int:
    """Items keyed "no" (pseudowords): judging them "yes" is a false alarm."""
    return sum(m.key == "no" for m in members)


def assemble(items: list[Item], blueprint: Blueprint) -> tuple[list[Item], ItemPool]:
    """The items the adaptive test gives (block members with their block as ``testlet`` and
    their place in it as ``position``) and the engine's pool: every item, plus one
    scored unit per block."""
    given = [i for i in items if adaptive_kind(i)]
    by_id = {i.id: i for i in given}
    units: list[PoolItem] = []
    for kind, design in sorted(blueprint.blocks.items()):
        size = int(design.get("size", 12))
        testlet_sd = float(design.get("testlet_sd", 0.0))
        for block_id, members in make_blocks(given, kind, size).items():
            for pos, m in enumerate(members):
                by_id[m.id] = replace(m, testlet=block_id, position=pos)
            units.append(block_unit(block_id, [by_id[m.id].pool_item() for m in members],
                                    block_floor(members), testlet_sd))
    out = [by_id[i.id] for i in given]
    return out, ItemPool([i.pool_item() for i in out] + units)
