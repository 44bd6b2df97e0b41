"""Export: live window, moves, stubs, config, unchanged files kept, stale files removed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from newsdesk.config import SiteConfig
from newsdesk.jekyll.export import MANIFEST, config_yml, export_jekyll, is_live
from newsdesk.models import Article, SafeHtml
from newsdesk.store import open_store
from newsdesk.store.sqlite import SqliteStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = SiteConfig(title="金融消息: \"测试\"", base_url="https://news.example.com/mirror")
OLD_MTIME = 1_000_000_000


def make(article_id: str, when: datetime, outlet: str = "南方Plus", category: str = "nanfangPlus",
         title: str = "标题") -> Article:
    return Article(source="test", id=article_id, outlet=outlet, category=category, title=title,
                   link=f"https://example.com/{article_id}", published_at=when,
                   body_html=SafeHtml(f"<p>正文 {article_id}</p>"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = open_store(tmp_path / "store.db")
    try:
        yield opened
    finally:
        opened.close()


def files(dest: Path) -> set[str]:
    return {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}


@pytest.mark.parametrize("now, live", [
    (datetime(2021, 12, 31, 23, 59, tzinfo=SHANGHAI), True),
    (datetime(2022, 1, 1, 0, 0, tzinfo=SHANGHAI), False),
], ids=["last-minute-of-day", "next-day"])
def test_live_window_follows_calendar_days_in_the_site_timezone(now: datetime, live: bool) -> None:
    first_minute = datetime(2021, 12, 29, 0, 0, tzinfo=SHANGHAI)
    assert is_live(first_minute, SITE, now) is live
    assert is_live(first_minute - timedelta(minutes=1), SITE, now) is False
    assert is_live(datetime(2021, 12, 31, 23, 59, tzinfo=SHANGHAI), SITE, now) is True
    # the same instant in UTC is still 2021-12-28 16:00, but the site's day decides
    assert is_live(first_minute.astimezone(ZoneInfo("UTC")), SITE, now) is live


def test_posts_age_out_into_old_post_and_are_never_deleted(store: SqliteStore, tmp_path: Path) -> None:
    store.upsert([make("a1", datetime(2021, 12, 29, 0, 0, tzinfo=SHANGHAI)),
                  make("a0", datetime(2021, 12, 28, 23, 59, tzinfo=SHANGHAI))],
                 datetime(2022, 1, 1, tzinfo=SHANGHAI))
    dest = tmp_path / "site"
    export_jekyll(store, SITE, dest, now=datetime(2021, 12, 31, 23, 59, tzinfo=SHANGHAI))
    assert (dest / "_posts/2021-12-29-a1.md").is_file()
    assert (dest / "old_post/2021-12-28-a0.md").is_file()
    report = export_jekyll(store, SITE, dest, now=datetime(2022, 1, 1, 0, 0, tzinfo=SHANGHAI))
    assert not (dest / "_posts/2021-12-29-a1.md").exists()
    assert (dest / "old_post/2021-12-29-a1.md").is_file()
    assert (dest / "old_post/2021-12-28-a0.md").is_file()
    assert (report.written, report.removed, report.articles) == (1, 1, 2)


def test_reexport_of_unchanged_data_rewrites_nothing(store: SqliteStore, tmp_path: Path) -> None:
    now = datetime(2022, 4, 21, 12, tzinfo=SHANGHAI)
    store.upsert([make(f"n{i}", now - timedelta(hours=i * 10)) for i in range(12)], now)
    dest = tmp_path / "site"
    calls: list[tuple[int, int]] = []
    first = export_jekyll(store, SITE, dest, now=now, progress=lambda d, t: calls.append((d, t)))
    assert first.unchanged == 0 and first.written == len(files(dest)) - 1  # all but the manifest
    assert calls[-1][0] == calls[-1][1]
    for path in dest.rglob("*"):
        os.utime(path, (OLD_MTIME, OLD_MTIME))
    second = export_jekyll(store, SITE, dest, now=now)
    assert (second.written, second.removed) == (0, 0) and second.unchanged == first.written
    assert all(p.stat().st_mtime == OLD_MTIME for p in dest.rglob("*") if p.is_file())


def test_only_files_the_export_wrote_are_removed(store: SqliteStore, tmp_path: Path) -> None:
    now = datetime(2022, 4, 21, 12, tzinfo=SHANGHAI)
    store.upsert([make("keep", now)], now)
    dest = tmp_path / "site"
    (dest / "_posts").mkdir(parents=True)
    (dest / "_posts/2022-04-20-handwritten.md").write_text("mine", encoding="utf-8")
    (dest / "README.md").write_text("mine", encoding="utf-8")
    export_jekyll(store, SITE, dest, now=now)
    manifest = (dest / MANIFEST).read_text(encoding="utf-8")
    assert "handwritten" not in manifest and "README" not in manifest
    export_jekyll(store, SITE, dest, now=now + timedelta(days=5))
    assert (dest / "_posts/2022-04-20-handwritten.md").read_text(encoding="utf-8") == "mine"
    assert (dest / "README.md").is_file()
    assert (dest / "old_post/2022-04-21-keep.md").is_file()


def test_category_stub_config_and_layouts(store: SqliteStore, tmp_path: Path) -> None:
    now = datetime(2022, 4, 21, 12, tzinfo=SHANGHAI)
    store.upsert([make("x", now), make("y", now, outlet="东财滚动", category="emnews"),
                  make("z", now, outlet="#1: 快讯", category="kuaixun")], now)
    dest = tmp_path / "site"
    export_jekyll(store, SITE, dest, now=now)
    stub = (dest / "category/nanfangPlus.html").read_text(encoding="utf-8")
    assert stub == "---\nlayout: category\ntitle: 南方Plus新闻\ncategory: nanfangPlus\n---"
    hostile = (dest / "category/kuaixun.html").read_text(encoding="utf-8")
    assert yaml.safe_load(hostile.split("---")[1])["title"] == "#1: 快讯新闻"
    config = yaml.safe_load((dest / "_config.yml").read_text(encoding="utf-8"))
    assert config["title"] == SITE.title
    assert (config["url"], config["baseurl"]) == ("https://news.example.com", "/mirror")
    assert config["permalink"] == "/:categories/:year/:month/:day/:title:output_ext"
    assert config["timezone"] == "Asia/Shanghai" and MANIFEST in config["exclude"]
    for name in ("_layouts/default.html", "_layouts/post.html", "_layouts/category.html",
                 "index.html", "404.html", "feed.xml"):
        assert (dest / name).is_file(), name
    assert "old_post" in (dest / "404.html").read_text(encoding="utf-8")
    post = (dest / "_posts/2022-04-21-y.md").read_text(encoding="utf-8")
    assert post.endswith("[返回东财滚动新闻](https://news.example.com/mirror/category/emnews.html)"
                         "｜[返回首页](https://news.example.com/mirror/)")


def test_one_story_from_two_sources_is_written_once(store: SqliteStore, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    now = datetime(2022, 4, 21, 12, tzinfo=SHANGHAI)
    twin = make("same", now, title="导入的副本")
    store.upsert([make("same", now, title="实时的版本"),
                  Article(**{**{f: getattr(twin, f) for f in Article.__dataclass_fields__},
                             "source": "jekyll-import"})], now)
    dest = tmp_path / "site"
    report = export_jekyll(store, SITE, dest, now=now)
    assert report.articles == 1
    assert "already wrote this post" in caplog.text
    assert len(list((dest / "_posts").iterdir())) == 1


@pytest.mark.parametrize("base_url, url, baseurl", [
    ("https://news.example.com", "https://news.example.com", ""),
    ("https://news.example.com/mirror", "https://news.example.com", "/mirror"),
    ("//finews.withounder.com", "//finews.withounder.com", ""),
], ids=["host", "subpath", "scheme-relative"])
def test_config_url_and_baseurl(base_url: str, url: str, baseurl: str) -> None:
    config = yaml.safe_load(config_yml(SiteConfig(base_url=base_url)))
    assert (config["url"], config["baseurl"]) == (url, baseurl)
