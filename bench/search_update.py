"""Time of a search index update after +100 articles, scoped by changed days or checking every segment.

usage: python bench/search_update.py [N ...]   (default 10000 100000)

N articles one every 3 minutes from 1 January 2024 (bench/site_build.py's corpus), held in
memory (no store: the figures are the index's own work). One full index is built, then
100 articles arrive after the newest and the index is updated three ways on copies of
the same tree: `changed_days` given (what the site build passes), `changed_days=None`
(every segment's refs loaded and fingerprinted), and the old `build_search_index` entry.
`*_extended` counts the segments built from their last version plus only the new articles' bodies.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from newsdesk.models import Article, SafeHtml, StoredArticle
from newsdesk.site import search
from newsdesk.store.base import Store

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BODY = SafeHtml("<p>" + "清远供电局公共服务评价稳居榜首，市场消息与数据。" * 40 + "</p>")
PAGE = b"<!DOCTYPE html>\n"


class Shelf:
    """Just what the index reads of a store."""

    def __init__(self) -> None:
        self.articles: dict[tuple[str, str], StoredArticle] = {}

    def add(self, start: int, count: int) -> None:
        for i in range(start, start + count):
            article = Article(source=f"outlet{i % 300}", id=f"A{i:07d}", outlet=f"媒体{i % 300}",
                              category=f"outlet{i % 300}", title=f"第{i}条新闻：市场消息", link=None,
                              published_at=T0 + timedelta(minutes=3 * i), body_html=BODY)
            self.articles[(article.source, article.id)] = StoredArticle(article, T0, T0, 1)

    def get_articles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredArticle]:
        return {key: self.articles[key] for key in keys if key in self.articles}

    def refs(self) -> list[search.IndexRef]:
        from newsdesk.site.plan import ArticleRef

        return [ArticleRef(source=s.article.source, id=s.article.id, outlet=s.article.outlet,
                           category=s.article.category, title=s.article.title,
                           published_at=s.article.published_at, revision=s.revision,
                           path=f"{s.article.category}/{s.article.id}.html") for s in self.articles.values()]


def one(n: int, root: Path) -> dict[str, object]:
    shelf = Shelf()
    shelf.add(0, n)
    base = root / "base"
    started = time.perf_counter()
    search.build_search_index(cast(Store, shelf), shelf.refs(), UTC, base, PAGE)
    full_s = time.perf_counter() - started
    files = sum(1 for _ in (base / "search").rglob("*.json"))
    shelf.add(n, 100)
    new_days = {search.day_of(T0 + timedelta(minutes=3 * i), UTC) for i in range(n, n + 100)}
    refs = shelf.refs()
    timings: dict[str, float] = {}
    for way in ("changed_days", "all_segments", "build_search_index"):
        out = root / way
        shutil.copytree(base, out)
        days = search.RefDays(refs, UTC)
        started = time.perf_counter()
        if way == "build_search_index":
            done = search.build_search_index(cast(Store, shelf), refs, UTC, out, PAGE)
        else:
            done = search.update_search_index(cast(Store, shelf), days, UTC, out, PAGE,
                                              changed_days=new_days if way == "changed_days" else None)
        timings[way] = round(time.perf_counter() - started, 3)
        timings[f"{way}_reindexed"] = len(done.reindexed)
        timings[f"{way}_extended"] = len(done.extended)
    segments = len(json.loads((base / search.INDEX_FILE).read_text(encoding="utf-8"))["segments"])
    return {"articles": n, "segments": segments, "files": files, "full_s": round(full_s, 1), **timings}


def main() -> None:
    if any(a in ("-h", "--help") for a in sys.argv[1:]) or not all(a.isdigit() for a in sys.argv[1:]):
        print(__doc__)
        return
    sys.path.insert(0, str(Path(__file__).parent))
    for n in [int(a) for a in sys.argv[1:]] or [10_000, 100_000]:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(one(n, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
