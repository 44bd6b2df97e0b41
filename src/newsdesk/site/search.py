"""Client-side full-text search: a positional character-bigram index in small static JSON files.

Every run of letters and digits in an article's title, lead and body is cut into
overlapping two-character pieces (bigrams) with their positions. A query term of
n characters matches a document when its n-1 bigrams occur at consecutive
positions there, which is exactly "the term is a substring of the text": 清远
matches only where 清 and 远 stand side by side. The index is split by date of
publication into segments (days of the newest week, weeks earlier that month,
whole months before), and each segment's bigrams are hashed into buckets, so a
query downloads only the buckets of its own bigrams; a build re-indexes only the
segments whose articles changed. `static/search.js` reads the same files.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import operator
import os
import re
import unicodedata
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from newsdesk import urls
from newsdesk.errors import OutputError
from newsdesk.site.write import WriteBatch, write_atomic
from newsdesk.store.base import Store

FORMAT = 2
SEARCH_PAGE = "search.html"
INDEX_DIR = "search"
INDEX_FILE = f"{INDEX_DIR}/index.json"
MIN_TERM = 2  # one character matches nearly every Chinese article; the page asks for two
DOCS_PER_CHUNK = 25  # result metadata comes in chunks so a query fetches only the chunks of its hits
# aim for buckets about this size: few requests, little waste per query. Days get the same size:
# today's segment is rewritten by every update, and 4 KB day buckets made 135 files per +100
# update instead of 39 (a query then fetched ~12% less, measured by bench/search_compare.py)
BUCKET_TARGET_BYTES = 16_000
MAX_BUCKETS = 1024
LAYOUT = 3  # how segments are cut into files; part of every fingerprint, so a new layout re-indexes once
# a segment with more articles is cut smaller (month -> weeks -> days): indexing one holds its postings
# at once, ~10 KB per article in the bench corpus, so this keeps a worker's indexing near 40 MB
MAX_SEGMENT_DOCS = 4000
# from this many documents on, postings are made with array operations (site/postings.py, numpy):
# 7x faster per document, but importing numpy costs ~0.06 s, more than an update's few documents take
VECTOR_FROM = 300

# a term is a run of letters and digits; JavaScript's [\p{L}\p{N}]+ draws the same lines
_RUN = re.compile(r"[^\W_]+")
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                         "td", "th", "table", "caption", "blockquote", "pre", "figure", "figcaption",
                         "hr", "section", "article", "header", "footer", "dt", "dd", "dl"})


class IndexRef(Protocol):
    """What the index needs to know of an article without its body (build.ArticleRef fits)."""

    @property
    def source(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def outlet(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def published_at(self) -> datetime: ...
    @property
    def revision(self) -> int: ...
    @property
    def path(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SearchPage:
    """search.html: the search form; results are filled in by static/search.js."""

    chrome: object  # build.Chrome; typed loosely so build can import this module
    title: str
    index_href: str
    script_href: str
    min_term: int


@dataclass(frozen=True, slots=True)
class SearchBuild:
    """What writing the index did: every file it owns, and which segments were re-indexed."""

    files: tuple[str, ...]
    written: int
    unchanged: int
    reindexed: tuple[str, ...]  # segment ids written anew this time
    # of those, the ones built from earlier versions' postings plus only their new articles' bodies
    extended: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result."""

    href: str
    title: str
    outlet: str
    time_text: str


SEARCH_SCRIPT = "static/search.js"


def search_page(chrome: object) -> SearchPage:
    """The search page's context."""
    return SearchPage(chrome=chrome, title="搜索", index_href=urls.href(INDEX_FILE),
                      script_href=urls.href(SEARCH_SCRIPT), min_term=MIN_TERM)


# ---------------------------------------------------------------- text


# a tag of sanitized HTML (quoted attribute values may hold ">"), or a comment
_TAG = re.compile(r"""<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.DOTALL)


def html_text(body_html: str) -> str:
    """The readable text of (already sanitized) article HTML: block elements separate words, inline ones do not.

    A regular expression rather than html.parser (which this replaced: same text, a
    sixth of the time); sanitized HTML has no raw text elements to trip them, and its
    character references stand whole between tags, so unescaping once after the tags
    are gone reads each of them as unescaping between the tags would.
    """
    return html.unescape(_TAG.sub(_tag_break, body_html))


_TAG_BREAKS: dict[str, str] = {}  # a tag's (or comment's) whole text -> what it leaves in the text
_TAG_BREAKS_MAX = 4096  # bare tags repeat in every article; tags with attributes mostly never do


def _tag_break(match: re.Match[str]) -> str:
    """What a tag leaves in the text: a line break for a block element (two for `<br/>`), else nothing."""
    whole = match.group()
    found = _TAG_BREAKS.get(whole)
    if found is None:
        name = match.group(2)
        found = ""
        if name is not None and name.lower() in _BLOCK_TAGS:
            # <br/> counts as a start and an end tag, as html.parser reports it
            found = "\n\n" if not match.group(1) and match.group(3).rstrip().endswith("/") else "\n"
        if len(_TAG_BREAKS) < _TAG_BREAKS_MAX:
            _TAG_BREAKS[whole] = found
    return found


# full-width punctuation common in Chinese text, and its NFKC form (one ASCII character each):
# replaced first, most texts are then already in NFKC, which is checked far faster than made
_WIDE_PUNCTUATION = tuple((wide, unicodedata.normalize("NFKC", wide)) for wide in "，：（）％！？；\u3000")


def normalize(text: str) -> str:
    """Fold width and case the way search.js does (NFKC, then lower case)."""
    # the same result as normalizing at once: NFKC decomposes each of these characters to the
    # very character it is replaced by (12x faster on the bench corpus's articles)
    for wide, narrow in _WIDE_PUNCTUATION:
        if wide in text:
            text = text.replace(wide, narrow)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def document_text(title: str, lead: str | None, body_html: str) -> str:
    """The normalized text an article is searched by: title, lead and body, kept apart by newlines."""
    return normalize("\n".join((title, lead or "", html_text(body_html))))


def query_terms(query: str) -> list[str]:
    """The terms of a query: its runs of letters and digits, normalized, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _RUN.finditer(normalize(query)):
        seen.setdefault(match.group(), None)
    return list(seen)


def usable_terms(terms: Sequence[str]) -> list[str]:
    """Terms long enough to search by: a single character would match nearly every article."""
    return [t for t in terms if len(t) >= MIN_TERM]


def bucket_of(bigram: str, buckets: int) -> int:
    """FNV-1a (32 bit) over the code points of `bigram`, modulo `buckets`; search.js computes the same."""
    h = 0x811C9DC5
    for char in bigram:
        h = ((h ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return h % buckets


def bigram_positions(text: str) -> dict[str, list[int]]:
    """Every bigram inside a run of letters and digits, with the offsets where it starts."""
    found: dict[str, list[int]] = {}
    get = found.get
    for match in _RUN.finditer(text):
        run = match.group()
        # the run's bigrams made in C (each character joined to the next), numbered from the run's start
        for offset, bigram in enumerate(map(str.__add__, run, run[1:]), match.start()):
            spots = get(bigram)
            if spots is None:
                found[bigram] = [offset]
            else:
                spots.append(offset)
    return found


def cover(term: str) -> list[tuple[int, str]]:
    """The bigrams that pin a term down, with their offsets: every other one, and the last.

    Together they cover each character, so finding them all at their offsets from one
    start is finding the term there; a 4-character term needs 2 bigrams, not 3.
    """
    if len(term) < 2:
        return []
    offsets = list(range(0, len(term) - 1, 2))
    if offsets[-1] != len(term) - 2:
        offsets.append(len(term) - 2)
    return [(k, term[k:k + 2]) for k in offsets]


def contains_term(postings: dict[str, dict[int, list[int]]], term: str) -> set[int]:
    """Documents where `term`'s covering bigrams stand at their offsets: exact substring matches.

    `postings` maps a bigram to {document: sorted positions}.
    """
    pinned = cover(term)
    lists = [postings.get(g) for _, g in pinned]
    if not pinned or any(not p for p in lists):
        return set()
    present = [p for p in lists if p is not None]
    candidates = set(present[0]).intersection(*present[1:])
    hits: set[int] = set()
    for doc in candidates:
        later = [(k, set(p[doc])) for (k, _), p in zip(pinned[1:], present[1:], strict=True)]
        if any(all(start + k in spots for k, spots in later) for start in present[0][doc]):
            hits.add(doc)
    return hits


# ---------------------------------------------------------------- encoding


def _append_postings(flat: list[int] | array[int], doc_gap: int, spots: list[int]) -> None:
    """Add one document's positions to a bigram's list: [doc gap, count, first position, gaps...]."""
    flat.extend((doc_gap, len(spots), spots[0]))
    if len(spots) > 1:
        flat.extend(map(operator.sub, spots[1:], spots[:-1]))


def _encode_postings(by_doc: dict[int, list[int]]) -> list[int]:
    """[doc gap, count, first position, position gaps..., doc gap, ...]: small numbers, short JSON."""
    flat: list[int] = []
    last_doc = 0
    for doc in sorted(by_doc):
        _append_postings(flat, doc - last_doc, by_doc[doc])
        last_doc = doc
    return flat


def decode_postings(flat: Sequence[int]) -> dict[int, list[int]]:
    """The inverse of the bucket encoding: {document: positions}."""
    out: dict[int, list[int]] = {}
    i = doc = 0
    while i < len(flat):
        doc += flat[i]
        count = flat[i + 1]
        spots = [flat[i + 2]]
        for gap in flat[i + 3:i + 2 + count]:
            spots.append(spots[-1] + gap)
        out[doc] = spots
        i += 2 + count
    return out


def _json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n").encode()


@functools.cache
def _digits() -> tuple[str, ...]:
    """The text of the numbers below 4,096: most of a postings list's are, and are looked up, not formatted."""
    return tuple(map(str, range(1 << 12)))  # 0.25 ms, made on first use (65,536 of them took 6 ms)


def _numbers(flat: Sequence[int]) -> str:
    """A postings list as JSON writes its numbers: `3,0,12`."""
    digits = _digits()
    if flat and max(flat) < len(digits):
        return ",".join(map(digits.__getitem__, flat))
    return ",".join(map(str, flat))


def _bucket_file(entries: Iterable[str]) -> bytes:
    """A bucket file from its `"bigram":[numbers]` entries in bigram order (what _read_earlier parses)."""
    return ("{" + ",".join(entries) + "}\n").encode()


def _bucket_entries(part: Mapping[str, Sequence[int]]) -> str:
    """A bucket's `"bigram":[numbers],...` in bigram order: `_json(part)` without its braces, made as text
    (1.6x faster); a bigram is letters and digits, which JSON never escapes."""
    return ",".join(f'"{gram}":[{_numbers(part[gram])}]' for gram in sorted(part))


# ---------------------------------------------------------------- segments


def day_of(published_at: datetime, tz: tzinfo) -> str:
    """`YYYY-MM-DD`, the day of publication in the site's zone."""
    return f"{published_at.astimezone(tz):%Y-%m-%d}"


def _segment_id(day: date, newest: date) -> str:
    """The segment of a day, seen from the newest day: its own, its week's (within the month), its month's."""
    if (day.year, day.month) != (newest.year, newest.month):
        return f"{day:%Y-%m}"
    if day.isocalendar()[:2] == newest.isocalendar()[:2]:
        return f"{day:%Y-%m-%d}"
    return _week_id(day)


def _week_id(day: date) -> str:
    """The id of a day's week, cut at the month's start so a week never spans two months."""
    monday = max(day - timedelta(days=day.weekday()), day.replace(day=1))
    return f"{day:%Y-%m}-w{monday:%d}"


def segment_start(segment: str) -> str:
    """The first day a segment id covers, `YYYY-MM-DD`: segments sort newest first by it."""
    if len(segment) == 7:
        return f"{segment}-01"
    return segment.replace("-w", "-")


def plan_segments(day_counts: Mapping[str, int]) -> dict[str, tuple[str, ...]]:
    """The days of each segment, from the number of articles per day alone; newest segment first.

    A day each in the newest week, a week each earlier that month, a month each before;
    a month of more than MAX_SEGMENT_DOCS articles is cut into its weeks, and such a week
    into its days, so indexing one segment never holds more than about that many
    articles' postings. The cut depends only on the counts, so any sequence of builds
    gives the same index as one fresh build.
    """
    days = sorted(day for day, count in day_counts.items() if count > 0)
    if not days:
        return {}
    newest = date.fromisoformat(days[-1])
    base = {day: _segment_id(date.fromisoformat(day), newest) for day in days}
    totals: dict[str, int] = {}
    for day in days:
        totals[base[day]] = totals.get(base[day], 0) + day_counts[day]
    # months too big become weeks; then weeks (from either rule) too big become days
    weekly = {day: _week_id(date.fromisoformat(day)) if len(seg) == 7 and totals[seg] > MAX_SEGMENT_DOCS else seg
              for day, seg in base.items()}
    totals = {}
    for day in days:
        totals[weekly[day]] = totals.get(weekly[day], 0) + day_counts[day]
    segments: dict[str, list[str]] = {}
    for day in days:
        seg = weekly[day]
        if "-w" in seg and totals[seg] > MAX_SEGMENT_DOCS:
            seg = day
        segments.setdefault(seg, []).append(day)
    return {seg: tuple(segments[seg]) for seg in sorted(segments, key=segment_start, reverse=True)}


def _by_day(refs: Iterable[IndexRef], tz: tzinfo) -> dict[str, list[IndexRef]]:
    """Articles by their day of publication in the site's zone."""
    by_day: dict[str, list[IndexRef]] = {}
    # every zone's offset is a whole number of quarter hours, so a day never starts inside one:
    # one time zone lookup per quarter hour instead of one per article
    day_of_quarter: dict[float, str] = {}
    for ref in refs:
        quarter = ref.published_at.timestamp() // 900
        day = day_of_quarter.get(quarter)
        if day is None:
            day = day_of_quarter[quarter] = day_of(ref.published_at, tz)
        by_day.setdefault(day, []).append(ref)
    return by_day


def segments_of(refs: Iterable[IndexRef], tz: tzinfo) -> dict[str, list[IndexRef]]:
    """Articles by segment (`plan_segments`), newest segment first."""
    by_day = _by_day(refs, tz)
    plan = plan_segments({day: len(members) for day, members in by_day.items()})
    return {seg: [ref for day in days for ref in by_day[day]] for seg, days in plan.items()}


class DaySource(Protocol):
    """The site's articles by day of publication (site zone): counts for all, refs on demand."""

    def day_counts(self) -> Mapping[str, int]:
        """`YYYY-MM-DD` -> how many articles with pages were published that day."""
        ...

    def day_refs(self, days: Collection[str]) -> Iterable[IndexRef]:
        """The articles of those days, in any order."""
        ...


class RefDays:
    """A DaySource over refs held in memory."""

    def __init__(self, refs: Iterable[IndexRef], tz: tzinfo) -> None:
        self._by_day = _by_day(refs, tz)

    def day_counts(self) -> Mapping[str, int]:
        """`YYYY-MM-DD` -> how many of the refs were published that day."""
        return {day: len(members) for day, members in self._by_day.items()}

    def day_refs(self, days: Collection[str]) -> Iterable[IndexRef]:
        """The refs of those days."""
        return [ref for day in days for ref in self._by_day.get(day, ())]


def segment_folder(segment: str, fingerprint: str) -> str:
    """Where one version of a segment lives: a new version never overwrites files the live index.json names."""
    return f"{segment}.{fingerprint[:12]}"


def bucket_path(folder: str, bucket: int) -> str:
    """One bucket of one segment version's postings."""
    return f"{INDEX_DIR}/{folder}/b{bucket}.json"


def chunk_path(folder: str, chunk: int) -> str:
    """One chunk of one segment version's result metadata."""
    return f"{INDEX_DIR}/{folder}/d{chunk}.json"


def _order(ref: IndexRef) -> tuple[datetime, str, str]:
    return (ref.published_at, ref.source, ref.id)


def _fingerprint(members: Sequence[IndexRef], tz: tzinfo) -> str:
    """Changes when any article of the segment is added, removed, revised or moved.

    A new title, outlet or body is a new revision in the store, so the key, revision,
    path and time say it all; this runs for every article on every build, so it stays lean.
    """
    text = "\1".join([f"{r.source}\0{r.id}\0{r.revision}\0{r.path}\0{r.published_at.timestamp()}"
                      for r in members])
    return hashlib.sha256(f"{FORMAT}.{LAYOUT}\0{tz}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _segment_files(entry: dict[str, object]) -> list[str] | None:
    """The files a segment entry of index.json owns, or None when the entry is malformed."""
    folder, buckets, docs = entry.get("dir"), entry.get("buckets"), entry.get("docs")
    if not isinstance(folder, str) or not isinstance(buckets, int) or not isinstance(docs, int) \
            or not _SEGMENT_DIR.match(folder):
        return None
    chunks = -(-docs // DOCS_PER_CHUNK)
    return [bucket_path(folder, b) for b in range(buckets)] + [chunk_path(folder, c) for c in range(chunks)]


def _read_previous(output: Path) -> tuple[dict[str, dict[str, object]], str | None]:
    """Segment entries of the last build's index.json by id, and its zone; empty when missing or unreadable."""
    try:
        data = json.loads((output / INDEX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, None  # no usable previous index: everything is re-indexed, which is always correct
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("docs_per_chunk") != DOCS_PER_CHUNK:
        return {}, None
    segments = data.get("segments")
    if not isinstance(segments, list):
        return {}, None
    zone = data.get("zone")
    return ({e["id"]: e for e in segments if isinstance(e, dict) and isinstance(e.get("id"), str)},
            zone if isinstance(zone, str) else None)


def _time_text(moment: datetime, tz: tzinfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


@dataclass(frozen=True, slots=True)
class SegmentJob:
    """One segment to index, with its articles' text read from the store: a worker process can run it."""

    output: Path
    folder: str
    # per document, newest first: (title, lead, body html), or (title, None, None) for one removed since planning
    texts: tuple[tuple[str, str | None, str | None], ...]
    rows: tuple[tuple[str, str, str, str], ...]  # result metadata: href, title, outlet, time


@dataclass(frozen=True, slots=True)
class SegmentDone:
    """What indexing one segment wrote."""

    buckets: int
    files: tuple[str, ...]
    written: int
    unchanged: int


def _segment_job(store: Store, output: Path, folder: str, members: Sequence[IndexRef], tz: tzinfo, *,
                 fresh: int | None = None) -> SegmentJob:
    """Read the segment's articles from the store (the part that needs the store); only the first `fresh` with it."""
    read = members if fresh is None else members[:fresh]
    found = store.get_texts([(ref.source, ref.id) for ref in read])
    # an article gone from the store since planning is indexed by the title its ref keeps
    texts: list[tuple[str, str | None, str | None]] = [found.get((ref.source, ref.id)) or (ref.title, None, None)
                                                        for ref in read]
    rows = tuple((urls.href(ref.path), ref.title, ref.outlet, _time_text(ref.published_at, tz)) for ref in members)
    return SegmentJob(output, folder, tuple(texts), rows)


def _postings(texts: Sequence[tuple[str, str | None, str | None]]) -> tuple[dict[str, array[int]], dict[str, int]]:
    """Each bigram's encoded list over these documents (numbered from 0), and the last document holding it."""
    # an article removed since planning is still findable by its title
    docs = [normalize(title) if body_html is None else document_text(title, lead, body_html)
            for title, lead, body_html in texts]
    if len(docs) >= VECTOR_FROM:
        from newsdesk.site.postings import MAX_CHARS, vector_postings

        if max(map(len, docs)) <= MAX_CHARS:
            return vector_postings(docs)
    return _python_postings(docs)


def _python_postings(docs: Iterable[str]) -> tuple[dict[str, array[int]], dict[str, int]]:
    """`_postings` of normalized texts, a document at a time: no start-up cost, for a few documents."""
    # unsigned 32-bit machine integers, not lists of int objects: every number is a count, a
    # position or a gap between two (never negative, and a text of 4G characters is not an article)
    encoded: dict[str, array[int]] = {}
    last_doc: dict[str, int] = {}
    for doc, text in enumerate(docs):
        # documents come in index order, so each bigram's list is encoded as it grows
        for bigram, spots in bigram_positions(text).items():
            flat = encoded.get(bigram)
            if flat is None:
                flat = encoded[bigram] = array("I")
            # _append_postings, inlined: this runs for every bigram of every document
            flat.extend((doc - last_doc.get(bigram, 0), len(spots), spots[0]))
            if len(spots) > 1:
                flat.extend(map(operator.sub, spots[1:], spots[:-1]))
            last_doc[bigram] = doc
    return encoded, last_doc


def _chunk_files(job: SegmentJob) -> Iterator[tuple[str, bytes]]:
    """The segment's result metadata files, DOCS_PER_CHUNK documents each."""
    docs = [list(row) for row in job.rows]
    for c in range(0, len(docs), DOCS_PER_CHUNK):
        yield chunk_path(job.folder, c // DOCS_PER_CHUNK), _json(docs[c:c + DOCS_PER_CHUNK])


def _bucket_count(approx: int, grams: int) -> int:
    """How many buckets a segment's postings get, from their approximate JSON size and number of bigrams."""
    buckets = 1
    # never more buckets than bigrams: an empty bucket is a file no query needs
    while buckets < MAX_BUCKETS and approx / buckets > BUCKET_TARGET_BYTES and buckets * 2 <= grams:
        buckets *= 2
    return buckets


def _index_segment(job: SegmentJob) -> tuple[int, Iterator[tuple[str, bytes]]]:
    """The segment's bucket count and its files, made one at a time as they are taken."""
    encoded, _ = _postings(job.texts)
    entries: Callable[[Mapping[str, array[int]]], str] = _bucket_entries
    if len(job.texts) >= VECTOR_FROM:  # its postings imported numpy: its numbers are written with it too
        from newsdesk.site.postings import bucket_entries as entries
    folder = job.folder
    # sized from the data so a bucket stays near the target however big the segment is
    approx = sum(len(g) * 3 + 4 + 3 * len(v) for g, v in encoded.items())
    buckets = _bucket_count(approx, len(encoded))
    split: list[dict[str, array[int]]] = [{} for _ in range(buckets)]
    for gram, flat in encoded.items():
        split[bucket_of(gram, buckets)][gram] = flat
    encoded.clear()

    def files() -> Iterator[tuple[str, bytes]]:
        # one bucket's JSON at a time, each bucket's postings let go once written: a month of a
        # 100,000-article site held all its JSON at once (~+200 MB at the peak)
        for b in range(buckets):
            part, split[b] = split[b], {}
            yield bucket_path(folder, b), _bucket_file((entries(part),))
        yield from _chunk_files(job)

    return buckets, files()


def write_segment(job: SegmentJob, earlier: Sequence[Earlier] = ()) -> SegmentDone:
    """Index one segment and write its files (in a worker process or this one); raises OutputError.

    With `earlier`, job.texts are only the segment's newest documents and the rest are
    those earlier versions' documents, in order: their postings are taken from their files.
    """
    buckets, files = _extend_segment(job, earlier) if earlier else _index_segment(job)
    written = unchanged = 0
    paths: list[str] = []
    # the folder is checked once; the names inside it are this module's own b<n>.json and d<n>.json
    folder = urls.resolve_inside(job.output, f"{INDEX_DIR}/{job.folder}")
    # not fsynced one by one: the site build flushes once before its manifest (site/build.py)
    with WriteBatch() as batch:  # all the files first, then the renames (see WriteBatch)
        for path, data in files:
            paths.append(path)
            if batch.write(folder / path.rpartition("/")[2], data):
                written += 1
            else:
                unchanged += 1
    return SegmentDone(buckets, tuple(paths), written, unchanged)


# ---------------------------------------------------------------- extending earlier versions
#
# Documents are numbered newest first, and a bigram's list starts with its first document's
# number and then only counts gaps. So when a segment's new version is some new documents
# followed by the documents of earlier versions (today's segment after a fetch of newer
# articles, or a week made of its days), each earlier list carries over as it is written except
# its first number: the new version's lists are the new documents' lists, then the earlier
# versions' lists with that number moved. The bucket files are spliced as text, never decoded.

# one bigram's list in a bucket file as _json writes it: the bigram (letters and digits, which
# JSON never escapes), the list's first number and the rest of it
_ENTRY = re.compile(r'"([^"\\\x00-\x1f]+)":\[([0-9]+)((?:,[0-9]+)*)\]')


@dataclass(frozen=True, slots=True)
class Earlier:
    """The postings of an earlier segment version, as read back from its bucket files."""

    docs: int
    buckets: int
    grams: dict[str, tuple[int, int, str]]  # bigram -> (its bucket, first number, ",rest,of,the,list")
    numbers: int  # how many numbers its lists hold together


def _read_earlier(output: Path, entry: dict[str, object]) -> Earlier | None:
    """An earlier version's postings from its bucket files; None when one is missing or not as written here."""
    folder, buckets, docs = entry.get("dir"), entry.get("buckets"), entry.get("docs")
    if not isinstance(folder, str) or not isinstance(buckets, int) or not isinstance(docs, int):
        return None
    root = urls.resolve_inside(output, f"{INDEX_DIR}/{folder}")
    grams: dict[str, tuple[int, int, str]] = {}
    numbers = 0
    for bucket in range(buckets):
        try:
            text = (root / f"b{bucket}.json").read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        end = len(text) - 2
        if not text.startswith("{") or text[end:] != "}\n":
            return None
        at = 1
        while at < end:
            match = _ENTRY.match(text, at, end)
            if match is None:
                return None
            gram, first, rest = match.groups()
            if gram in grams or int(first) >= docs:
                return None
            grams[gram] = (bucket, int(first), rest)
            numbers += 1 + rest.count(",")
            at = match.end()
            if at < end:
                if text[at] != "," or at + 1 == end:
                    return None
                at += 1
    return Earlier(docs, buckets, grams, numbers)


def _last_doc(first: int, rest: str) -> int:
    """The last document (numbered within its version) of a bigram list written as first number and rest."""
    # only each entry's document gap and count are turned into numbers, not its positions
    numbers = rest.split(",")  # numbers[0] is "", standing for `first`
    if len(numbers) < 3:
        return first  # not a whole entry: no list this module writes
    doc, i, end = first, 2 + int(numbers[1]), len(numbers)
    while i + 1 < end:
        doc += int(numbers[i])
        i += 2 + int(numbers[i + 1])
    return doc


def _extend_segment(job: SegmentJob, earlier: Sequence[Earlier]) -> tuple[int, Iterator[tuple[str, bytes]]]:
    """`_index_segment` for job.texts followed by the earlier versions' documents: the same files."""
    encoded, last_doc = _postings(job.texts)
    starts: list[int] = []  # each earlier version's first document in the new numbering
    start = len(job.texts)
    for part in earlier:
        starts.append(start)
        start += part.docs
    holders: dict[str, list[int]] = {}  # bigram -> the earlier versions holding it, newest first
    for number, part in enumerate(earlier):
        for gram in part.grams:
            found = holders.get(gram)
            if found is None:
                holders[gram] = [number]
            else:
                found.append(number)
    grams = holders.keys() | encoded.keys()
    # _index_segment's size estimate, added up without building the lists
    approx = sum(len(g) * 3 + 4 for g in grams) + 3 * (sum(len(v) for v in encoded.values())
                                                       + sum(part.numbers for part in earlier))
    buckets = _bucket_count(approx, len(grams))
    split: list[list[str]] = [[] for _ in range(buckets)]
    same = [part.buckets == buckets for part in earlier]
    for gram in grams:
        held = holders.get(gram)
        # a version with as many buckets has already hashed the bigram
        bucket = next((earlier[n].grams[gram][0] for n in held if same[n]), None) if held else None
        split[bucket_of(gram, buckets) if bucket is None else bucket].append(gram)
    folder = job.folder

    def entry(gram: str) -> str:
        pieces: list[str] = []
        last = 0
        flat = encoded.get(gram)
        if flat is not None:
            pieces.append(_numbers(flat))
            last = last_doc[gram]
        held = holders.get(gram, ())
        for k, number in enumerate(held):
            _, first, rest = earlier[number].grams[gram]
            pieces.append(f"{first + starts[number] - last}{rest}")
            if k + 1 < len(held):
                last = starts[number] + _last_doc(first, rest)
        return f'"{gram}":[{",".join(pieces)}]'

    def files() -> Iterator[tuple[str, bytes]]:
        for b in range(buckets):
            part, split[b] = split[b], []
            yield bucket_path(folder, b), _bucket_file(map(entry, sorted(part)))
        yield from _chunk_files(job)

    return buckets, files()


def _earlier_versions(output: Path, previous: Mapping[str, dict[str, object]], segment_days: Sequence[str],
                      members: Sequence[IndexRef], tz: tzinfo,
                      listing: Callable[[str], set[str]]) -> list[Earlier] | None:
    """The last build's segment versions a segment can be extended from, newest first; None when it cannot.

    That is when the last index's segments within the segment's days hold, in order, exactly
    its oldest articles (their fingerprints say so) and their files are all there and sound;
    the articles before them are then the only ones whose bodies need reading.
    """
    first, last = segment_days[0], segment_days[-1]
    inside: list[tuple[str, dict[str, object], int]] = []
    for old in previous.values():
        span, docs, fingerprint = old.get("days"), old.get("docs"), old.get("fp")
        if not isinstance(span, list) or len(span) != 3 or not isinstance(span[0], str) \
                or not isinstance(span[1], str) or not first <= span[0] <= span[1] <= last:
            continue
        old_files = _segment_files(old)
        if old_files is None or not isinstance(docs, int) or docs < 1 or not isinstance(fingerprint, str) \
                or old.get("dir") != segment_folder(str(old.get("id")), fingerprint) \
                or not _names(old_files) <= listing(str(old["dir"])):
            return None
        inside.append((span[0], old, docs))
    inside.sort(key=operator.itemgetter(0), reverse=True)
    start = len(members) - sum(docs for _, _, docs in inside)
    if not inside or start < 0:
        return None
    for _, old, docs in inside:
        if _fingerprint(members[start:start + docs], tz) != old["fp"]:
            return None
        start += docs
    parts = [_read_earlier(output, old) for _, old, _ in inside]
    return None if None in parts else [part for part in parts if part is not None]


PARALLEL_SEGMENT = 500  # segments with fewer articles are indexed in-process: a worker costs more than it saves


def build_search_index(store: Store, refs: Iterable[IndexRef], tz: tzinfo, output: Path,
                       page_html: bytes, *, pool: Callable[[], Executor] | None = None,
                       in_flight: int = 2) -> SearchBuild:
    """Write search.html and the index of `refs` under search/, checking every segment (see update_search_index)."""
    return update_search_index(store, RefDays(refs, tz), tz, output, page_html, pool=pool, in_flight=in_flight)


def update_search_index(store: Store, days: DaySource, tz: tzinfo, output: Path, page_html: bytes, *,
                        changed_days: Collection[str] | None = None,
                        pool: Callable[[], Executor] | None = None, in_flight: int = 2) -> SearchBuild:
    """Write search.html and the index under search/, re-indexing only changed segments (see
    start_search_index, which this runs to the end at once)."""
    return start_search_index(store, days, tz, output, page_html, changed_days=changed_days, pool=pool,
                              in_flight=in_flight)()


def start_search_index(store: Store, days: DaySource, tz: tzinfo, output: Path, page_html: bytes, *,
                       changed_days: Collection[str] | None = None,
                       pool: Callable[[], Executor] | None = None,
                       in_flight: int = 2) -> Callable[[], SearchBuild]:
    """Start writing search.html and the index under search/, re-indexing only changed segments;
    the returned function waits for the segments still being indexed and writes index.json.

    Everything but the last `in_flight` pool jobs is done when this returns, so a caller can give
    the pool other work to run beside them (a whole-site build queues its article pages).

    Segments are planned from `days.day_counts()` alone. With `changed_days` None,
    every segment's refs are loaded and fingerprinted; a segment whose fingerprint
    matches the last build's and whose files are all there is kept without reading
    its articles' bodies. With `changed_days` (every day whose articles were added,
    removed, revised or moved since the last index.json, in the site's zone), a
    segment with the same days and article count as last time, none of them changed,
    and its files in place is kept without even loading its refs. Either way the
    result is byte for byte what a fresh build writes. index.json is written last, so
    a crash part-way leaves at worst segments that the next build redoes. With `pool`,
    large segments are indexed by worker processes, at most `in_flight` at a time so
    only that many segments' bodies are held at once; when that many are out, this
    process indexes the next one itself. Raises OutputError, StoreError.
    """
    counts = days.day_counts()
    plan = plan_segments(counts)
    previous, previous_zone = _read_previous(output)
    # days are days in the site's zone: after a change of zone the recorded days mean other hours
    trusted = None if changed_days is None or previous_zone != str(tz) else frozenset(changed_days)
    entries: list[dict[str, object]] = []
    files: list[str] = [SEARCH_PAGE]
    written = unchanged = 0
    reindexed: list[str] = []
    extended: list[str] = []
    running: list[tuple[dict[str, object], Future[SegmentDone]]] = []
    # one listing per segment folder instead of a stat per file: a 100,000-article site has ~40,000
    listings: dict[str, set[str]] = {}
    named: dict[str, set[str]] = {}  # segment folder -> the file names the new index.json gives it

    def listing(folder: str) -> set[str]:
        if folder not in listings:
            listings[folder] = _listing(output, folder)
        return listings[folder]

    def put(path: str, data: bytes) -> None:
        nonlocal written, unchanged
        # not fsynced one by one: the site build flushes once before its manifest (site/build.py)
        if write_atomic(urls.resolve_inside(output, path), data, durable=False):
            written += 1
        else:
            unchanged += 1

    def record(entry: dict[str, object], done: SegmentDone) -> None:
        nonlocal written, unchanged
        entry["buckets"] = done.buckets
        files.extend(done.files)
        named[str(entry["dir"])] = _names(done.files)
        written += done.written
        unchanged += done.unchanged

    def settle(limit: int) -> None:
        while len(running) > limit:
            entry, future = running.pop(0)
            record(entry, future.result())

    def room() -> bool:
        """Whether the pool takes another segment: at most `in_flight` are held at once, and rather than
        wait for one to finish (the pool may be busy with other work too), this process indexes the next."""
        while running and running[0][1].done():
            settle(len(running) - 1)
        return len(running) < in_flight

    def keep(old: dict[str, object], old_files: list[str], names: set[str]) -> None:
        nonlocal unchanged
        entries.append(old)
        files.extend(old_files)
        named[str(old["dir"])] = names
        unchanged += len(old_files)

    put(SEARCH_PAGE, page_html)
    for segment, segment_days in plan.items():
        span = [segment_days[0], segment_days[-1], len(segment_days)]
        old = previous.get(segment)
        old_files = _segment_files(old) if old is not None else None
        old_names = _names(old_files or ())
        on_disk = old is not None and old_files is not None and old_names <= listing(str(old["dir"]))
        if trusted is not None and old is not None and old_files is not None and old.get("days") == span \
                and old.get("docs") == sum(counts[day] for day in segment_days) \
                and trusted.isdisjoint(segment_days) and on_disk:
            keep(old, old_files, old_names)
            continue
        members = sorted(days.day_refs(segment_days), key=_order, reverse=True)  # newest first = result order
        fingerprint = _fingerprint(members, tz)
        entry: dict[str, object] = {"id": segment, "dir": segment_folder(segment, fingerprint), "docs": len(members),
                                    "buckets": 0, "fp": fingerprint, "days": span}
        if old is not None and old_files is not None and on_disk and old.get("fp") == fingerprint \
                and old.get("dir") == entry["dir"] and old.get("docs") == entry["docs"]:
            # same articles: the files stand; the entry is rebuilt so it carries every key a fresh one has
            keep({**entry, "buckets": old["buckets"]}, old_files, old_names)
            continue
        entries.append(entry)
        reindexed.append(segment)
        folder = segment_folder(segment, fingerprint)
        earlier = _earlier_versions(output, previous, segment_days, members, tz, listing)
        if earlier is not None:
            # in this process: only the new articles are indexed, the rest is splicing text
            fresh = len(members) - sum(part.docs for part in earlier)
            record(entry, write_segment(_segment_job(store, output, folder, members, tz, fresh=fresh), earlier))
            extended.append(segment)
            del earlier
        elif pool is not None and len(members) >= PARALLEL_SEGMENT and room():
            running.append((entry, pool().submit(write_segment, _segment_job(store, output, folder, members, tz))))
        else:
            record(entry, write_segment(_segment_job(store, output, folder, members, tz)))
        del members

    def finish() -> SearchBuild:
        settle(0)
        index = {"format": FORMAT, "docs_per_chunk": DOCS_PER_CHUNK, "min_term": MIN_TERM, "zone": str(tz),
                 "segments": entries}
        put(INDEX_FILE, _json(index))
        files.append(INDEX_FILE)
        _remove_orphan_segments(output, named, listings)
        return SearchBuild(files=tuple(files), written=written, unchanged=unchanged, reindexed=tuple(reindexed),
                           extended=tuple(extended))

    return finish


# a segment version's folder, search/<segment>.<12 hex>, and its files b<n>.json and d<n>.json
_SEGMENT_DIR = re.compile(r"^[0-9]{4}-[0-9]{2}(?:-w?[0-9]{2})?\.[0-9a-f]{12}$")
_SEGMENT_NAME = re.compile(r"^[bd][0-9]+\.json$")


def _names(paths: Iterable[str]) -> set[str]:
    """The file names of paths inside one folder."""
    return {path.rpartition("/")[2] for path in paths}


def _listing(output: Path, folder: str) -> set[str]:
    """The names in one segment folder; empty when there is none. Raises OutputError."""
    try:
        return set(os.listdir(output / INDEX_DIR / folder))
    except (FileNotFoundError, NotADirectoryError):
        return set()
    except OSError as exc:
        raise OutputError(f"{output / INDEX_DIR / folder}: cannot list a search folder: {exc.strerror or exc}") from exc


def _remove_orphan_segments(output: Path, named: dict[str, set[str]], listings: dict[str, set[str]]) -> None:
    """Delete segment files the new index does not name: older versions of re-indexed segments, and
    what a killed build wrote (index.json and the manifest are written after the segments).

    `listings` are folder listings taken earlier this build: a file missing from one was written
    since, and everything written since is named.
    """
    root = output / INDEX_DIR
    try:
        folders = [entry.name for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{root}: cannot list the search folder: {exc.strerror or exc}") from exc
    for folder in folders:
        if not _SEGMENT_DIR.match(folder):
            continue
        keep = named.get(folder, set())
        present = listings[folder] if folder in listings else _listing(output, folder)
        for name in present - keep:
            if _SEGMENT_NAME.match(name):
                path = root / folder / name
                try:
                    path.unlink(missing_ok=True)
                except OSError as exc:
                    raise OutputError(f"{path}: cannot remove an orphaned search file: {exc.strerror or exc}") from exc
        if not keep:
            try:
                (root / folder).rmdir()
            except OSError:
                pass  # other files still in the folder


def remove_search_index(output: Path) -> None:
    """Delete search.html and the index an earlier build wrote (a site built with search off); other
    files under search/ are left alone. Raises OutputError."""
    # the page and index.json first: a build killed part-way leaves no index naming missing files
    for path in (SEARCH_PAGE, INDEX_FILE):
        target = output / path
        try:
            if target.is_file():
                target.unlink()
        except OSError as exc:
            raise OutputError(f"{target}: cannot remove the search index: {exc.strerror or exc}") from exc
    _remove_orphan_segments(output, {}, {})
    try:
        (output / INDEX_DIR).rmdir()
    except OSError:
        pass  # not there, or holds files of someone else's


# ---------------------------------------------------------------- reading the built index


def _load(output: Path, path: str) -> object:
    try:
        return json.loads(urls.resolve_inside(output, path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise OutputError(f"{output}: no search index at {path}: run `newsdesk build` first") from exc
    except (OSError, ValueError) as exc:
        raise OutputError(f"{output / path}: unreadable search index file: {exc}") from exc


def search_index(output: Path, query: str, *, limit: int | None = None) -> list[Hit]:
    """Search the built index under `output` as search.js does; newest first. Raises OutputError."""
    terms = usable_terms(query_terms(query))
    if not terms:
        return []
    index = _load(output, INDEX_FILE)
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise OutputError(f"{output / INDEX_FILE}: search index of another format: run `newsdesk build`")
    hits: list[Hit] = []
    for entry in index.get("segments", []):
        for doc in _segment_hits(output, entry, terms):
            chunk = _load(output, chunk_path(entry["dir"], doc // DOCS_PER_CHUNK))
            assert isinstance(chunk, list)
            href, title, outlet, when = chunk[doc % DOCS_PER_CHUNK]
            hits.append(Hit(href=href, title=title, outlet=outlet, time_text=when))
            if limit is not None and len(hits) >= limit:
                return hits
    return hits


def _segment_hits(output: Path, entry: dict[str, object], terms: Sequence[str]) -> Iterator[int]:
    """Documents of one segment matching every term, in index order (newest first)."""
    seg, buckets = entry["dir"], entry["buckets"]
    assert isinstance(seg, str) and isinstance(buckets, int)
    grams = {g for t in terms for _, g in cover(t)}
    postings: dict[str, dict[int, list[int]]] = {}
    loaded: dict[int, dict[str, list[int]]] = {}
    for gram in grams:
        b = bucket_of(gram, buckets)
        if b not in loaded:
            part = _load(output, bucket_path(seg, b))
            loaded[b] = part if isinstance(part, dict) else {}
        if gram in loaded[b]:
            postings[gram] = decode_postings(loaded[b][gram])
    matched: set[int] | None = None
    for term in terms:
        found = contains_term(postings, term)
        matched = found if matched is None else matched & found
        if not matched:
            return
    yield from sorted(matched or ())


def search_store(store: Store, query: str, tz: tzinfo, *, limit: int | None = None) -> list[Hit]:
    """Search the store's articles directly (no built site needed), newest first; raises StoreError.

    The same terms and the same exact-substring rule as the index, checked on each text.
    """
    terms = usable_terms(query_terms(query))
    if not terms:
        return []
    hits: list[Hit] = []
    for stored in store.iter_articles(newest_first=True):
        article = stored.article
        text = document_text(article.title, article.lead, article.body_html)
        # a term never spans two runs of letters in the index, so check it run by run here too
        runs = _RUN.findall(text)
        if all(any(term in run for run in runs) for term in terms):
            path = urls.post_path(article.category, article.published_at, article.id, tz)
            hits.append(Hit(href=urls.href(path), title=article.title, outlet=article.outlet,
                            time_text=_time_text(article.published_at, tz)))
            if limit is not None and len(hits) >= limit:
                break
    return hits
