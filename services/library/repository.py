"""Reading and changing the Katso material in the database (one class, one session each)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select, update

from item_bank.orm import Asset

from .content import LANGS
from .orm import (LibraryCard, LibraryCategory, LibraryFeedback, LibraryPage, LibrarySetting,
                  LibraryUsage, LibraryWorldview)
from .search import Document

EVENTS = ("view", "download", "print")
MATERIAL_KINDS = {"category": LibraryCategory, "card": LibraryCard,
                  "worldview": LibraryWorldview, "page": LibraryPage}
DEFAULT_SETTINGS = {"video_url": ""}


class NotFound(LookupError):
    pass


def text(texts: dict | None, lang: str) -> str:
    """A text in ``lang``, else in Finnish, English or Swedish (never nothing when one exists)."""
    texts = texts or {}
    for code in (lang, "fi", "en", "sv"):
        if (texts.get(code) or "").strip():
            return texts[code]
    return ""


class LibraryStore:
    def __init__(self, db):
        self.db = db

    # -- seeding ---------------------------------------------------------------------------
    def is_empty(self) -> bool:
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(LibraryCategory)) == 0

    def seed(self, data: dict) -> dict:
        """Add what the seed has and the database lacks; what staff have edited stays."""
        added = defaultdict(int)
        with self.db.session() as s:
            for pos, cat in enumerate(data["categories"]):
                if s.get(LibraryCategory, cat["slug"]) is None:
                    s.add(LibraryCategory(slug=cat["slug"], position=pos, name=cat["name"],
                                          description=cat["description"], published=True))
                    added["categories"] += 1
                s.flush()
                for cpos, card in enumerate(cat["cards"]):
                    if s.get(LibraryCard, card["slug"]) is None:
                        has_svg = data.get("_pictograms", {}).get(card["slug"], False)
                        s.add(LibraryCard(slug=card["slug"], category_slug=cat["slug"], position=cpos,
                                          caption=card["caption"], alt=card["alt"], prompt=card["prompt"],
                                          pictogram=card["slug"] if has_svg else None, published=True))
                        added["cards"] += 1
            for pos, wv in enumerate(data["worldviews"]):
                if s.get(LibraryWorldview, wv["slug"]) is None:
                    s.add(LibraryWorldview(slug=wv["slug"], position=pos, name=wv["name"],
                                           summary=wv["summary"], description=wv["description"],
                                           cards=list(wv["cards"]), published=True))
                    added["worldviews"] += 1
            for pos, page in enumerate(data["pages"]):
                if s.get(LibraryPage, page["slug"]) is None:
                    s.add(LibraryPage(slug=page["slug"], kind=page["kind"], position=pos,
                                      title=page["title"], body=page["body"], cards=list(page["cards"]),
                                      published=True))
                    added["pages"] += 1
            if s.get(LibrarySetting, "video_url") is None:
                s.add(LibrarySetting(key="video_url", value=data["video_url"]))
        return {k: added.get(k, 0) for k in ("categories", "cards", "worldviews", "pages")}

    # -- reading ---------------------------------------------------------------------------
    def categories(self, published_only: bool = True) -> list[LibraryCategory]:
        with self.db.session() as s:
            q = select(LibraryCategory).order_by(LibraryCategory.position, LibraryCategory.slug)
            if published_only:
                q = q.where(LibraryCategory.published.is_(True))
            return list(s.scalars(q))

    def category(self, slug: str, published_only: bool = True) -> LibraryCategory:
        with self.db.session() as s:
            row = s.get(LibraryCategory, slug)
        if row is None or (published_only and not row.published):
            raise NotFound(slug)
        return row

    def cards(self, category: str | None = None, published_only: bool = True,
              slugs: list[str] | None = None) -> list[LibraryCard]:
        """Cards in their category's order; only those of published categories when
        ``published_only``. ``slugs`` keeps the order asked for."""
        with self.db.session() as s:
            q = (select(LibraryCard).join(LibraryCategory)
                 .order_by(LibraryCategory.position, LibraryCard.position))
            if category is not None:
                q = q.where(LibraryCard.category_slug == category)
            if published_only:
                q = q.where(LibraryCard.published.is_(True), LibraryCategory.published.is_(True))
            if slugs is not None:
                q = q.where(LibraryCard.slug.in_(slugs))
            rows = list(s.scalars(q))
        if slugs is not None:
            order = {slug: i for i, slug in enumerate(slugs)}
            rows.sort(key=lambda r: order[r.slug])
        return rows

    def card(self, slug: str, published_only: bool = True) -> LibraryCard:
        with self.db.session() as s:
            row = s.get(LibraryCard, slug)
            category = s.get(LibraryCategory, row.category_slug) if row else None
        if row is None or (published_only and not (row.published and category.published)):
            raise NotFound(slug)
        return row

    def worldviews(self, published_only: bool = True) -> list[LibraryWorldview]:
        with self.db.session() as s:
            q = select(LibraryWorldview).order_by(LibraryWorldview.position, LibraryWorldview.slug)
            if published_only:
                q = q.where(LibraryWorldview.published.is_(True))
            return list(s.scalars(q))

    def worldview(self, slug: str, published_only: bool = True) -> LibraryWorldview:
        with self.db.session() as s:
            row = s.get(LibraryWorldview, slug)
        if row is None or (published_only and not row.published):
            raise NotFound(slug)
        return row

    def worldviews_of_card(self, slug: str) -> list[LibraryWorldview]:
        return [w for w in self.worldviews() if slug in (w.cards or [])]

    def pages(self, kind: str | None = None, published_only: bool = True) -> list[LibraryPage]:
        with self.db.session() as s:
            q = select(LibraryPage).order_by(LibraryPage.position, LibraryPage.slug)
            if kind:
                q = q.where(LibraryPage.kind == kind)
            if published_only:
                q = q.where(LibraryPage.published.is_(True))
            return list(s.scalars(q))

    def page(self, slug: str, published_only: bool = True) -> LibraryPage:
        with self.db.session() as s:
            row = s.get(LibraryPage, slug)
        if row is None or (published_only and not row.published):
            raise NotFound(slug)
        return row

    def setting(self, key: str) -> str:
        with self.db.session() as s:
            row = s.get(LibrarySetting, key)
        return row.value if row is not None else DEFAULT_SETTINGS.get(key, "")

    def image(self, sha256: str) -> Asset | None:
        with self.db.session() as s:
            return s.get(Asset, sha256)

    def card_image(self, sha256: str) -> Asset | None:
        """A photo some card shows (never another asset of the suite, such as item audio)."""
        with self.db.session() as s:
            used = s.scalar(select(LibraryCard.slug).where(LibraryCard.image_sha256 == sha256).limit(1))
            return s.get(Asset, sha256) if used is not None else None

    def version(self) -> tuple:
        """Changes whenever the searchable material changes (the search index is rebuilt)."""
        with self.db.session() as s:
            return tuple(
                s.execute(select(func.count(), func.max(model.updated_at))
                          .select_from(model)).one() for model in
                (LibraryCategory, LibraryCard, LibraryWorldview, LibraryPage))

    def documents(self) -> list[Document]:
        """The published material as search documents."""
        cats = {c.slug: c for c in self.categories()}
        docs = [Document("category", c.slug, {lang: {"title": text(c.name, lang),
                                                     "body": text(c.description, lang)} for lang in LANGS})
                for c in cats.values()]
        for card in self.cards():
            docs.append(Document("card", card.slug, {lang: {
                "title": text(card.caption, lang),
                "short": text(card.alt, lang) + " " + text(cats[card.category_slug].name, lang),
                "body": text(card.prompt, lang)} for lang in LANGS}))
        for wv in self.worldviews():
            docs.append(Document("worldview", wv.slug, {lang: {
                "title": text(wv.name, lang), "short": text(wv.summary, lang),
                "body": text(wv.description, lang)} for lang in LANGS}))
        for page in self.pages():
            docs.append(Document("page", page.slug, {lang: {
                "title": text(page.title, lang), "body": text(page.body, lang)} for lang in LANGS}))
        return docs

    # -- changing --------------------------------------------------------------------------
    def update(self, kind: str, slug: str, **values) -> None:
        model = MATERIAL_KINDS[kind]
        with self.db.session() as s:
            row = s.get(model, slug)
            if row is None:
                raise NotFound(slug)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = datetime.now(timezone.utc)

    def set_card_image(self, slug: str, data: bytes, media_type: str, width: int, height: int) -> str:
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        with self.db.session() as s:
            row = s.get(LibraryCard, slug)
            if row is None:
                raise NotFound(slug)
            if s.get(Asset, sha) is None:
                s.add(Asset(sha256=sha, media_type=media_type, size=len(data), data=data))
                s.flush()
            row.image_sha256, row.image_width, row.image_height = sha, width, height
            row.updated_at = datetime.now(timezone.utc)
        return sha

    def set_setting(self, key: str, value: str) -> None:
        with self.db.session() as s:
            row = s.get(LibrarySetting, key)
            if row is None:
                s.add(LibrarySetting(key=key, value=value))
            else:
                row.value = value

    # -- usage -----------------------------------------------------------------------------
    def count(self, material: str, event: str, n: int = 1) -> None:
        """Adds ``n`` to today's count of ``event`` on ``material`` (one upsert)."""
        if event not in EVENTS:
            raise ValueError(event)
        today = datetime.now(timezone.utc).date()
        values = {"material": material, "event": event, "day": today, "count": n}
        dialect = self.db.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(LibraryUsage).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=["material", "event", "day"],
                                          set_={"count": LibraryUsage.count + n})
        with self.db.session() as s:
            s.execute(stmt)

    def usage(self, days: int | None = None) -> dict[str, dict[str, int]]:
        """``{material: {"view": n, "download": n, "print": n}}`` over the last ``days``."""
        with self.db.session() as s:
            q = select(LibraryUsage.material, LibraryUsage.event, func.sum(LibraryUsage.count)) \
                .group_by(LibraryUsage.material, LibraryUsage.event)
            if days:
                since = datetime.now(timezone.utc).date() - timedelta(days=days - 1)
                q = q.where(LibraryUsage.day >= since)
            out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EVENTS, 0))
            for material, event, total in s.execute(q):
                out[material][event] = int(total or 0)
        return dict(out)

    def daily(self, days: int = 30) -> list[tuple[date, dict[str, int]]]:
        """Totals per day over the last ``days`` (every day present, zero or not)."""
        today = datetime.now(timezone.utc).date()
        since = today - timedelta(days=days - 1)
        with self.db.session() as s:
            rows = s.execute(select(LibraryUsage.day, LibraryUsage.event, func.sum(LibraryUsage.count))
                             .where(LibraryUsage.day >= since)
                             .group_by(LibraryUsage.day, LibraryUsage.event)).all()
        per_day = {since + timedelta(days=i): dict.fromkeys(EVENTS, 0) for i in range(days)}
        for day, event, total in rows:
            if day in per_day:
                per_day[day][event] = int(total or 0)
        return sorted(per_day.items())

    # -- feedback --------------------------------------------------------------------------
    def add_feedback(self, message: str, contact: str | None, page: str | None, language: str) -> int:
        with self.db.session() as s:
            row = LibraryFeedback(message=message, contact=contact or None, page=page or None,
                                  language=language)
            s.add(row)
            s.flush()
            return row.id

    def feedback(self) -> list[LibraryFeedback]:
        with self.db.session() as s:
            return list(s.scalars(select(LibraryFeedback).order_by(LibraryFeedback.handled,
                                                                   LibraryFeedback.created_at.desc())))

    def set_feedback_handled(self, feedback_id: int, handled: bool = True) -> None:
        with self.db.session() as s:
            s.execute(update(LibraryFeedback).where(LibraryFeedback.id == feedback_id)
                      .values(handled=handled))
