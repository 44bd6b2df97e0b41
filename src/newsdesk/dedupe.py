"""One story from several outlets shown once.

Exact duplicates (the same canonical link, or the same normalized title and text)
are stored once and remembered as aliases of the first article. Near-duplicates
from different outlets (one wire story with small edits) are grouped into a story
by MinHash over character 3-grams, which works for Chinese without word splitting.

The MinHash is one-permutation hashing: each n-gram is hashed once, the hash picks
one of `BINS` bins and the smallest value per bin is kept. Equal bins estimate the
Jaccard similarity of the two n-gram sets; LSH bands of `ROWS` bins find candidates.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from newsdesk.models import Alias, Article, Fingerprint, StoryPlacement

NGRAM = 3
BINS = 128
ROWS = 2  # bins per LSH band: 64 bands find rewrites even at 0.3 n-gram Jaccard
EMPTY = 0xFFFFFFFF
SIGNATURE_BYTES = 4 * BINS  # the n-gram part; number hashes follow it
MAX_NUMBERS = 64
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# measured on tests/dedupe/fixtures/pairs.json (see bench/BENCHMARKS.md)
THRESHOLD = 0.42
WINDOW = timedelta(days=3)  # a rewrite of a wire story appears within days, not weeks
MIN_CHARS = 40  # normalized characters below which text is too short to judge (titles alone)
MIN_SHARED_BANDS = 2  # bands a candidate shares; one is mostly chance, a true rewrite shares ~6 or more

Key = tuple[str, str]  # (source, id)


def normalize(text: str) -> str:
    """Letters and digits only, width-folded and case-folded: what two copies of one text share."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def link_key(link: str | None) -> str | None:
    """The canonical link without scheme, `www.`, default port or trailing slash."""
    if not link:
        return None
    parts = urlsplit(link)
    host = (parts.hostname or "").removeprefix("www.")
    if not host:
        return None
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"//{host}{port}{parts.path.rstrip('/') or '/'}{query}"


def article_text(article: Article) -> str:
    """The text an article is compared by: title, lead and body (or summary) as plain text."""
    from newsdesk.clean.text import plain_text  # clean's helper; dedupe runs after clean

    body = plain_text(article.body_html) or article.summary
    return "\n".join(part for part in (article.title, article.lead or "", body) if part)


def text_key(text: str) -> str | None:
    """A digest of the normalized text, or None when it is too short to call a duplicate."""
    normal = normalize(text)
    if len(normal) < MIN_CHARS:
        return None
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def _numbers(text: str) -> list[int]:
    """Sorted 32-bit hashes of the distinct numbers in `text` (figures, dates, percentages)."""
    found = set(_NUMBER.findall(unicodedata.normalize("NFKC", text)))
    return sorted({int.from_bytes(hashlib.blake2b(n.encode(), digest_size=4).digest(), "little")
                   for n in found})[:MAX_NUMBERS]


def signature(text: str) -> bytes:
    """MinHash of the text's character n-grams (`SIGNATURE_BYTES`), then hashes of its numbers."""
    numbers = _numbers(text)
    normal = normalize(text)
    mins = [EMPTY] * BINS
    for start in range(max(len(normal) - NGRAM + 1, 0)):
        digest = hashlib.blake2b(normal[start:start + NGRAM].encode("utf-8"), digest_size=8).digest()
        (value,) = struct.unpack("<Q", digest)
        slot, rest = value % BINS, (value // BINS) & 0xFFFFFFFE  # EMPTY (odd) never occurs as a value
        mins[slot] = min(mins[slot], rest)
    return struct.pack(f"<{BINS + len(numbers)}I", *mins, *numbers)


def _text_similarity(a: bytes, b: bytes) -> float:
    first = struct.unpack_from(f"<{BINS}I", a)
    second = struct.unpack_from(f"<{BINS}I", b)
    used = equal = 0
    for x, y in zip(first, second, strict=True):
        if x == EMPTY and y == EMPTY:
            continue
        used += 1
        equal += x == y
    return equal / used if used else 0.0


def _number_set(sig: bytes) -> set[int]:
    count = (len(sig) - SIGNATURE_BYTES) // 4
    return set(struct.unpack_from(f"<{count}I", sig, SIGNATURE_BYTES))


def similarity(a: bytes, b: bytes) -> float:
    """How alike two signatures are, 0.0 to 1.0.

    The mean of the estimated Jaccard similarity of character n-grams and the Jaccard
    similarity of the numbers: a rewrite keeps the figures of the story, while the next
    day's report on the same index or company shares the template but not the figures.
    Texts without numbers are judged on their n-grams alone.
    """
    text = _text_similarity(a, b)
    first, second = _number_set(a), _number_set(b)
    if not first and not second:
        return text
    return (text + len(first & second) / len(first | second)) / 2


def bands(sig: bytes) -> list[str]:
    """LSH band keys of a signature; bands holding an empty bin are left out."""
    keys: list[str] = []
    values = struct.unpack_from(f"<{BINS}I", sig)
    for band in range(BINS // ROWS):
        chunk = values[band * ROWS:(band + 1) * ROWS]
        if EMPTY in chunk:
            continue
        raw = struct.pack(f"<H{ROWS}I", band, *chunk)
        keys.append(hashlib.blake2b(raw, digest_size=8).hexdigest())
    return keys


def fingerprint(article: Article) -> Fingerprint:
    """Exact keys and the MinHash signature of one article."""
    text = article_text(article)
    return Fingerprint(source=article.source, id=article.id, outlet=article.outlet,
                       published_at=article.published_at, link_key=link_key(article.link),
                       text_key=text_key(text), signature=signature(text))


def is_near(a: Fingerprint, b: Fingerprint, threshold: float = THRESHOLD) -> float | None:
    """Their similarity when `a` and `b` are one story from two outlets, else None."""
    if a.outlet == b.outlet or abs(a.published_at - b.published_at) > WINDOW:
        return None
    score = similarity(a.signature, b.signature)
    return score if score >= threshold else None


# ---------------------------------------------------------------- planning one batch


@dataclass(slots=True)
class Plan:
    """What to store for one batch: articles to upsert, aliases, fingerprints with stories."""

    articles: list[Article] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    placements: list[StoryPlacement] = field(default_factory=list)


class StoryLookup(Protocol):
    """What planning asks the store (SqliteStore provides it)."""

    def alias_target(self, source: str, article_id: str) -> Key | None:
        """The article an alias points to, or None when (source, id) is no alias."""
        ...

    def get_fingerprint(self, source: str, article_id: str) -> Fingerprint | None:
        """The stored fingerprint of one article, or None."""
        ...

    def find_exact(self, link_key: str | None, text_key: str | None, exclude: Key) -> Key | None:
        """A stored article with this link key or text key, other than `exclude`."""
        ...

    def has_article(self, source: str, article_id: str) -> bool:
        """Whether (source, id) is stored as an article."""
        ...

    def near_candidates(self, band_keys: Sequence[str], since: datetime, exclude: Key,
                        outlet: str) -> list[tuple[Fingerprint, Key]]:
        """Other outlets' fingerprints sharing a band, published since `since`, with their story keys."""
        ...

    def story_of(self, source: str, article_id: str) -> Key | None:
        """The story key of a stored article, or None when it has no fingerprint."""
        ...


def _alias(article: Article, target: Key) -> Alias:
    return Alias(source=article.source, id=article.id, outlet=article.outlet, category=article.category,
                 title=article.title, link=article.link, of_source=target[0], of_id=target[1])


def plan_batch(articles: Iterable[Article], lookup: StoryLookup, threshold: float = THRESHOLD) -> Plan:
    """Split one source's cleaned articles into articles to store and aliases; place each in a story."""
    plan = Plan()
    exact: dict[str, Key] = {}  # this batch's link and text keys
    batch: dict[str, list[StoryPlacement]] = {}  # this batch's placements by LSH band
    for article in articles:
        key = (article.source, article.id)
        target = lookup.alias_target(*key)
        if target is not None:  # once an alias, always one: a rerun changes nothing
            plan.aliases.append(_alias(article, target))
            continue
        fp = fingerprint(article)
        stored = lookup.has_article(*key)
        if not stored:
            found = next((exact[k] for k in (fp.link_key, fp.text_key) if k and k in exact), None) \
                or lookup.find_exact(fp.link_key, fp.text_key, key)
            if found is not None and found != key:
                plan.aliases.append(_alias(article, found))
                continue
        plan.articles.append(article)
        for k in (fp.link_key, fp.text_key):
            if k:
                exact.setdefault(k, key)
        before = lookup.get_fingerprint(*key) if stored else None
        if before is not None and (before.signature, before.link_key, before.text_key) \
                == (fp.signature, fp.link_key, fp.text_key):
            continue  # unchanged: its story stays as it is
        placement = _place(fp, key, lookup, batch, threshold)
        for band in placement.bands:
            batch.setdefault(band, []).append(placement)
        plan.placements.append(placement)
    return plan


def _placement(fp: Fingerprint, story: Key, score: float = 1.0,
               band_keys: tuple[str, ...] | None = None) -> StoryPlacement:
    return StoryPlacement(fingerprint=fp, bands=band_keys if band_keys is not None else tuple(bands(fp.signature)),
                          story_source=story[0], story_id=story[1], similarity=score)


def _place(fp: Fingerprint, key: Key, lookup: StoryLookup, batch: dict[str, list[StoryPlacement]],
           threshold: float) -> StoryPlacement:
    """The story of a new or changed article: its own, or that of its closest near-duplicate."""
    current = lookup.story_of(*key)
    if current is not None and current != key:
        return _placement(fp, current)  # already grouped: stories do not split on an edit
    if fp.text_key is None:
        return _placement(fp, key)  # a title alone is too little to call two reports one story
    best: tuple[float, Key] | None = None
    placement_bands = tuple(bands(fp.signature))
    shared: dict[Key, int] = {}
    found: dict[Key, StoryPlacement] = {}
    for band in placement_bands:
        for p in batch.get(band, ()):
            k = (p.fingerprint.source, p.fingerprint.id)
            shared[k] = shared.get(k, 0) + 1
            found[k] = p
    candidates = [(p.fingerprint, (p.story_source, p.story_id)) for k, p in found.items()
                  if shared[k] >= MIN_SHARED_BANDS and p.fingerprint.text_key is not None]
    candidates += lookup.near_candidates(list(placement_bands), fp.published_at - WINDOW, key, fp.outlet)
    for other, story in candidates:
        if (other.source, other.id) == key:
            continue
        score = is_near(fp, other, threshold)
        if score is not None and (best is None or score > best[0]):
            best = (score, story)
    if best is None:
        return _placement(fp, key, band_keys=placement_bands)
    return _placement(fp, best[1], best[0], placement_bands)
