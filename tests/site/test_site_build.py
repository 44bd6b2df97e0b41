"""build_site against a real SQLite store: pages, paths, escaping, rebuilds, stale files, collisions."""

from __future__ import annotations

import logging
import pickle
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from page_view import view
from site_articles import BODY, OUTLETS, SEEN, T0, article, sample_articles

from newsdesk import urls
from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.models import Article, SafeHtml
from newsdesk.site.build import build_site, time_text
from newsdesk.site.pages import AlsoReport, ArticleNav, ArticlePage, Chrome, NavLink
from newsdesk.site.plan import minute_text
from newsdesk.site.state import STATE_FILE
from newsdesk.store import SqliteStore


def page_of(site: SiteConfig, item: Article) -> Path:
    return site.output / urls.post_path(item.category, item.published_at, item.id, site.tz)


def newest_first(articles: list[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (a.published_at, a.source, a.id), reverse=True)


def snapshot(root: Path) -> dict[str, int]:
    """Every file's mtime; the status page (site/status.py) reports the build itself, so it is left out."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(("status.", STATE_FILE))}


def test_every_article_gets_one_page_at_its_path(filled: SqliteStore, site: SiteConfig) -> None:
    report = build_site(filled, site)
    articles = sample_articles()
    assert report.articles == len(articles) == 60
    for item in articles:
        page = view(page_of(site, item))
        assert page.h1 == item.title
        assert page.title == f"{item.title} - {site.title}"
    slugs = {slug.lower() for _, slug in OUTLETS}
    article_files = [p for p in site.output.rglob("*.html") if p.relative_to(site.output).parts[0] in slugs]
    assert len(article_files) == 60


def test_article_page_shows_outlet_time_lead_body_and_links(filled: SqliteStore, site: SiteConfig) -> None:
    build_site(filled, site)
    rolling = sample_articles()[1]  # 东财滚动, one minute after T0, with a lead
    path = page_of(site, rolling)
    assert path == site.output / "emnews/2021/12/29/NW0001.html"
    raw = path.read_text(encoding="utf-8")
    page = view(path)
    assert "2021-12-29 20:01 +08:00" in raw
    assert page.blockquotes == ["央行宣布 <降准> & 放量"]
    assert BODY in raw  # sanitized body goes out exactly as stored
    assert "https://example.com/emnews/NW0001" in page.hrefs()
    assert "/category/emnews.html" in page.hrefs("outlet")
    back = {link.text: link.href for link in page.links}
    assert back["返回东财滚动新闻"] == "/category/emnews.html"
    assert back["返回首页"] == "/index.html"
    no_lead = view(page_of(site, sample_articles()[0]))
    assert no_lead.blockquotes == []


def test_titles_are_escaped_and_no_page_has_script(filled: SqliteStore, site: SiteConfig) -> None:
    build_site(filled, site)
    scripted = next(a for a in sample_articles() if a.title.startswith("<script>"))
    raw = page_of(site, scripted).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;标题" in raw
    for path in site.output.rglob("*"):
        if path.suffix in (".html", ".xml", ".css"):
            text = path.read_text(encoding="utf-8").lower()
            # the site's own scripts (search) load from /static/; no other script tag anywhere
            for tag in re.findall(r"<script[^>]*>", text):
                assert re.fullmatch(r'<script src="/static/[\w.-]+\.js"[^<>]*>', tag), (path, tag)
            # no page reloads itself; only an outlet's newest numbered page sends readers on, to the outlet page
            for target in re.findall(r'http-equiv="refresh" content="([^"]*)"', text):
                slug = re.fullmatch(r"category/([\w-]+)/page/\d+\.html", path.relative_to(site.output).as_posix())
                assert slug is not None, (path, target)
                assert target == f"0; url=/category/{slug.group(1).lower()}.html", (path, target)


def test_unsafe_original_link_is_dropped(store: SqliteStore, site: SiteConfig) -> None:
    store.upsert([article("js", 0, link="javascript:alert(1)")], SEEN)
    build_site(store, site)
    raw = page_of(site, article("js", 0)).read_text(encoding="utf-8")
    assert "javascript:" not in raw
    assert "阅读原文" not in raw


@pytest.mark.parametrize(("outlet", "slug"), OUTLETS, ids=[slug for _, slug in OUTLETS])
def test_outlet_page_lists_exactly_its_own_articles(filled: SqliteStore, site: SiteConfig,
                                                   outlet: str, slug: str) -> None:
    build_site(filled, site)
    page = view(site.output / urls.category_path(slug))
    assert page.h1 == f"{outlet}新闻"
    assert page.title.startswith(f"{outlet}新闻")
    own = newest_first([a for a in sample_articles() if a.outlet == outlet])
    assert page.hrefs("title") == [urls.href(urls.post_path(a.category, a.published_at, a.id, site.tz))
                                   for a in own]
    for other, _ in OUTLETS:
        if other != outlet:
            assert other not in page.h1 and other not in page.title


def test_home_lists_latest_then_each_outlet(filled: SqliteStore, site: SiteConfig) -> None:
    site = replace(site, home_latest=7, home_per_outlet=3)
    build_site(filled, site)
    page = view(site.output / urls.HOME)
    hrefs = page.hrefs("title")
    newest = newest_first(sample_articles())
    expected_latest = [urls.href(urls.post_path(a.category, a.published_at, a.id, site.tz)) for a in newest[:7]]
    assert hrefs[:7] == expected_latest
    assert len(hrefs) == 7 + 3 * len(OUTLETS)
    for outlet, slug in OUTLETS:
        own = [a for a in newest if a.outlet == outlet][:3]
        section = [urls.href(urls.post_path(a.category, a.published_at, a.id, site.tz)) for a in own]
        start = hrefs.index(section[0], 7)
        assert hrefs[start:start + 3] == section
        assert f"/category/{slug}.html" in page.hrefs()
    assert page.lang == "zh-CN"


def test_every_page_is_a_phone_ready_utf8_page(filled: SqliteStore, site: SiteConfig) -> None:
    build_site(filled, site)
    assert (site.output / urls.NOT_FOUND).is_file()
    notfound = view(site.output / urls.NOT_FOUND)
    assert "/index.html" in notfound.hrefs()
    assert {f"/category/{slug}.html" for _, slug in OUTLETS} <= set(notfound.hrefs())
    pages = list(site.output.rglob("*.html"))
    # articles, outlet entry pages and their one numbered page each, home, 404, search,
    # the one day's archive page and the archive index, and status.html (site/status.py)
    assert len(pages) == 60 + 2 * len(OUTLETS) + 3 + 2 + 1
    for path in pages:
        raw = path.read_text(encoding="utf-8")
        assert raw.startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">"), path
        assert '<meta charset="utf-8">' in raw
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in raw
        assert '<link rel="stylesheet" href="/static/style.css">' in raw
        # no third-party assets: every src/href attribute outside the body is ours
        head = raw.split("<main")[0]
        assert not re.search(r'(src|href)="(https?:)?//', head), path


def test_stylesheet_is_copied_and_phone_friendly(filled: SqliteStore, site: SiteConfig) -> None:
    build_site(filled, site)
    css = (site.output / "static/style.css").read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css
    assert "overflow-wrap: anywhere" in css
    assert re.search(r"img[^{]*\{[^}]*max-width: 100%", css)
    assert "PingFang SC" in css and "Noto Sans CJK SC" in css
    assert "@import" not in css and "url(" not in css


def test_date_is_the_site_timezone_date(store: SqliteStore, site: SiteConfig) -> None:
    late = article("late", 0, published_at=T0.replace(hour=17, minute=30))  # 01:30 next day in Shanghai
    store.upsert([late], SEEN)
    build_site(store, site)
    page = site.output / "nanfangplus/2021/12/30/late.html"
    assert page.is_file()
    assert "2021-12-30 01:30 +08:00" in page.read_text(encoding="utf-8")


def test_second_build_without_changes_writes_nothing(filled: SqliteStore, site: SiteConfig) -> None:
    first = build_site(filled, site)
    assert first.written > 60 and first.unchanged == 0 and first.removed == 0
    before = snapshot(site.output)
    second = build_site(filled, site)
    assert (second.written, second.unchanged, second.removed) == (0, first.written, 0)
    assert snapshot(site.output) == before


def test_changed_article_rewrites_only_what_shows_it(filled: SqliteStore, site: SiteConfig) -> None:
    build_site(filled, site)
    oldest = sample_articles()[0]  # the 60th newest: not on the home page, not in the feed's 50
    before = snapshot(site.output)
    filled.upsert([replace(oldest, title="改过的标题")], SEEN + timedelta(hours=1))
    build_site(filled, site)
    after = snapshot(site.output)
    changed = {path for path, mtime in after.items() if before.get(path) != mtime}
    newer = sample_articles()[3]  # the next article of the same outlet links back to it by title
    assert {p for p in changed if not p.startswith("search")} == {
        str(page_of(site, oldest).relative_to(site.output)),
        str(page_of(site, newer).relative_to(site.output)),
        "category/nanfangPlus.html",  # page 1 is the newest: it sends readers there, and stays as it was
        "category/nanfangPlus.xml", "category/nanfangPlus.json",  # 20 articles: all in the outlet's feeds
        "archive/2021/12/29.html"}
    assert view(page_of(site, oldest)).h1 == "改过的标题"


def test_moved_page_is_removed_but_user_files_stay(filled: SqliteStore, site: SiteConfig) -> None:
    build_site(filled, site)
    user_file = site.output / "CNAME"
    user_file.write_text("news.example.com\n")
    user_note = site.output / "nanfangplus" / "notes.txt"
    user_note.write_text("mine")
    item = sample_articles()[0]
    old_page = page_of(site, item)
    moved = replace(item, published_at=item.published_at + timedelta(days=2))
    filled.upsert([moved], SEEN + timedelta(hours=1))
    report = build_site(filled, site)
    assert report.removed == 1
    assert not old_page.exists()
    assert page_of(site, moved).is_file()
    assert user_file.read_text() == "news.example.com\n"
    assert user_note.read_text() == "mine"
    assert (site.output / STATE_FILE).is_file()


def test_removed_date_folder_is_pruned_once_empty(store: SqliteStore, site: SiteConfig) -> None:
    item = article("only", 0)
    store.upsert([item], SEEN)
    build_site(store, site)
    store.upsert([replace(item, published_at=item.published_at + timedelta(days=1))], SEEN)
    build_site(store, site)
    assert not (site.output / "nanfangplus/2021/12/29").exists()
    assert (site.output / "nanfangplus/2021/12/30/only.html").is_file()


@pytest.mark.parametrize("bad_id", ["../../x", "..\\..\\x", "/etc/passwd", "a/../../b", "..", "x\x00y"])
def test_hostile_ids_stay_inside_output(store: SqliteStore, site: SiteConfig, tmp_path: Path,
                                        bad_id: str) -> None:
    store.upsert([article(bad_id, 0)], SEEN)
    outside_before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(site.output)}
    report = build_site(store, site)
    assert report.articles == 1
    outside_after = {p for p in tmp_path.rglob("*") if not p.is_relative_to(site.output)}
    assert outside_after == outside_before
    pages = list((site.output / "nanfangplus/2021/12/29").iterdir())
    assert len(pages) == 1 and pages[0].suffix == ".html"
    assert view(pages[0]).h1 == article(bad_id, 0).title


@pytest.mark.parametrize(("first_seen", "second_seen", "kept"), [
    (SEEN, SEEN + timedelta(hours=1), "甲源"),  # stored first wins, though 乙 sorts first by name
    (SEEN, SEEN, "乙源"),  # same moment: source name (code point order) decides
], ids=["earlier-first-seen", "tie-by-source"])
def test_two_articles_one_path_keep_first_stored(store: SqliteStore, site: SiteConfig,
                                                 caplog: pytest.LogCaptureFixture, first_seen: datetime,
                                                 second_seen: datetime, kept: str) -> None:
    # two sources of one outlet, same id, same day: both map to nanfangplus/2021/12/29/dup.html
    b = article("dup", 0, source="乙源", title="乙的标题")
    a = article("dup", 5, source="甲源", title="甲的标题")
    store.upsert([a], first_seen)
    store.upsert([b], second_seen)
    with caplog.at_level(logging.WARNING, logger="newsdesk.site"):
        report = build_site(store, site)
    assert report.articles == 1
    page = view(site.output / "nanfangplus/2021/12/29/dup.html")
    assert page.h1 == ("乙的标题" if kept == "乙源" else "甲的标题")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("甲源/dup" in w and "乙源/dup" in w and f"kept {kept}/dup" in w for w in warnings)
    outlet = view(site.output / "category/nanfangPlus.html")
    assert outlet.hrefs("title") == ["/nanfangplus/2021/12/29/dup.html"]


def test_progress_counts_up_to_the_total(filled: SqliteStore, site: SiteConfig) -> None:
    calls: list[tuple[int, int]] = []
    report = build_site(filled, site, progress=lambda done, total: calls.append((done, total)))
    # the total grows as the build plans (outlets, then days, then articles); it never runs behind
    total = calls[-1][1]
    assert calls[0][0] == 0 and calls[-1] == (total, total)
    assert total == report.written + report.unchanged
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(done <= now for done, now in calls)


def test_empty_store_builds_home_404_and_feed(store: SqliteStore, site: SiteConfig) -> None:
    report = build_site(store, site)
    assert report.articles == 0
    for name in (urls.HOME, urls.NOT_FOUND, urls.ATOM, "static/style.css"):
        assert (site.output / name).is_file()
    assert build_site(store, site).written == 0


def test_output_that_is_a_file_raises_output_error(filled: SqliteStore, site: SiteConfig) -> None:
    site.output.parent.mkdir(parents=True, exist_ok=True)
    site.output.write_text("not a folder")
    with pytest.raises(OutputError, match="public"):
        build_site(filled, site)


def test_article_pages_reach_worker_processes_unchanged() -> None:
    # article pages are pickled to the pool's workers: every field survives, nested ones with their classes
    chrome = Chrome(site_title="新闻", language="zh-CN", description="", home_href="/", feed_href="/feed.xml",
                    json_feed_href="/feed.json", css_href="/static/style.css", archive_href="/archive/",
                    latest_href="/latest.json", live_js_href="/static/live.js", poll_s=60, search_box=True)
    nav = ArticleNav(path="a/2024/01/02/x.html", outlet_title="南方", outlet_href="/category/a.html",
                     day_href="/archive/2024/01/02.html", older=NavLink("旧", "/a/1.html"), newer=None,
                     also=(AlsoReport("北方", "同一件事", None), AlsoReport("东方", "又一篇", "https://e.example/1")))
    page = ArticlePage(chrome=chrome, title="标题", outlet="南方", nav=nav, time_text="2024-01-02 08:00 +08:00",
                       time_iso="2024-01-02T08:00:00+08:00", author=None, lead="导语",
                       body_html=SafeHtml("<p>正文</p>"), original="https://e.example/x")
    back = pickle.loads(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == page and repr(back) == repr(page)
    assert type(back.nav.older) is NavLink and back.nav.also[1].href == "https://e.example/1"


STORED_IN = st.sampled_from([ZoneInfo("UTC"), ZoneInfo("Asia/Shanghai")])
SITE_ZONES = st.sampled_from([ZoneInfo("Asia/Shanghai"), ZoneInfo("America/St_Johns"), ZoneInfo("Africa/Monrovia"),
                              ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Europe/Dublin"),
                              timezone(-timedelta(seconds=75))])


@given(st.datetimes(min_value=datetime(2, 1, 1), timezones=STORED_IN), SITE_ZONES)
def test_article_times_read_as_strftime_writes_them(moment: datetime, tz: tzinfo) -> None:
    # minutes in the site's zone and its offset, old zones' offsets in seconds cut to whole minutes
    local = moment.astimezone(tz)
    offset = local.strftime("%z")
    assert time_text(moment, tz) == f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"
    assert minute_text(local) == f"{local:%Y-%m-%d %H:%M}"  # how lists show the time
