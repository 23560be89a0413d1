"""Standard setting by the bookmark method: the service layer the API and the pages call.

An admin makes a study (a name, the boundaries to set, the panel); its ordered item booklet
is fixed then (the live items of the adaptive test by their location at RP 0.67, see
:mod:`assessment.standard_setting` for the conventions). In each round every panelist
places one bookmark per boundary and submits; the admin closes the round, and the panel
sees everyone's bookmarks (anonymised as seats), the median cut, the spread and the impact
on recent test takers. The next round starts from each panelist's bookmarks of the round
before. The admin publishes the last closed round's medians as a new cut-score version
(:mod:`item_bank.cut_scores`), which tests started from then on use.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import select

from assessment.cefr import LEVELS, CutScores
from assessment.standard_setting import (RP, bookmark_cut, impact_shares, merged_cuts,
                                         not_increasing, rp_location, spread_pages, summarise)
from item_bank import cut_scores as versions
from item_bank.assembly import adaptive_kind
from item_bank.model import Item
from item_bank.repository import ItemRepository
from services.common.accounts import Staff, StaffUser, list_staff
from services.common.errors import APIError

from .handlers import summary
from .orm import (StandardSettingJudgement, StandardSettingPanelist, StandardSettingRound,
                  StandardSettingStudy)
from .ports import TestingUnavailable

log = logging.getLogger(__name__)

PANEL_ROLES = ("panelist", "reviewer")
MAX_ROUNDS = 5
DEFAULT_PAGES = 60
MIN_PANEL = 2


def boundary_name(level: str) -> str:
    """``B1`` → ``A2/B1``: a boundary is named by the two levels it separates."""
    return f"{LEVELS[LEVELS.index(level) - 1]}/{level}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class StandardSettingService:
    def __init__(self, db, results, cut_scores: versions.CutScoreCache):
        self.db = db
        self.results = results  # ports.RecentResults
        self.cut_scores = cut_scores

    # -- what a study can be made of -----------------------------------------------------
    def eligible_panelists(self) -> list[Staff]:
        return [s for s in list_staff(self.db) if s.active and s.has_any(*PANEL_ROLES)]

    def _live_items(self) -> list[Item]:
        with self.db.session() as s:
            return [i for i in ItemRepository(s).live_items() if adaptive_kind(i)]

    def available_boundaries(self) -> list[str]:
        """The boundaries the bank can inform: each level above A1 with live items."""
        levels = {i.cefr for i in self._live_items()}
        return [lvl for lvl in LEVELS[1:] if lvl in levels]

    def options(self) -> dict:
        return {"boundaries": [{"level": lvl, "name": boundary_name(lvl)}
                               for lvl in self.available_boundaries()],
                "panelists": [{"id": s.id, "name": s.name, "email": s.email,
                               "roles": list(s.roles)} for s in self.eligible_panelists()],
                "rp": RP, "default_pages": DEFAULT_PAGES}

    def build_booklet(self, max_pages: int, rp: float = RP) -> list[dict]:
        placed = []
        for item in self._live_items():
            location = rp_location(item.irt.as_dict(), rp)
            if location is not None:
                placed.append({"item_id": item.id, "version": item.version,
                               "location": round(location, 4)})
        placed.sort(key=lambda p: (p["location"], p["item_id"]))
        # items at the same location (e.g. words with the same starting parameters) would
        # add pages a bookmark cannot tell apart: one of each location stays
        distinct = []
        for p in placed:
            if not distinct or p["location"] - distinct[-1]["location"] > 1e-3:
                distinct.append(p)
        placed = distinct
        return [placed[i] for i in spread_pages(len(placed), max_pages)] if len(placed) > 1 else placed

    # -- making and finding studies ------------------------------------------------------
    def create(self, admin: Staff, name: str, boundaries: list[str], panelist_ids: list[int],
               max_pages: int = DEFAULT_PAGES, impact_days: int = 365) -> int:
        self._need_admin(admin, _("Only an admin can make a standard-setting study."))
        errors: dict = {}
        name = " ".join((name or "").split())
        if not name:
            errors["name"] = [_("Give the study a name.")]
        available = self.available_boundaries()
        chosen = [lvl for lvl in LEVELS[1:] if lvl in set(boundaries or ())]
        unknown = [b for b in (boundaries or ()) if b not in available]
        if unknown:
            errors["boundaries"] = [_("The bank has no live items at %(levels)s, so these "
                                      "boundaries cannot be set. Choose among %(available)s.",
                                      levels=", ".join(map(str, unknown)),
                                      available=", ".join(boundary_name(b) for b in available))]
        elif not chosen:
            errors["boundaries"] = [_("Choose at least one boundary to set.")]
        eligible = {s.id: s for s in self.eligible_panelists()}
        panel = list(dict.fromkeys(panelist_ids or ()))
        strangers = [p for p in panel if p not in eligible]
        if strangers:
            errors["panelists"] = [_("Only active staff with the panelist or reviewer role can "
                                     "sit on a panel; these accounts cannot: %(ids)s.",
                                     ids=", ".join(map(str, strangers)))]
        elif len(panel) < MIN_PANEL:
            errors["panelists"] = [_("Choose at least %(n)s panelists: the spread of their "
                                     "cuts needs more than one.", n=MIN_PANEL)]
        if errors:
            raise APIError(422, _("The study was not made: see the errors of each field."), errors)
        booklet = self.build_booklet(max_pages)
        if len(booklet) < len(chosen) + 1:
            raise APIError(409, _("The bank has too few live items with a location at RP "
                                  "%(rp)s for a booklet: make more items live first.", rp=RP))
        with self.db.session() as s:
            study = StandardSettingStudy(name=name[:200], rp=RP, boundaries=chosen,
                                         booklet=booklet, impact_days=impact_days,
                                         status="open", round=1, created_by=admin.id,
                                         created_at=_now())
            s.add(study)
            s.flush()
            for seat, staff_id in enumerate(panel, start=1):
                s.add(StandardSettingPanelist(study_id=study.id, staff_id=staff_id, seat=seat))
            s.add(StandardSettingRound(study_id=study.id, number=1, opened_at=_now()))
            return study.id

    def list_for(self, staff: Staff) -> list[dict]:
        with self.db.session() as s:
            query = select(StandardSettingStudy).order_by(StandardSettingStudy.id.desc())
            if not staff.has("admin"):
                query = query.join(StandardSettingPanelist,
                                   StandardSettingPanelist.study_id == StandardSettingStudy.id
                                   ).where(StandardSettingPanelist.staff_id == staff.id)
            studies = s.scalars(query).all()
            out = []
            for st in studies:
                mine = s.get(StandardSettingJudgement, (st.id, st.round, staff.id))
                out.append({"id": st.id, "name": st.name, "status": st.status, "round": st.round,
                            "boundaries": list(st.boundaries), "pages": len(st.booklet),
                            "created_at": st.created_at,
                            "submitted": bool(mine and mine.submitted_at)})
            return out

    def _study(self, s, study_id: int, staff: Staff) -> tuple[StandardSettingStudy, int | None]:
        """The study and the staff member's seat on its panel (None for an admin who is not
        on it); 404 for anyone else, so that panelists see only their own studies."""
        study = s.get(StandardSettingStudy, study_id)
        seat = None
        if study is not None:
            row = s.get(StandardSettingPanelist, (study_id, staff.id))
            seat = row.seat if row else None
        if study is None or (seat is None and not staff.has("admin")):
            raise APIError(404, _("There is no standard-setting study %(id)s on your list. "
                                  "Studies are shown to their panelists and to admins.",
                                  id=study_id))
        return study, seat

    @staticmethod
    def _need_admin(staff: Staff, message: str) -> None:
        if not staff.has("admin"):
            raise APIError(403, message)

    # -- reading a study -----------------------------------------------------------------
    def view(self, study_id: int, staff: Staff) -> dict:
        with self.db.session() as s:
            study, seat = self._study(s, study_id, staff)
            panel = s.execute(select(StandardSettingPanelist.seat, StaffUser.id, StaffUser.name)
                              .join(StaffUser, StaffUser.id == StandardSettingPanelist.staff_id)
                              .where(StandardSettingPanelist.study_id == study_id)
                              .order_by(StandardSettingPanelist.seat)).all()
            judgements = {j.staff_id: j for j in s.scalars(
                select(StandardSettingJudgement).where(StandardSettingJudgement.study_id == study_id,
                                                       StandardSettingJudgement.round == study.round))}
            rounds = s.scalars(select(StandardSettingRound)
                               .where(StandardSettingRound.study_id == study_id)
                               .order_by(StandardSettingRound.number)).all()
            repo = ItemRepository(s)
            pages = []
            for n, p in enumerate(study.booklet, start=1):
                item = repo.get(p["item_id"], p["version"])
                pages.append({"page": n, "item_id": p["item_id"], "version": p["version"],
                              "location": p["location"],
                              "kind": item.kind if item else None,
                              "skill": item.skill if item else None,
                              "summary": summary(item) if item else ""})
            published = (s.get(versions.CutScoreVersion, study.published_version_id)
                         if study.published_version_id else None)
            mine = judgements.get(staff.id)
            is_admin = staff.has("admin")
            progress = [{"seat": row.seat,
                         "name": row.name if is_admin else None,
                         "submitted": bool(judgements.get(row.id) and judgements[row.id].submitted_at)}
                        for row in panel]
            return {
                "id": study.id, "name": study.name, "rp": study.rp, "status": study.status,
                "round": study.round, "max_rounds": MAX_ROUNDS,
                "boundaries": [{"level": b, "name": boundary_name(b)} for b in study.boundaries],
                "booklet": pages, "impact_days": study.impact_days,
                "created_at": study.created_at, "seat": seat, "is_admin": is_admin,
                "my_bookmarks": {k: int(v) for k, v in (mine.bookmarks if mine else {}).items()},
                "my_submitted_at": mine.submitted_at if mine else None,
                "panel": progress,
                "submitted": sum(p["submitted"] for p in progress),
                "rounds": [self._round_out(r, seat) for r in rounds],
                "published_version": published.version if published else None,
            }

    @staticmethod
    def _round_out(r: StandardSettingRound, seat: int | None) -> dict:
        out = {"number": r.number, "opened_at": r.opened_at, "closed_at": r.closed_at,
               "summary": None}
        if r.summary:
            summary_ = dict(r.summary)
            summary_["boundaries"] = [
                {**b, "bookmarks": [{**m, "mine": m["seat"] == seat} for m in b["bookmarks"]]}
                for b in r.summary["boundaries"]]
            out["summary"] = summary_
        return out

    def booklet_page(self, study_id: int, page: int, staff: Staff) -> dict:
        with self.db.session() as s:
            study, seat = self._study(s, study_id, staff)
            if not 1 <= page <= len(study.booklet):
                raise APIError(404, _("The booklet has pages 1–%(n)s.", n=len(study.booklet)))
            entry = study.booklet[page - 1]
            item = ItemRepository(s).get(entry["item_id"], entry["version"])
            mine = s.get(StandardSettingJudgement, (study_id, study.round, staff.id))
        if item is None:  # pragma: no cover - item versions are never deleted
            raise APIError(404, _("There is no item with the id %(id)s.", id=entry["item_id"]))
        return {"study_id": study_id, "page": page, "pages": len(study.booklet),
                "location": entry["location"], "item": item, "seat": seat,
                "status": study.status, "round": study.round,
                "boundaries": [{"level": b, "name": boundary_name(b)} for b in study.boundaries],
                "my_bookmarks": {k: int(v) for k, v in (mine.bookmarks if mine else {}).items()}}

    # -- a panelist's bookmarks ----------------------------------------------------------
    def save_bookmarks(self, study_id: int, staff: Staff, bookmarks: dict, submit: bool) -> dict:
        """Save the given bookmarks (merged with those saved before in this round); with
        ``submit`` they must be complete and in order, and count for the round."""
        with self.db.session() as s:
            study, seat = self._study(s, study_id, staff)
            if seat is None:
                raise APIError(403, _("Only the panelists of this study place bookmarks."))
            if study.status != "open":
                raise APIError(409, _("Round %(n)s is closed, so bookmarks cannot change now. "
                                      "The admin opens the next round.", n=study.round)
                               if study.status == "closed" else
                               _("This study is finished: its cut scores are published."))
            n = len(study.booklet)
            errors = {}
            clean = {}
            for boundary, page in (bookmarks or {}).items():
                if boundary not in study.boundaries:
                    errors[str(boundary)] = [_("This study sets the boundaries %(names)s only.",
                                               names=", ".join(boundary_name(b) for b in study.boundaries))]
                elif page is None:
                    clean[boundary] = None
                elif not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= n:
                    errors[boundary] = [_("Choose a page of the booklet, 1–%(n)s.", n=n)]
                else:
                    clean[boundary] = page
            if errors:
                raise APIError(422, _("The bookmarks were not saved: see the errors of each "
                                      "boundary."), errors)
            row = s.get(StandardSettingJudgement, (study_id, study.round, staff.id))
            if row is None:
                row = StandardSettingJudgement(study_id=study_id, round=study.round,
                                               staff_id=staff.id, bookmarks={})
                s.add(row)
            merged = {**(row.bookmarks or {}), **clean}
            merged = {b: merged[b] for b in study.boundaries if merged.get(b) is not None}
            if submit:
                self._check_complete(study, merged)
            row.bookmarks = merged
            row.updated_at = _now()
            row.submitted_at = _now() if submit else None
            return {"bookmarks": merged, "submitted_at": row.submitted_at}

    @staticmethod
    def _check_complete(study: StandardSettingStudy, marks: dict) -> None:
        errors = {}
        for b in study.boundaries:
            if b not in marks:
                errors[b] = [_("Place the %(name)s bookmark before you submit.",
                               name=boundary_name(b))]
        previous = None
        for b in study.boundaries:
            if b in marks and previous is not None and marks[b] <= marks[previous]:
                errors[b] = [_("The %(name)s bookmark (page %(page)s) must come after the "
                               "%(prev)s bookmark (page %(prev_page)s): a higher level masters "
                               "more of the booklet.", name=boundary_name(b), page=marks[b],
                               prev=boundary_name(previous), prev_page=marks[previous])]
            if b in marks:
                previous = b
        if errors:
            raise APIError(422, _("The bookmarks were not submitted: see the errors of each "
                                  "boundary."), errors)

    # -- rounds (admins) -----------------------------------------------------------------
    def _recent_thetas(self, days: int) -> list[float]:
        """The θ for the impact data (ports.RecentResults); 503 when the testing service does
        not answer, so that a round is never closed without them."""
        try:
            return self.results.thetas(days)
        except TestingUnavailable as err:
            log.warning("no impact data: %s", err)
            raise APIError(503, _("The round was not closed: its impact data come from the "
                                  "testing service, which does not answer right now. Try again "
                                  "in a minute.")) from None

    def close_round(self, study_id: int, admin: Staff) -> None:
        self._need_admin(admin, _("Only an admin can close a round."))
        with self.db.session() as s:
            study, _seat = self._study(s, study_id, admin)
            if study.status != "open":
                raise APIError(409, _("Round %(n)s is already closed.", n=study.round)
                               if study.status == "closed" else
                               _("This study is finished: its cut scores are published."))
            seats = dict(s.execute(select(StandardSettingPanelist.staff_id, StandardSettingPanelist.seat)
                                   .where(StandardSettingPanelist.study_id == study_id)).all())
            submitted = [j for j in s.scalars(
                select(StandardSettingJudgement).where(StandardSettingJudgement.study_id == study_id,
                                                       StandardSettingJudgement.round == study.round,
                                                       StandardSettingJudgement.submitted_at.is_not(None)))
                         if j.staff_id in seats]
            if not submitted:
                raise APIError(409, _("No panelist has submitted bookmarks in round %(n)s yet: "
                                      "a round closes once at least one has.", n=study.round))
            current = self.cut_scores.current()
            summary_ = self.round_summary(study, [(seats[j.staff_id], j.bookmarks) for j in submitted],
                                          current, self._recent_thetas(study.impact_days))
            summary_["panel"] = len(seats)
            rnd = s.get(StandardSettingRound, (study_id, study.round))
            rnd.closed_at = _now()
            rnd.summary = summary_
            study.status = "closed"

    @staticmethod
    def round_summary(study: StandardSettingStudy, judgements: list[tuple[int, dict]],
                      current: CutScores, thetas: list[float]) -> dict:
        """Per boundary the seats' bookmarks and cuts, the median and spread; the cuts the
        medians make (the current ones where the study sets none) and their impact."""
        locations = [p["location"] for p in study.booklet]
        boundaries, medians = [], {}
        for b in study.boundaries:
            marks = sorted(((seat, int(m[b])) for seat, m in judgements if m.get(b)),
                           key=lambda x: x[0])
            cuts = [bookmark_cut(locations, page) for _seat, page in marks]
            stats = summarise(b, cuts)
            medians[b] = stats.median
            boundaries.append({**stats.as_dict(), "name": boundary_name(b),
                               "median_page": _page_at(locations, stats.median),
                               "bookmarks": [{"seat": seat, "page": page, "theta": round(cut, 3)}
                                             for (seat, page), cut in zip(marks, cuts)]})
        now_cuts = current.as_dict()["cuts"]
        proposed = merged_cuts(now_cuts, medians)
        return {"boundaries": boundaries, "submitted": len(judgements),
                "cuts": {k: round(v, 3) for k, v in proposed.items()},
                "current_cuts": now_cuts, "current_version": current.version,
                "not_increasing": [list(p) for p in not_increasing(proposed)],
                "impact": {"n": len(thetas), "days": study.impact_days,
                           "current": impact_shares(thetas, now_cuts),
                           "proposed": impact_shares(thetas, proposed)}}

    def open_round(self, study_id: int, admin: Staff) -> None:
        self._need_admin(admin, _("Only an admin can open a round."))
        with self.db.session() as s:
            study, _seat = self._study(s, study_id, admin)
            if study.status != "closed":
                raise APIError(409, _("Round %(n)s is still open: close it first.", n=study.round)
                               if study.status == "open" else
                               _("This study is finished: its cut scores are published."))
            if study.round >= MAX_ROUNDS:
                raise APIError(409, _("A study has at most %(n)s rounds: publish the result of "
                                      "this one.", n=MAX_ROUNDS))
            before = s.scalars(select(StandardSettingJudgement)
                               .where(StandardSettingJudgement.study_id == study_id,
                                      StandardSettingJudgement.round == study.round)).all()
            study.round += 1
            study.status = "open"
            s.add(StandardSettingRound(study_id=study_id, number=study.round, opened_at=_now()))
            for j in before:  # each panelist starts from their bookmarks of the round before
                s.add(StandardSettingJudgement(study_id=study_id, round=study.round,
                                               staff_id=j.staff_id, bookmarks=dict(j.bookmarks),
                                               updated_at=_now(), submitted_at=None))

    def publish(self, study_id: int, admin: Staff, version: str | None = None) -> dict:
        """The medians of the last closed round as a new cut-score version."""
        self._need_admin(admin, _("Only an admin can publish cut scores."))
        with self.db.session() as s:
            study, _seat = self._study(s, study_id, admin)
            if study.status != "closed":
                raise APIError(409, _("Close round %(n)s before publishing: its medians become "
                                      "the cut scores.", n=study.round)
                               if study.status == "open" else
                               _("This study is finished: its cut scores are published."))
            rnd = s.get(StandardSettingRound, (study_id, study.round))
            summary_ = rnd.summary
            crossing = not_increasing(summary_["cuts"])
            if crossing:
                lo, hi = crossing[0]
                raise APIError(409, _("The %(hi)s cut (%(hi_cut)s) is not above the %(lo)s cut "
                                      "(%(lo_cut)s): cut scores must increase. Run another "
                                      "round and discuss these boundaries.",
                                      hi=boundary_name(hi), lo=boundary_name(lo),
                                      hi_cut=summary_["cuts"][hi], lo_cut=summary_["cuts"][lo]))
            version = (version or "").strip() or \
                f"{_now():%Y-%m-%d}-study{study.id}-round{study.round}"
            if versions.find(s, version) is not None or version == self.cut_scores.shipped.version:
                raise APIError(409, _("The version name %(v)s is taken: choose another.", v=version),
                               {"version": [_("already used")]})
            base = self.cut_scores.current()
            cuts = CutScores.from_dict({**base.as_dict(), "cuts": summary_["cuts"],
                                        "version": version})
            spread = {b["boundary"]: {k: b[k] for k in ("n", "median", "sd", "iqr", "q1", "q3",
                                                         "min", "max")}
                      for b in summary_["boundaries"]}
            row = versions.publish(s, cuts, spread=spread,
                                   source=f"standard-setting study {study.id} ({study.name}), "
                                          f"round {study.round}", published_by=admin.id)
            study.published_version_id = row.id
            study.status = "published"
            return version_out(row)

    def cut_score_versions(self) -> dict:
        with self.db.session() as s:
            rows = s.scalars(select(versions.CutScoreVersion)
                             .order_by(versions.CutScoreVersion.id.desc())).all()
            published = [version_out(r) for r in rows]
        shipped = self.cut_scores.shipped
        return {"current": published[0]["version"] if published else shipped.version,
                "published": published,
                "shipped": {"version": shipped.version, "cuts": shipped.as_dict()["cuts"]}}


def _page_at(locations: list[float], theta: float) -> int:
    """The bookmark page whose cut is ``theta`` or the nearest below (for showing a median
    on the booklet)."""
    page = 1
    for n in range(2, len(locations) + 1):
        if locations[n - 2] <= theta + 1e-9:
            page = n
    return page


def version_out(row: versions.CutScoreVersion) -> dict:
    return {"version": row.version, "cuts": row.cuts.get("cuts", {}), "spread": row.spread,
            "source": row.source, "published_at": row.published_at}


__all__ = ["StandardSettingService", "boundary_name", "PANEL_ROLES", "MAX_ROUNDS", "version_out"]
