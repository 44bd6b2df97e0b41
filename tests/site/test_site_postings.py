"""The numpy postings (site/postings.py) equal the Python ones; the fast normalize equals NFKC + lower case."""

from __future__ import annotations

import json
import unicodedata
from array import array
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.site import postings, search
from newsdesk.config import SiteConfig
from newsdesk.site.build import build_site
from newsdesk.store import SqliteStore

# letters of several scripts, digits, punctuation that splits runs, full-width forms, combining marks,
# astral ideographs, NUL and the underscore (\w, but not part of a run)
ALPHABET = st.sampled_from(list("清远供电局哈ab1２Ａｚ，。、 \n_\x00-é\u0301ﬁ①㈱") + ["\U00020000", "\U0002a6d6", "\u3000"])
TEXTS = st.lists(st.text(ALPHABET, max_size=40), max_size=30)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_vector_postings_equal_python_postings(texts: list[str]) -> None:
    docs = [search.normalize(text) for text in texts]
    assert postings.vector_postings(docs) == search._python_postings(docs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXTS)
def test_lists_carry_over_between_slices(monkeypatch: pytest.MonkeyPatch, texts: list[str]) -> None:
    monkeypatch.setattr(postings, "_SLICE_CHARS", 16)  # a few documents per slice: many slices
    docs = [search.normalize(text) for text in texts]
    assert postings.vector_postings(docs) == search._python_postings(docs)


# postings lists of unsigned 32-bit numbers: zeros, every digit count, the largest
NUMBERS = st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 12) | st.sampled_from([9, 10, 99, 100, 10**9]),
                   min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(st.sampled_from(list("清远供电局哈ab1") + ["\U00020000"]), min_size=2, max_size=2),
                       NUMBERS, max_size=12))
def test_bucket_numbers_written_with_numpy_are_the_same_text(part: dict[str, list[int]]) -> None:
    lists = {gram: array("I", numbers) for gram, numbers in part.items()}
    text = postings.bucket_entries(lists)
    assert text == search._bucket_entries(lists)
    assert json.loads("{" + text + "}") == part  # and JSON that says what it was given


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=60) | st.text(max_size=60))
def test_normalize_is_nfkc_then_lower_case(text: str) -> None:
    assert search.normalize(text) == unicodedata.normalize("NFKC", text).lower()


def test_a_document_too_long_for_the_arrays_is_indexed_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "VECTOR_FROM", 2)
    monkeypatch.setattr(postings, "MAX_CHARS", 10)
    texts = [("清远供电局", None, "<p>清远供电局公共服务评价连续第13年居首</p>"), ("供电", None, "<p>供电</p>")]
    docs = [search.document_text(*text) for text in texts]
    with pytest.raises(ValueError, match="document 0"):
        postings.vector_postings(docs)
    assert search._postings(texts) == search._python_postings(docs)


def test_index_files_are_the_same_either_way(filled: SqliteStore, site: SiteConfig, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "VECTOR_FROM", 10**9)
    build_site(filled, site)
    monkeypatch.setattr(search, "VECTOR_FROM", 1)
    other = tmp_path / "vector"
    build_site(filled, replace(site, output=other))
    first = {p.relative_to(site.output): p.read_bytes() for p in (site.output / "search").rglob("*") if p.is_file()}
    second = {p.relative_to(other): p.read_bytes() for p in (other / "search").rglob("*") if p.is_file()}
    assert len(first) > 2 and first == second
