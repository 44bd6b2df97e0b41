"""Search index updates scoped by changed days: segments from day counts, untouched segments kept unread,
and any sequence of scoped updates byte-identical to one fresh index."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import Executor, Future
from datetime import UTC, timedelta, tzinfo
from pathlib import Path
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_shelf import PAGE, T0, TZ, MemoryShelf

from newsdesk.models import Article, SafeHtml
from newsdesk.site import search
from newsdesk.store.base import Store

WORDS = ("清远", "供电局", "市场", "数据", "评价", "榜首")


class Shelf(MemoryShelf):
    """A store of articles in memory: just what the index reads (get_articles)."""

    def put(self, article_id: str, minute: int, revision: int) -> None:
        word = WORDS[(revision + len(article_id)) % len(WORDS)]
        article = Article(source="s", id=article_id, outlet="南方Plus", category="nanfangPlus",
                          title=f"第{article_id}条 修订{revision}", link=None,
                          published_at=T0 + timedelta(minutes=minute),
                          body_html=SafeHtml(f"<p>{word}消息{article_id}，第{revision}版。</p>"))
        self.articles[article_id] = (article, revision)


class Watched(search.RefDays):
    """RefDays that remembers which days' refs were asked for."""

    def __init__(self, refs: Iterable[search.IndexRef], tz: tzinfo) -> None:
        super().__init__(refs, tz)
        self.asked: list[str] = []

    def day_refs(self, days: Collection[str]) -> Iterable[search.IndexRef]:
        self.asked.extend(days)
        return super().day_refs(days)


def _update(shelf: Shelf, output: Path, changed: Collection[str] | None, tz: tzinfo = TZ) -> Watched:
    days = Watched(shelf.refs(), tz)
    search.update_search_index(cast(Store, shelf), days, tz, output, PAGE, changed_days=changed)
    return days


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _index(output: Path) -> dict[str, object]:
    return cast(dict[str, object], json.loads((output / search.INDEX_FILE).read_text(encoding="utf-8")))


# ---------------------------------------------------------------- planning


def test_small_months_stay_whole_and_the_newest_week_is_days() -> None:
    counts = {"2021-12-03": 5, "2021-12-30": 2, "2022-01-04": 3, "2022-01-12": 1, "2022-01-13": 4}
    assert search.plan_segments(counts) == {
        "2022-01-13": ("2022-01-13",), "2022-01-12": ("2022-01-12",), "2022-01-w03": ("2022-01-04",),
        "2021-12": ("2021-12-03", "2021-12-30"),
    }


def test_a_big_month_is_cut_into_weeks_and_a_big_week_into_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "MAX_SEGMENT_DOCS", 10)
    counts = {"2021-11-10": 10,  # a month at the limit stays whole
              "2021-12-01": 4, "2021-12-02": 4,  # Wed, Thu: the week from 1 December (cut at the month)
              "2021-12-06": 6, "2021-12-07": 5,  # the week of Monday 6 December: 11, so its days
              "2021-12-31": 1, "2022-01-20": 1, "2022-01-21": 0}
    plan = search.plan_segments(counts)
    assert list(plan) == ["2022-01-20", "2021-12-w27", "2021-12-07", "2021-12-06", "2021-12-w01", "2021-11"]
    assert plan["2021-12-w27"] == ("2021-12-31",)
    assert plan["2021-12-06"] == ("2021-12-06",) and plan["2021-12-07"] == ("2021-12-07",)
    assert plan["2021-12-w01"] == ("2021-12-01", "2021-12-02")
    assert plan["2021-11"] == ("2021-11-10",)
    assert "2022-01-21" not in {d for days in plan.values() for d in days}  # a day without articles is no day


def test_segments_of_follows_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "MAX_SEGMENT_DOCS", 2)
    shelf = Shelf()
    for n, minute in enumerate([0, 60 * 24 * 3, 60 * 24 * 3 + 5, 60 * 24 * 10, 60 * 24 * 40]):
        shelf.put(f"A{n}", minute, 1)
    refs = shelf.refs()
    by_segment = search.segments_of(refs, TZ)
    plan = search.plan_segments(search.RefDays(refs, TZ).day_counts())
    assert list(by_segment) == list(plan)
    assert sorted(r.id for members in by_segment.values() for r in members) == sorted(r.id for r in refs)
    for segment, members in by_segment.items():
        assert {search.day_of(r.published_at, TZ) for r in members} == set(plan[segment])


def test_ref_days_counts_and_hands_out_refs_by_day() -> None:
    shelf = Shelf()
    for n, minute in enumerate([0, 10, 60 * 24, 60 * 24 * 2]):
        shelf.put(f"A{n}", minute, 1)
    days = search.RefDays(shelf.refs(), TZ)
    assert days.day_counts() == {"2022-02-01": 2, "2022-02-02": 1, "2022-02-03": 1}
    assert sorted(r.id for r in days.day_refs(["2022-02-01", "2022-02-03", "1999-01-01"])) == ["A0", "A1", "A3"]


# ---------------------------------------------------------------- scoped updates


@pytest.fixture
def month_and_days(tmp_path: Path) -> tuple[Shelf, Path]:
    """Articles across January 2022 (an older month) and on three days of February."""
    shelf = Shelf()
    for n in range(6):
        shelf.put(f"J{n}", -60 * 24 * (3 + 4 * n), 1)
    for n in range(6):
        shelf.put(f"F{n}", 60 * 24 * (n % 3) + n, 1)
    output = tmp_path / "public"
    _update(shelf, output, None)
    return shelf, output


def test_unchanged_segments_are_kept_without_loading_their_refs(month_and_days: tuple[Shelf, Path]) -> None:
    shelf, output = month_and_days
    shelf.put("F9", 60 * 24 * 2 + 30, 1)
    days = _update(shelf, output, {"2022-02-03"})
    assert days.asked == ["2022-02-03"]
    assert search.search_index(output, "消息F9")


def test_no_change_loads_nothing_and_writes_nothing(month_and_days: tuple[Shelf, Path]) -> None:
    shelf, output = month_and_days
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*.json")}
    days = _update(shelf, output, set())
    assert days.asked == []
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*.json")} == before


def test_without_changed_days_every_segment_is_checked(month_and_days: tuple[Shelf, Path]) -> None:
    shelf, output = month_and_days
    days = _update(shelf, output, None)
    assert sorted(days.asked) == sorted(days.day_counts())


def test_segment_entries_record_their_days(month_and_days: tuple[Shelf, Path]) -> None:
    _, output = month_and_days
    index = _index(output)
    segments = cast(list[dict[str, object]], index["segments"])
    assert index["zone"] == "Asia/Shanghai"
    assert [(e["id"], e["days"]) for e in segments] == [
        ("2022-02-03", ["2022-02-03", "2022-02-03", 1]), ("2022-02-02", ["2022-02-02", "2022-02-02", 1]),
        ("2022-02-01", ["2022-02-01", "2022-02-01", 1]), ("2022-01", ["2022-01-09", "2022-01-29", 6]),
    ]


def test_missing_files_are_rebuilt_even_when_no_day_changed(month_and_days: tuple[Shelf, Path]) -> None:
    shelf, output = month_and_days
    [folder] = (output / "search").glob("2022-01.*")
    (folder / "b0.json").unlink()
    days = _update(shelf, output, set())
    assert sorted(set(days.asked)) == ["2022-01-09", "2022-01-13", "2022-01-17", "2022-01-21", "2022-01-25",
                                       "2022-01-29"]
    assert (folder / "b0.json").is_file()


def test_a_change_of_zone_checks_every_segment(month_and_days: tuple[Shelf, Path]) -> None:
    shelf, output = month_and_days
    days = _update(shelf, output, set(), tz=UTC)
    assert sorted(days.asked) == sorted(days.day_counts())
    assert _index(output)["zone"] == "UTC"


def test_an_index_without_day_records_is_checked_by_fingerprint(month_and_days: tuple[Shelf, Path],
                                                                 tmp_path: Path) -> None:
    # an index.json from before segments recorded their days: kept by fingerprint, entries completed
    shelf, output = month_and_days
    index = _index(output)
    for entry in cast(list[dict[str, object]], index["segments"]):
        del entry["days"]
    (output / search.INDEX_FILE).write_text(json.dumps(index), encoding="utf-8")
    build = search.update_search_index(cast(Store, shelf), search.RefDays(shelf.refs(), TZ), TZ, output, PAGE,
                                       changed_days=set())
    assert build.reindexed == ()
    fresh = tmp_path / "fresh"
    _update(shelf, fresh, None)
    assert _tree(output) == _tree(fresh)


def test_a_started_index_writes_index_json_only_when_finished(month_and_days: tuple[Shelf, Path], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # a whole-site build starts the index, renders its article pages while the pool indexes the last
    # segments, then finishes it: the same files as at once, index.json only at the end
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    monkeypatch.setattr(search, "PARALLEL_SEGMENT", 1)  # every segment goes to the pool
    shelf, output = month_and_days
    other = tmp_path / "started"
    with ProcessPoolExecutor(2, mp_context=get_context("fork")) as executor:
        finish = search.start_search_index(cast(Store, shelf), search.RefDays(shelf.refs(), TZ), TZ, other, PAGE,
                                           pool=lambda: executor, in_flight=2)
        assert (other / search.SEARCH_PAGE).exists() and not (other / search.INDEX_FILE).exists()
        build = finish()
    assert search.INDEX_FILE in build.files and len(build.reindexed) >= 2
    assert _tree(other) == _tree(output)


class _Deferred(Future[object]):
    """A pool job that runs only when its result is asked for: it stays "out" until then."""

    def __init__(self, job: Callable[[], object]) -> None:
        super().__init__()
        self._job = job

    def result(self, timeout: float | None = None) -> object:
        if not self.done():
            self.set_result(self._job())
        return super().result(timeout)


class _HeldPool(Executor):
    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., object], /, *args: object, **kwargs: object) -> Future[object]:
        self.submitted += 1
        return _Deferred(lambda: fn(*args, **kwargs))


def test_with_its_segments_out_the_build_indexes_the_next_itself(month_and_days: tuple[Shelf, Path],
                                                                 tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "PARALLEL_SEGMENT", 1)
    shelf, output = month_and_days
    pool = _HeldPool()
    other = tmp_path / "held"
    build = search.update_search_index(cast(Store, shelf), search.RefDays(shelf.refs(), TZ), TZ, other, PAGE,
                                       pool=lambda: pool, in_flight=1)
    # one segment went to the pool and never finished meanwhile: every other one was indexed here
    assert pool.submitted == 1 and len(build.reindexed) >= 3
    assert _tree(other) == _tree(output)


def test_the_old_entry_point_still_writes_the_same_index(month_and_days: tuple[Shelf, Path], tmp_path: Path) -> None:
    shelf, output = month_and_days
    other = tmp_path / "other"
    search.build_search_index(cast(Store, shelf), shelf.refs(), TZ, other, PAGE)
    assert _tree(other) == _tree(output)


# ---------------------------------------------------------------- any sequence == fresh

SPAN_MIN = 60 * 24 * 75  # ten weeks and more: months, weeks and days all occur

step = st.one_of(
    st.tuples(st.just("add"), st.integers(0, SPAN_MIN), st.integers(0, 3)),  # minute, how many
    st.tuples(st.just("revise"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("move"), st.integers(0, 10_000), st.integers(-60 * 24 * 20, 60 * 24 * 20)),
    st.tuples(st.just("remove"), st.integers(0, 10_000), st.just(0)),
)


def _apply(shelf: Shelf, action: tuple[str, int, int], serial: int) -> set[str]:
    """Change the shelf; the days whose articles changed (before and after)."""
    kind, a, b = action
    ids = sorted(shelf.articles)
    if kind == "add" or not ids:
        minute = a if kind == "add" else 0
        for k in range(b + 1):
            shelf.put(f"N{serial}-{k}", minute + 7 * k, 1)
        return {shelf.day(f"N{serial}-{k}") for k in range(b + 1)}
    target = ids[a % len(ids)]
    before = shelf.day(target)
    article, revision = shelf.articles[target]
    minute = int((article.published_at - T0).total_seconds() // 60)
    if kind == "revise":
        shelf.put(target, minute, revision + 1)
    elif kind == "move":
        shelf.put(target, min(max(minute + b, 0), SPAN_MIN), revision + 1)
    else:
        del shelf.articles[target]
        return {before}
    return {before, shelf.day(target)}


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cap=st.sampled_from([2, 3, 50]), start=st.lists(st.integers(0, SPAN_MIN), min_size=0, max_size=12),
       steps=st.lists(step, min_size=1, max_size=6))
def test_scoped_updates_equal_a_fresh_index(cap: int, start: list[int], steps: list[tuple[str, int, int]]) -> None:
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as tmp:
        patch.setattr(search, "MAX_SEGMENT_DOCS", cap)
        shelf = Shelf()
        for n, minute in enumerate(start):
            shelf.put(f"S{n}", minute, 1)
        kept = Path(tmp) / "kept"
        _update(shelf, kept, None)
        for serial, action in enumerate(steps):
            changed = _apply(shelf, action, serial)
            _update(shelf, kept, changed)
            fresh = Path(tmp) / f"fresh{serial}"
            _update(shelf, fresh, None)
            assert _tree(kept) == _tree(fresh), (serial, action)


def test_files_no_index_names_are_swept_and_others_stay(month_and_days: tuple[Shelf, Path]) -> None:
    shelf, output = month_and_days
    [kept] = (output / "search").glob("2022-01.*")
    (kept / "b999.json").write_text("{}", encoding="utf-8")  # left by a killed build of another layout
    killed = output / "search" / "2022-01.0123456789ab"  # a segment version no index ever named
    killed.mkdir()
    (killed / "b0.json").write_text("{}", encoding="utf-8")
    (kept / "notes.txt").write_text("mine", encoding="utf-8")  # not a segment file: not ours to remove
    _update(shelf, output, set())
    assert not (kept / "b999.json").exists() and not killed.exists()
    assert (kept / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert search.search_index(output, "第J1条")


def test_no_more_buckets_than_bigrams(tmp_path: Path) -> None:
    # a large segment of few distinct bigrams (the bench corpus repeats one sentence) would
    # otherwise be spread over hundreds of mostly empty bucket files
    body = "<p>" + "清远供电局，" * 2000 + "</p>"
    texts = tuple((f"标题{n}", None, body) for n in range(40))
    rows = tuple((f"/a/{n}.html", f"标题{n}", "南方Plus", "2022-01-01 08:00") for n in range(40))
    done = search.write_segment(search.SegmentJob(tmp_path, "2022-01.000000000000", texts, rows))
    bigrams: set[str] = set()
    for title, _, text in texts:
        bigrams |= set(search.bigram_positions(search.document_text(title, None, text or "")))
    assert 1 < done.buckets <= len(bigrams) < 64
    buckets = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "search").glob("*/b*.json")]
    assert len(buckets) == done.buckets and sum(len(b) for b in buckets) == len(bigrams)
