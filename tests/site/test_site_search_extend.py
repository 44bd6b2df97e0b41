"""Search segments extended from their last version: only new articles' bodies are read, the files are
byte for byte a fresh build's, and anything but newer articles re-indexes the segment as before."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
from search_shelf import PAGE, T0, TZ, MemoryShelf

from newsdesk.models import Article, SafeHtml
from newsdesk.site import search
from newsdesk.store.base import Store

WORDS = ("清远", "供电局", "市场", "数据", "评价", "榜首", "逆回购", "半导体")
STEP_MIN = 30  # 48 articles a day


class Shelf(MemoryShelf):
    """Articles in memory, one every STEP_MIN minutes; remembers whose bodies the index read."""

    def put(self, number: int, *, minute: int | None = None, revision: int = 1) -> str:
        article_id = f"N{number:05d}"
        words = "".join(WORDS[(number * k + revision) % len(WORDS)] for k in (1, 3, 7))
        article = Article(source="s", id=article_id, outlet="南方Plus", category="nanfangPlus",
                          title=f"第{number}条 {WORDS[number % len(WORDS)]}", link=None,
                          published_at=T0 + timedelta(minutes=STEP_MIN * number if minute is None else minute),
                          body_html=SafeHtml(f"<p>{words}消息{number}，第{revision}版。</p><p>{words[::-1]}</p>"))
        self.articles[article_id] = (article, revision)
        return article_id

    def add(self, start: int, count: int) -> set[str]:
        """Articles start..start+count-1; the days they fall on."""
        return {self.day(self.put(n)) for n in range(start, start + count)}


def _update(shelf: Shelf, output: Path, changed: set[str] | None) -> search.SearchBuild:
    shelf.read.clear()
    return search.update_search_index(cast(Store, shelf), search.RefDays(shelf.refs(), TZ), TZ, output, PAGE,
                                      changed_days=changed)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _fresh(shelf: Shelf, root: Path) -> dict[str, bytes]:
    search.build_search_index(cast(Store, shelf), shelf.refs(), TZ, root, PAGE)
    return _tree(root)


def _entry(output: Path, segment: str) -> dict[str, object]:
    index = json.loads((output / search.INDEX_FILE).read_text(encoding="utf-8"))
    return next(e for e in index["segments"] if e["id"] == segment)


@pytest.fixture
def three_days(tmp_path: Path) -> tuple[Shelf, Path]:
    """1-3 February indexed (the 3rd half full): three day segments of the newest week."""
    shelf = Shelf()
    shelf.add(0, 48 * 2 + 24)
    output = tmp_path / "site"
    search.build_search_index(cast(Store, shelf), shelf.refs(), TZ, output, PAGE)
    return shelf, output


def test_rounds_of_newer_articles_equal_a_fresh_build(three_days: tuple[Shelf, Path], tmp_path: Path) -> None:
    shelf, output = three_days
    start, kinds = 48 * 2 + 24, set()
    # 13 rounds of 20: the rest of the 3rd, new days, and Monday 7 February merging 1-6 into their week
    for step in range(13):
        changed = shelf.add(start, 20)
        start += 20
        build = _update(shelf, output, changed)
        assert set(build.extended) <= set(build.reindexed)
        if build.extended == build.reindexed and "-w" not in "".join(build.extended):
            # a day extended alone: only the round's new articles were read
            assert len(shelf.read) == 20
        for segment in build.extended:
            kinds.add("week" if "-w" in segment else "day")
        assert _tree(output) == _fresh(shelf, tmp_path / f"fresh{step}"), step
    assert kinds == {"day", "week"}
    assert _entry(output, "2022-02-w01")["days"] == ["2022-02-01", "2022-02-06", 6]


def test_a_week_is_made_from_its_days_without_reading_them(three_days: tuple[Shelf, Path], tmp_path: Path) -> None:
    shelf, output = three_days
    _update(shelf, output, shelf.add(48 * 2 + 24, 48 * 4 - 24))  # up to the end of Sunday 6 February
    build = _update(shelf, output, shelf.add(48 * 6, 5))  # Monday 7 February
    assert build.extended == ("2022-02-w01",)
    assert set(shelf.read) == {f"N{n:05d}" for n in range(48 * 6, 48 * 6 + 5)}  # the new day's only
    assert _tree(output) == _fresh(shelf, tmp_path / "fresh")
    assert [h.title for h in search.search_index(output, "第5条")] == [f"第5条 {WORDS[5]}"]


def _edit(shelf: Shelf) -> None:
    shelf.put(48 * 2 + 3, revision=2)


def _back_date(shelf: Shelf) -> None:
    shelf.put(900, minute=STEP_MIN * (48 * 2 + 5) + 1)  # between two articles of the 3rd


def _remove(shelf: Shelf) -> None:
    del shelf.articles[f"N{48 * 2 + 7:05d}"]


def _recipe(shelf: Shelf, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "LAYOUT", search.LAYOUT + 1)


def _missing(output: Path) -> None:
    entry = _entry(output, "2022-02-03")
    (output / search.bucket_path(str(entry["dir"]), 0)).unlink()


def _truncated(output: Path) -> None:
    entry = _entry(output, "2022-02-03")
    path = output / search.bucket_path(str(entry["dir"]), 0)
    path.write_bytes(path.read_bytes()[:-9])


def _garbage(output: Path) -> None:
    entry = _entry(output, "2022-02-03")
    (output / search.bucket_path(str(entry["dir"]), 0)).write_text('{"清远":[1,2,"x"]}\n', encoding="utf-8")


@pytest.mark.parametrize("change", ["edit", "back-dated", "removed", "recipe", "missing", "truncated", "garbage"])
def test_anything_but_newer_articles_reindexes_the_day(three_days: tuple[Shelf, Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    shelf, output = three_days
    changed = shelf.add(48 * 2 + 24, 10)
    if change == "edit":
        _edit(shelf)
    elif change == "back-dated":
        _back_date(shelf)
    elif change == "removed":
        _remove(shelf)
    elif change == "recipe":
        _recipe(shelf, monkeypatch)
    else:
        {"missing": _missing, "truncated": _truncated, "garbage": _garbage}[change](output)
    # a new recipe is a new program: the site build then checks every segment, not only changed days
    build = _update(shelf, output, None if change == "recipe" else changed)
    assert "2022-02-03" in build.reindexed
    assert "2022-02-03" not in build.extended
    if change != "recipe":  # (which re-indexes the other days too)
        assert len(shelf.read) == 48 // 2 + 10 + (change == "back-dated") - (change == "removed")
    assert _tree(output) == _fresh(shelf, tmp_path / "fresh")


def test_the_same_update_without_a_twist_extends(three_days: tuple[Shelf, Path], tmp_path: Path) -> None:
    shelf, output = three_days
    build = _update(shelf, output, shelf.add(48 * 2 + 24, 10))
    assert build.extended == build.reindexed == ("2022-02-03",)
    assert len(shelf.read) == 10
    assert _tree(output) == _fresh(shelf, tmp_path / "fresh")


def test_bucket_files_read_back_as_written(tmp_path: Path) -> None:
    shelf = Shelf()
    shelf.add(0, 30)
    search.build_search_index(cast(Store, shelf), shelf.refs(), TZ, tmp_path, PAGE)
    entry = _entry(tmp_path, "2022-02-01")
    earlier = search._read_earlier(tmp_path, entry)
    assert earlier is not None and earlier.docs == 30 and earlier.buckets == entry["buckets"]
    for gram, (bucket, first, rest) in earlier.grams.items():
        written = json.loads((tmp_path / search.bucket_path(str(entry["dir"]), bucket)).read_text(encoding="utf-8"))
        assert written[gram] == [first, *(int(n) for n in rest.split(",")[1:])]
        docs = search.decode_postings(written[gram])
        assert search._last_doc(first, rest) == max(docs)


def test_a_month_is_made_from_its_weeks_and_days(tmp_path: Path) -> None:
    shelf = Shelf()
    shelf.add(48 * 16, 48 * 12)  # 17-28 February: a week of its own, then the newest week's days
    output = tmp_path / "site"
    search.build_search_index(cast(Store, shelf), shelf.refs(), TZ, output, PAGE)
    build = _update(shelf, output, shelf.add(48 * 28, 7))  # 1 March
    assert build.extended == ("2022-02",)
    assert len(shelf.read) == 7
    assert _tree(output) == _fresh(shelf, tmp_path / "fresh")
