"""Read a mirror in the original Jekyll format (`_posts/`, `old_post/`) into the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.clean import plain_text, sanitize_html
from newsdesk.config import SiteConfig
from newsdesk.errors import ParseError, UsageError
from newsdesk.jekyll.post import ImportedPost, parse_post
from newsdesk.models import Article, UpsertCounts
from newsdesk.store.base import Store

SOURCE = "jekyll-import"
"""The `source` of every imported article: with the file's id it keys the article, so a
second import of the same mirror finds every post already stored."""

# _posts/ first: a post in both folders is taken from _posts/, the copy the site served
FOLDERS = ("_posts", "old_post")
BATCH = 500


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one import did: store counts, unreadable files, and one-line warnings."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def files(self) -> int:
        """How many post files were looked at."""
        return self.new + self.updated + self.unchanged + self.failed


@dataclass(slots=True)
class _Tally:
    """What reading the mirror found besides posts."""

    failed: int = 0
    warnings: list[str] = field(default_factory=list)


def read_mirror(src: Path, site: SiteConfig, tally: _Tally) -> Iterator[ImportedPost]:
    """Every readable post of the mirror, each id once; failures and warnings go to `tally`."""
    seen: dict[str, str] = {}  # id -> file that gave it; only ids are kept, never bodies
    for folder in FOLDERS:
        base = src / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if not path.is_file() or path.suffix not in (".md", ".markdown"):
                continue
            where = f"{folder}/{path.name}"
            try:
                text = path.read_bytes().decode("utf-8", errors="replace")
                post = parse_post(text, path.name, site.tz)
            except ParseError as exc:
                tally.failed += 1
                tally.warnings.append(f"{folder}/{exc}; skipped")
                continue
            except OSError as exc:
                tally.failed += 1
                tally.warnings.append(f"{where}: cannot read: {exc.strerror or exc}; skipped")
                continue
            tally.warnings.extend(f"{folder}/{w}" for w in post.warnings)
            if post.id in seen:
                tally.warnings.append(f"{where}: id {post.id} already read from {seen[post.id]}; skipped")
                continue
            seen[post.id] = where
            yield post


def to_article(post: ImportedPost, category: str) -> Article:
    """An imported post as an Article with a sanitized body."""
    link = post.link if post.link and post.link.startswith(("http://", "https://")) else None
    body = sanitize_html(post.body_html, base_url=link)
    return Article(
        source=SOURCE, id=post.id, outlet=post.outlet, category=category,
        title=post.title, link=link, published_at=post.published_at, body_html=body,
        summary=plain_text(body)[:120], lead=post.lead, dated=post.dated,
    )


def import_jekyll(src: Path, store: Store, site: SiteConfig, *, now: datetime | None = None) -> ImportReport:
    """Import `src/_posts` and `src/old_post` into `store`; raises UsageError or StoreError."""
    src = Path(src)
    if not (src / "_posts").is_dir() and not (src / "old_post").is_dir():
        raise UsageError(f"{src}: not a Jekyll mirror (no _posts/ or old_post/ folder)")
    seen_at = now or datetime.now(UTC)
    tally = _Tally()
    slugs: dict[tuple[str, str], str] = {}
    batch: list[Article] = []
    total = UpsertCounts()

    def flush() -> None:
        nonlocal total
        counts = store.upsert(batch, seen_at)
        total = UpsertCounts(total.new + counts.new, total.updated + counts.updated,
                             total.unchanged + counts.unchanged)
        batch.clear()

    for post in read_mirror(src, site, tally):
        key = (post.outlet, post.category)
        if key not in slugs:
            slugs[key] = store.category_for(post.outlet, post.category)
            if slugs[key] != post.category:
                tally.warnings.append(f"outlet {post.outlet}: category {post.category!r} is stored as "
                                      f"{slugs[key]!r}; its post URLs change")
        batch.append(to_article(post, slugs[key]))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return ImportReport(new=total.new, updated=total.updated, unchanged=total.unchanged,
                        failed=tally.failed, warnings=tuple(tally.warnings))
