"""The search index's bigram postings of many documents at once, with numpy array operations.

The same lists as search._python_postings, a document at a time in Python, makes (the
tests compare the two): per bigram, per document holding it, [document gap, count,
first position, position gaps...]. A bigram is two neighbouring characters of a run of
letters and digits. Every bigram occurrence of a slice of documents is packed into one
64-bit number (its two code points and its offset), so one sort groups them by bigram
with their offsets in order, and the lists are cut from the sorted numbers.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Mapping, Sequence

# no linear algebra here: without this, numpy's OpenBLAS starts a spinning thread per core at
# import, ~0.1 s of CPU in every process that indexes (three in a whole-site build)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

_NOT_RUN = re.compile(r"[\W_]")  # whatever search._RUN ([^\W_]+) does not take in
_CODE_BITS = 21  # a code point is below 0x110000 < 2**21
_OFFSET_BITS = 21  # so an offset inside one slice of documents stays below 2**21
_SLICE_CHARS = 1 << 17  # characters sorted at once: small arrays are fast here, and memory stays ~10 MB
MAX_CHARS = (1 << _OFFSET_BITS) - 1  # a longer document goes to search._python_postings
_UNSIGNED = np.dtype(f"u{array('I').itemsize}")  # the machine's unsigned int, as array("I") holds it


def vector_postings(docs: Sequence[str]) -> tuple[dict[str, array[int]], dict[str, int]]:
    """Each bigram's encoded list over these normalized documents (numbered from 0), and the last
    document holding it; a document longer than MAX_CHARS raises ValueError."""
    encoded: dict[str, array[int]] = {}
    last_doc: dict[str, int] = {}
    start = 0
    while start < len(docs):
        end, size = start + 1, len(docs[start]) + 1
        while end < len(docs) and size + len(docs[end]) < _SLICE_CHARS:
            size += len(docs[end]) + 1
            end += 1
        if len(docs[start]) > MAX_CHARS:  # offsets would not fit their bits
            raise ValueError(f"document {start}: {len(docs[start])} characters, too long to index")
        _add_slice(docs[start:end], start, encoded, last_doc)
        start = end
    return encoded, last_doc


def _add_slice(docs: Sequence[str], first: int, encoded: dict[str, array[int]], last_doc: dict[str, int]) -> None:
    """Append the lists of documents first.. to `encoded`; the first gap of each is taken from `last_doc`."""
    u64 = np.uint64
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    starts = np.zeros(len(docs), np.int64)  # where each document begins in the joined text
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    # every character outside a run becomes NUL (as does the NUL between documents): a bigram
    # is then two neighbouring characters that are both not NUL
    text = _NOT_RUN.sub("\x00", "\x00".join(docs))
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if len(points) < 2:
        return
    wide = points.astype(u64)
    packed = ((wide[:-1] << u64(_CODE_BITS + _OFFSET_BITS)) | (wide[1:] << u64(_OFFSET_BITS))
              | np.arange(len(points) - 1, dtype=u64))[(points[:-1] != 0) & (points[1:] != 0)]
    count = len(packed)
    if not count:
        return
    packed.sort()  # by bigram, then by offset: documents in order, positions in order
    grams = packed >> u64(_OFFSET_BITS)
    offset = (packed & u64((1 << _OFFSET_BITS) - 1)).astype(np.int64)
    doc = np.searchsorted(starts, offset, side="right") - 1
    position = offset - starts[doc]

    new_gram = np.empty(count, bool)
    new_gram[0] = True
    np.not_equal(grams[1:], grams[:-1], out=new_gram[1:])
    new_group = new_gram.copy()  # a (bigram, document) pair starts here
    new_group[1:] |= doc[1:] != doc[:-1]
    group_start = np.flatnonzero(new_group)
    groups = len(group_start)
    group_doc = doc[group_start]
    doc_gap = np.diff(group_doc, prepend=0)
    doc_gap[new_gram[group_start]] = 0  # a bigram's first document: set below, against earlier slices
    value = np.diff(position, prepend=0)  # gaps between positions, the first position as it is
    value[new_group] = position[new_group]
    group_of = np.cumsum(new_group) - 1
    flat = np.empty(count + 2 * groups, _UNSIGNED)  # each group: gap, count, then its positions
    flat[np.arange(count) + 2 * (group_of + 1)] = value
    head = group_start + 2 * np.arange(groups)
    flat[head] = doc_gap
    flat[head + 1] = np.diff(group_start, append=count)

    gram_start = np.flatnonzero(new_gram)
    bounds = (gram_start + 2 * group_of[gram_start]).tolist()
    bounds.append(len(flat))
    firsts = doc[gram_start].tolist()
    lasts = doc[np.append(gram_start[1:], count) - 1].tolist()
    data, size = flat.tobytes(), flat.itemsize
    low = (1 << _CODE_BITS) - 1
    for k, key in enumerate(grams[gram_start].tolist()):
        gram = chr(key >> _CODE_BITS) + chr(key & low)
        lists = encoded.get(gram)
        before = 0
        if lists is None:
            lists = encoded[gram] = array("I")
        else:
            before = last_doc[gram]
        at = len(lists)
        lists.frombytes(data[size * bounds[k]:size * bounds[k + 1]])
        lists[at] = first + firsts[k] - before
        last_doc[gram] = first + lasts[k]


def bucket_entries(part: Mapping[str, array[int]]) -> str:
    """search._bucket_entries: a bucket's `"bigram":[numbers],...` in bigram order, the same text.

    Every number of the bucket is turned into digits at once (numpy writes a digit of
    all of them per step) instead of one string per number: 2.7x faster on the bench's
    postings, for segments large enough to have paid for importing numpy.
    """
    grams = sorted(part)
    lists = [part[gram] for gram in grams]
    text, ends = _decimal(np.frombuffer(b"".join(map(array.tobytes, lists)), dtype=_UNSIGNED))
    stops = ends[np.cumsum(np.fromiter(map(len, lists), np.int64, len(lists))) - 1].tolist()
    entries = []
    start = 0
    for gram, stop in zip(grams, stops, strict=True):
        entries.append(f'"{gram}":[{text[start:stop - 1]}]')  # without the comma after its last number
        start = stop
    return ",".join(entries)


def _decimal(values: np.ndarray) -> tuple[str, np.ndarray]:
    """Each value's decimal digits followed by a comma, in one string; and where each value's text ends."""
    digits = np.ones(len(values), np.int64)
    top, limit = (int(values.max()) if len(values) else 0), 10
    while limit <= top:
        digits += values >= limit
        limit *= 10
    ends = np.cumsum(digits + 1)
    out = np.full(int(ends[-1]) if len(values) else 0, ord(","), np.uint8)
    at = ends - 2  # each value's last digit, filled from the right
    rest = values.astype(np.uint64)
    while len(rest):
        out[at] = rest % 10 + ord("0")
        rest //= 10
        more = rest > 0  # values with digits left
        rest, at = rest[more], at[more] - 1
    return out.tobytes().decode("ascii"), ends
