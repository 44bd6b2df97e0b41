"""Import: a small fixture mirror (every footer shape, broken quotes, undated) and the real corpus."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsdesk.clean import plain_text
from newsdesk.config import SiteConfig
from newsdesk.errors import ParseError, UsageError
from newsdesk.jekyll.export import export_jekyll
from newsdesk.jekyll.importer import SOURCE, import_jekyll
from newsdesk.jekyll.post import ImportedPost, parse_post
from newsdesk.store import open_store
from newsdesk.store.sqlite import SqliteStore

MIRROR = Path(__file__).parent / "fixtures" / "mirror"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = SiteConfig(base_url="//finews.withounder.com")
NOW = datetime(2022, 4, 22, 12, tzinfo=SHANGHAI)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = open_store(tmp_path / "store.db")
    try:
        yield opened
    finally:
        opened.close()


def visible(markup: str) -> str:
    """What a reader sees of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", " ", markup))).strip()


def test_fixture_mirror_imports_every_readable_post(store: SqliteStore) -> None:
    report = import_jekyll(MIRROR, store, SITE, now=NOW)
    assert (report.new, report.updated, report.unchanged, report.failed) == (7, 0, 0, 1)
    joined = "\n".join(report.warnings)
    assert "-202205260000000006.md: no usable date" in joined
    assert "2021-12-08-202112080000000002.md: title is not valid YAML" in joined
    assert "old_post/2022-04-21-NW202204210000000005.md: id NW202204210000000005 already read" in joined

    broken = store.get_article(SOURCE, "202112080000000002")
    assert broken is not None
    assert broken.article.title == "他说\"稳增长\"是关键：A股三大指数收涨"
    assert broken.article.published_at == datetime(2021, 12, 8, 10, 18, 31, tzinfo=SHANGHAI)
    assert visible(broken.article.body_html) == "三大指数收涨，精度满足<1%的要求。"
    assert broken.article.link == "http://stock.eastmoney.com/news/1611,202112080000000002.html"

    rolling = store.get_article(SOURCE, "202204210000000001")
    assert rolling is not None
    assert rolling.article.lead == "央行表示保持流动性合理充裕。（新华社）"
    assert (rolling.article.outlet, rolling.article.category) == ("东财滚动", "emnews")
    media = store.get_article(SOURCE, "NW202204210000000005")
    assert media is not None and (media.article.outlet, media.article.category) == ("券商中国", "quanshangzhongguo")
    assert "多只个股涨停" in media.article.body_html  # the _posts/ copy, not the old_post/ one
    empty_link = store.get_article(SOURCE, "202112080000000003")
    assert empty_link is not None and empty_link.article.link is None
    site_post = store.get_article(SOURCE, "init")
    assert site_post is not None and site_post.article.outlet == "站长消息"
    for stored in store.iter_articles():
        assert "返回" not in stored.article.body_html, stored.article.id
        assert "eastmoney.com/news" not in stored.article.body_html, stored.article.id


def test_second_import_is_idempotent(store: SqliteStore) -> None:
    import_jekyll(MIRROR, store, SITE, now=NOW)
    again = import_jekyll(MIRROR, store, SITE, now=NOW)
    assert (again.new, again.updated, again.unchanged, again.failed) == (0, 0, 7, 1)


def test_a_folder_without_posts_is_a_usage_error(store: SqliteStore, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a Jekyll mirror"):
        import_jekyll(tmp_path, store, SITE)


def round_trip(src: Path, store: SqliteStore, dest: Path) -> tuple[int, int, list[str]]:
    """Import `src`, export to `dest`; (posts compared, byte-identical files, mismatches)."""
    import_jekyll(src, store, SITE, now=NOW)
    export_jekyll(store, SITE, dest, now=NOW)
    compared, identical, problems = 0, 0, []
    seen: set[str] = set()
    for folder in ("_posts", "old_post"):  # a name in both folders is imported from _posts/
        for original_path in sorted((src / folder).glob("*.md")) if (src / folder).is_dir() else []:
            if original_path.name in seen:
                continue
            seen.add(original_path.name)
            text = original_path.read_text(encoding="utf-8")
            try:
                original = parse_post(text, original_path.name, SHANGHAI)
            except ParseError:
                continue  # counted as failed by the import
            exported_path = next((dest / f / original_path.name for f in ("_posts", "old_post")
                                  if (dest / f / original_path.name).is_file()), None)
            if exported_path is None:
                problems.append(f"{original_path.name}: not exported")
                continue
            exported_text = exported_path.read_text(encoding="utf-8")
            exported = parse_post(exported_text, original_path.name, SHANGHAI)
            compared += 1
            identical += exported_text == text
            problems.extend(differences(original, exported))
    return compared, identical, problems


def differences(original: ImportedPost, exported: ImportedPost) -> list[str]:
    found = []
    for name in ("title", "published_at", "category", "outlet", "link", "lead"):
        if getattr(original, name) != getattr(exported, name):
            found.append(f"{original.id}: {name} {getattr(original, name)!r} != {getattr(exported, name)!r}")
    if plain_text(original.body_html) != plain_text(exported.body_html):
        found.append(f"{original.id}: visible body text differs")
    if original.tag != exported.tag and original.tag.endswith("新闻"):
        found.append(f"{original.id}: tag {original.tag!r} != {exported.tag!r}")
    return found


def test_fixture_mirror_round_trips(store: SqliteStore, tmp_path: Path) -> None:
    compared, _, problems = round_trip(MIRROR, store, tmp_path / "out")
    assert compared == 7 and problems == []


def test_corpus_round_trips(corpus: Path, store: SqliteStore, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "_posts").symlink_to(corpus / "posts")
    (mirror / "old_post").symlink_to(corpus / "variants" / "old_post")  # 7 names also in posts/
    compared, identical, problems = round_trip(mirror, store, tmp_path / "out")
    with capsys.disabled():
        print(f"\ncorpus round trip: {compared} posts compared, {compared - len(problems)} with equal title,"
              f" date, category, tag, link, lead and visible text; {identical} byte-identical (sanitized"
              f" HTML and the rebuilt footer differ from the original bytes)")
    assert compared == len(list((corpus / "posts").glob("*.md"))) - 1  # the undated post is skipped
    assert problems == []
