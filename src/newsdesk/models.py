"""Plain data passed between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NewType

SafeHtml = NewType("SafeHtml", str)
"""HTML that went through `clean.sanitize`; the only HTML templates mark safe."""


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional GET sends back: the outlet's ETag and Last-Modified."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """One HTTP response body, decoded, as the fetch stage hands it on."""

    source: str
    url: str  # final URL after redirects
    status: int  # 200-class, or 304 when not modified
    body: bytes  # raw bytes (decompressed), b"" on 304
    text: str  # body decoded with `encoding`, "" on 304
    encoding: str  # codec used for `text`, e.g. "utf-8", "gb18030"
    content_type: str | None
    validators: Validators
    elapsed_s: float

    @property
    def not_modified(self) -> bool:
        """True when the outlet answered 304 Not Modified."""
        return self.status == 304


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item as the outlet wrote it; nothing here is trusted yet."""

    source: str
    guid: str | None
    title: str
    link: str | None
    published: str | None  # as the outlet wrote it
    body_html: str  # untrusted
    updated: str | None = None
    author: str | None = None
    summary: str | None = None  # untrusted, may hold HTML
    outlet: str | None = None  # the item's own outlet (JSON lists), else None
    lead: str | None = None  # text shown as a leading quote (East Money digest)
    fulltext_key: str | None = None  # id used in a source's fulltext_url


@dataclass(frozen=True, slots=True)
class Article:
    """One cleaned article: plain-text fields, aware times, sanitized body."""

    source: str  # the configured source's name
    id: str  # stable id within the source, as the outlet gave it
    outlet: str  # outlet shown to readers (the source, or the item's own outlet)
    category: str  # URL slug of the outlet, only [A-Za-z0-9-]
    title: str  # plain text
    link: str | None  # the original article
    published_at: datetime  # aware
    body_html: SafeHtml
    summary: str = ""  # plain text
    author: str | None = None
    updated_at: datetime | None = None  # aware, when the outlet says it changed
    lead: str | None = None  # plain text quoted before the body
    fulltext_key: str | None = None
    dated: bool = True  # False when the outlet gave no time and published_at is the fetch time
    needs_fulltext: bool = False  # full text was wanted but not had; retried next cycle


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the store holds it, with the store's own bookkeeping."""

    article: Article
    first_seen_at: datetime
    changed_at: datetime  # first_seen_at, or when an update last changed it
    revision: int  # 1 for the first version, +1 per change


@dataclass(frozen=True, slots=True)
class ArticleHead:
    """An article without its body: what list pages, paths and build manifests need."""

    source: str
    id: str
    outlet: str
    category: str
    title: str
    published_at: datetime
    first_seen_at: datetime
    changed_at: datetime
    revision: int


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What one `Store.upsert` did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


FetchStatus = Literal["ok", "not_modified", "failed"]


@dataclass(frozen=True, slots=True)
class SourceReport:
    """The outcome of fetching one source once."""

    source: str
    started_at: datetime
    elapsed_s: float
    status: FetchStatus
    http_status: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0  # items that could not be stored (missing fields, bad dates...)
    error: str | None = None  # one line a user can act on
    warnings: tuple[str, ...] = ()
    filtered: int = 0  # items dropped by include/exclude rules
    duplicates: int = 0  # exact duplicates of a stored article, remembered as its outlets

    def as_json(self) -> dict[str, object]:
        """The `fetch --json` object for this source."""
        return {
            "source": self.source,
            "status": self.status,
            "http_status": self.http_status,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "filtered": self.filtered,
            "duplicates": self.duplicates,
            "error": self.error,
            "warnings": list(self.warnings),
            "elapsed_s": round(self.elapsed_s, 3),
            "started_at": self.started_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What de-duplication keeps of one stored article: exact keys and a MinHash signature."""

    source: str
    id: str
    outlet: str
    published_at: datetime  # aware
    link_key: str | None  # canonical link without scheme, tracking or fragment
    text_key: str | None  # digest of the normalized title and text
    signature: bytes  # MinHash of character n-grams, then hashes of the numbers (see dedupe)


@dataclass(frozen=True, slots=True)
class StoryPlacement:
    """One article's fingerprint, its LSH band keys, and the story it belongs to."""

    fingerprint: Fingerprint
    bands: tuple[str, ...]
    story_source: str  # the story's key is its first article's (source, id)
    story_id: str
    similarity: float = 1.0  # to the member it was matched with; 1.0 for a story's first article


@dataclass(frozen=True, slots=True)
class Alias:
    """An exact duplicate carried by another outlet (or id), stored as a pointer to the article."""

    source: str
    id: str
    outlet: str
    category: str
    title: str
    link: str | None
    of_source: str  # the stored article it duplicates
    of_id: str


@dataclass(frozen=True, slots=True)
class StoryMember:
    """One outlet's report of a story, for "also reported by" links."""

    source: str
    id: str
    outlet: str
    category: str
    title: str
    link: str | None
    published_at: datetime
    exact: bool  # an exact duplicate (no page of its own), else a near-duplicate article


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store knows about one source's fetch history."""

    source: str
    validators: Validators = field(default_factory=Validators)
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0
    article_count: int = 0


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source's recent record: articles it brought and how long its fetches took."""

    source: str
    new_articles: int = 0  # new articles stored by its fetches since the asked moment
    fetches: int = 0  # fetches logged since then (failed ones included)
    median_fetch_s: float | None = None  # over the successful fetches since then


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """One outlet page's worth of facts: its slug, outlet name and article count."""

    slug: str
    outlet: str
    article_count: int
    latest_at: datetime | None


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a site build or export did."""

    written: int  # files whose bytes changed
    unchanged: int  # files left as they were
    removed: int
    articles: int
    elapsed_s: float
    output: str
