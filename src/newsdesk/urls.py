"""Every URL and output path of the site and the Jekyll export, in one place."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path, PurePosixPath

from newsdesk.errors import OutputError
from newsdesk.slugs import safe_id

HOME = "index.html"
ATOM = "feed.xml"
JSON_FEED = "feed.json"
SITEMAP = "sitemap.xml"
NOT_FOUND = "404.html"


def post_path(category: str, published_at: datetime, article_id: str, tz: tzinfo) -> str:
    """`<category>/<YYYY>/<MM>/<DD>/<id>.html`, the date in the site's timezone.

    The category is lowercased there, as Jekyll (and so the original mirror on
    GitHub Pages) wrote it into post URLs; outlet pages keep the slug's case.
    """
    day = published_at.astimezone(tz)
    # the numbers as strftime's %Y/%m/%d writes them, in a third of its time (a full build plans every page)
    return f"{category.lower()}/{day.year}/{day.month:02d}/{day.day:02d}/{safe_id(article_id)}.html"


def category_path(slug: str) -> str:
    """The outlet page: `category/<slug>.html`."""
    return f"category/{slug}.html"


def jekyll_post_name(published_at: datetime, article_id: str, tz: tzinfo) -> str:
    """`YYYY-MM-DD-<id>.md`, the original mirror's post file name."""
    return f"{published_at.astimezone(tz):%Y-%m-%d}-{safe_id(article_id)}.md"


def absolute(base_url: str, path: str) -> str:
    """`path` (relative to the site root) as an absolute URL under `base_url`."""
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


def href(path: str) -> str:
    """A root-relative link for use inside the site's own pages."""
    return "/" + path.lstrip("/")


def resolve_inside(root: Path, relative: str) -> Path:
    """`root/relative`, refusing any path that would land outside `root`; raises OutputError."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or any(p in ("", ".", "..") for p in parts) \
            or "\\" in relative or "\x00" in relative:
        raise OutputError(f"unsafe output path {relative!r}")
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise OutputError(f"output path {relative!r} escapes {root}")
    return target
