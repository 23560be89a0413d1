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
* The questions of a reading text or a listening recording (a testlet with a stimulus) of a
  skill the blueprint names under ``texts`` are one scored unit the same way: served one
  after the other as before, scored as the number right under a graded response model
  derived from the questions' parameters and the text's person-by-text effect. The unit is
  named ``text-<testlet id>`` and its questions carry that name as their ``testlet``; a
  stored answer whose testlet is the bare testlet id was given before texts were scored
  together and is replayed question by question.
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
TEXT_PREFIX = "text-"
TEXT_KIND = "text"  # the kind of a text's unit, as the blueprint balances it


def adaptive_kind(item: Item) -> bool:
    """Whether the adaptive test gives items of this kind (scored on submission)."""
    return item.kind in ADAPTIVE_KINDS


def is_block_id(testlet: str | None) -> bool:
    """A yes/no block (dealt by the assembly) rather than a text."""
    return bool(testlet) and testlet.startswith(BLOCK_PREFIX)


def is_unit_id(testlet: str | None) -> bool:
    """The name of a scored unit: a block, or a text whose questions are scored together."""
    return bool(testlet) and testlet.startswith((BLOCK_PREFIX, TEXT_PREFIX))


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


def block_unit(block_id: str, members: list[PoolItem], floor: int, testlet_sd: float,
               kind: str | None = None) -> PoolItem:
    """The scored unit of a block or a text: graded parameters of max(0, number right -
    ``floor``) over ``members`` under a testlet effect of SD ``testlet_sd``; its ``kind`` is
    the members' unless given."""
    a = [m.a for m in members]
    b = [m.b for m in members]
    c = [m.c for m in members]
    slope, thresholds = graded_approximation(a, b, c, testlet_sd, floor)
    return PoolItem(id=block_id, skill=members[0].skill, a=slope,
                    b=float(np.median(thresholds)), model="grm", thresholds=thresholds,
                    kind=kind or members[0].kind, members=tuple(m.id for m in members),
                    score_floor=floor)


def block_floor(members: list[Item]) -> int:
    """Items keyed "no" (pseudowords): judging them "yes" is a false alarm."""
    return sum(m.key == "no" for m in members)


def make_texts(items: list[Item], skills) -> dict[str, list[Item]]:
    """The texts of ``skills`` whose questions are scored together: unit id -> questions in
    their order. A text is a testlet with a stimulus."""
    texts: dict[str, list[Item]] = {}
    for item in items:
        if item.testlet and item.stimulus is not None and item.skill in skills:
            texts.setdefault(f"{TEXT_PREFIX}{item.testlet}", []).append(item)
    for members in texts.values():
        members.sort(key=lambda i: (i.position, i.id))
    return dict(sorted(texts.items()))


def unit_testlet_sd(blueprint: Blueprint, unit: PoolItem) -> float:
    """The SD of the person-by-unit effect the blueprint gives a unit (0 for an item)."""
    if not unit.members:
        return 0.0
    if unit.id.startswith(TEXT_PREFIX):
        return float(blueprint.texts.get(unit.skill, {}).get("testlet_sd", 0.0))
    return float(blueprint.blocks.get(unit.kind, {}).get("testlet_sd", 0.0))


def assemble(items: list[Item], blueprint: Blueprint) -> tuple[list[Item], ItemPool]:
    """The items the adaptive test gives (block members and questions of texts scored
    together with their unit as ``testlet``, block members with their place in it as
    ``position``) and the engine's pool: every item, plus one scored unit per block and
    per such text."""
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
    for unit_id, members in make_texts(given, set(blueprint.texts)).items():
        testlet_sd = float(blueprint.texts[members[0].skill].get("testlet_sd", 0.0))
        for m in members:
            by_id[m.id] = replace(m, testlet=unit_id)
        units.append(block_unit(unit_id, [by_id[m.id].pool_item() for m in members], 0,
                                testlet_sd, kind=TEXT_KIND))
    out = [by_id[i.id] for i in given]
    return out, ItemPool([i.pool_item() for i in out] + units)
