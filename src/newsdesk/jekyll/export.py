"""Write the store as a Jekyll site in the original mirror's layout, touching only changed files."""

from __future__ import annotations

import json
import logging
import time as clock
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.jekyll.post import outlet_tag, render_post, yaml_quote, yaml_scalar
from newsdesk.models import Article, BuildReport, CategoryInfo
from newsdesk.site.write import remove_stale, write_atomic
from newsdesk.store.base import Store
from newsdesk.urls import category_path, jekyll_post_name, resolve_inside

log = logging.getLogger(__name__)

MANIFEST = ".newsdesk-jekyll.json"
LIVE_DIR = "_posts"
ARCHIVE_DIR = "old_post"
PERMALINK = "/:categories/:year/:month/:day/:title:output_ext"
# layouts and pages copied as they are (Liquid runs in Jekyll, not here)
STATIC_FILES = ("_layouts/default.html", "_layouts/post.html", "_layouts/category.html",
                "index.html", "404.html", "feed.xml")


def is_live(published_at: datetime, site: SiteConfig, now: datetime) -> bool:
    """True when the post's calendar day (site timezone) is within the last `live_days` days."""
    today = now.astimezone(site.tz).date()
    day = published_at.astimezone(site.tz).date()
    return day > today - timedelta(days=site.live_days)


def post_file(article: Article, site: SiteConfig, now: datetime) -> str:
    """The post's path in the export: `_posts/<name>.md` while live, else `old_post/<name>.md`."""
    folder = LIVE_DIR if is_live(article.published_at, site, now) else ARCHIVE_DIR
    return f"{folder}/{jekyll_post_name(article.published_at, article.id, site.tz)}"


def category_stub(info: CategoryInfo) -> str:
    """`category/<slug>.html`: the outlet page Jekyll fills from the category layout."""
    return (f"---\nlayout: category\ntitle: {yaml_scalar(outlet_tag(info.outlet))}\n"
            f"category: {yaml_scalar(info.slug)}\n---")


def config_yml(site: SiteConfig) -> str:
    """`_config.yml` from [site]: title, url/baseurl, timezone, permalink."""
    parts = urlsplit(site.base_url)
    # a scheme-relative base (`//host`, as the original mirror linked) stays scheme-relative
    url = f"{parts.scheme}://{parts.netloc}" if parts.scheme else f"//{parts.netloc}"
    return "\n".join((
        "# written by newsdesk export jekyll; edits are overwritten",
        f"title: {yaml_quote(site.title)}",
        f"description: {yaml_quote(site.description)}",
        f"lang: {yaml_quote(site.language)}",
        f"url: {yaml_quote(url)}",
        f"baseurl: {yaml_quote(parts.path.rstrip('/'))}",
        f"timezone: {yaml_quote(site.timezone)}",
        f"permalink: {PERMALINK}",
        "markdown: kramdown",
        "future: true  # the live window is decided by newsdesk, not by the build clock",
        'excerpt_separator: ""  # no excerpts: they would cut a {% raw %} block in two',
        "exclude:",
        f"  - {MANIFEST}",
        "",
    ))


def _template(name: str) -> bytes:
    return resources.files("newsdesk.jekyll").joinpath("templates", *name.split("/")).read_bytes()


def _read_manifest(dest: Path) -> set[str]:
    try:
        data = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as exc:
        # an unreadable manifest only means stale files stay; never guess what to delete
        log.warning("%s: ignoring unreadable export manifest: %s", dest / MANIFEST, exc)
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()


def _write_manifest(dest: Path, files: Iterable[str]) -> None:
    text = json.dumps({"version": 1, "generator": "newsdesk export jekyll", "files": sorted(set(files))},
                      ensure_ascii=False, indent=1) + "\n"
    write_atomic(dest / MANIFEST, text.encode("utf-8"))


class _Writer:
    """Writes files under `dest`, counting changes and refusing two claims on one path."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.owners: dict[str, str] = {}
        self.written = 0
        self.unchanged = 0

    def claimed(self, relative: str) -> str | None:
        return self.owners.get(relative)

    def put(self, relative: str, text: str, owner: str) -> None:
        if relative in self.owners:
            raise OutputError(f"{self.dest / relative}: claimed by both {self.owners[relative]} and {owner}")
        self.owners[relative] = owner
        path = resolve_inside(self.dest, relative)
        if write_atomic(path, text.encode("utf-8")):
            self.written += 1
        else:
            self.unchanged += 1


def export_jekyll(store: Store, site: SiteConfig, dest: Path, *, now: datetime | None = None,
                  progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Export every stored article as a Jekyll site in `dest`; raises OutputError or StoreError.

    Unchanged files keep their bytes and mtimes; files an earlier export wrote that
    are no longer produced (a post that moved to old_post/) are removed; files
    newsdesk did not write are never touched.
    """
    started = clock.monotonic()
    now = now or datetime.now(UTC)
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{dest}: cannot create the export folder: {exc.strerror or exc}") from exc
    previous = _read_manifest(dest)
    writer = _Writer(dest)
    categories = store.categories()
    total = store.count_articles() + len(categories) + len(STATIC_FILES) + 1
    done = 0
    articles = 0
    try:
        for stored in store.iter_articles(newest_first=False):
            article = stored.article
            done += 1
            if progress is not None:
                progress(done, total)
            relative = post_file(article, site, now)
            owner = f"article {article.source}/{article.id}"
            if (first := writer.claimed(relative)) is not None:
                # the same story from two sources (an imported mirror and the live feed,
                # say) maps to one file name; the first in store order keeps it
                log.warning("%s: %s already wrote this post; skipped %s", relative, first, owner)
                continue
            writer.put(relative, render_post(article, site, tag=outlet_tag(article.outlet)), owner)
            articles += 1
        for info in categories:
            writer.put(category_path(info.slug), category_stub(info), f"outlet {info.outlet}")
        writer.put("_config.yml", config_yml(site), "the site config")
        for name in STATIC_FILES:
            writer.put(name, _template(name).decode("utf-8"), "the templates")
    except BaseException:
        # keep every file this run wrote on record, so a later run can still clean up
        _write_manifest(dest, previous | set(writer.owners))
        raise
    if progress is not None:
        progress(total, total)
    produced = set(writer.owners)
    removed = remove_stale(dest, previous - produced)
    _write_manifest(dest, produced)
    return BuildReport(written=writer.written, unchanged=writer.unchanged, removed=removed,
                       articles=articles, elapsed_s=clock.monotonic() - started, output=str(dest))

