"""Property tests on the seams between stages, composed as the pipeline composes them.

The unit-level properties live beside their modules (tests/test_slugs_urls.py: slugs
and safe ids; tests/jekyll: yaml_quote; tests/clean: sanitize; tests/store: round trip).
These check the compositions: clean's plain text into front matter, pages and XML;
ids and categories through urls.py into real folders.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from newsdesk.clean.text import plain_text
from newsdesk.config import SiteConfig
from newsdesk.jekyll.post import render_post
from newsdesk.models import Article, SafeHtml
from newsdesk.slugs import category_slug
from newsdesk.urls import category_path, jekyll_post_name, post_path, resolve_inside

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = SiteConfig(title="t", base_url="https://news.example.com")
ROOT = Path("/srv/site/public")
NASTY = st.sampled_from(["---", "{{ site.github }}", "{% include x %}", "]]>", "\u202e", "\u200b", "\x00",
                         "\x1b", '"', "'", "\\", "\n", "&amp;", "<b>", "</p>", "..", "/", "%2e", ":", "# ", "\ud800"])
TITLES = st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=12).map("".join)
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
_XML_OK = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def article(title: str, category: str = "cat", id_: str = "1") -> Article:
    return Article(source="s", id=id_, outlet="出口", category=category, title=title, link=None,
                   published_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC), body_html=SafeHtml("<p>x</p>"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TITLES)
def test_cleaned_titles_survive_front_matter_html_and_xml(raw: str) -> None:
    title = plain_text(raw.encode("utf-8", "replace").decode("utf-8"))
    assert plain_text(title) == title  # cleaning twice changes nothing
    assert not re.search("[\x00-\x08\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]", title)
    post = render_post(article(title), SITE, tag="出口新闻")
    front = yaml.safe_load(post.split("---\n", 2)[1])
    assert front["title"] == title
    assert html.unescape(str(escape(title))) == title
    if not _XML_OK.search(title):
        element = ET.fromstring(f"<t>{escape(title)}</t>")
        assert (element.text or "") == title


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300), st.text(max_size=40), MOMENTS)
def test_any_ids_map_inside_the_output_and_apart(a: str, b: str, outlet: str, when: datetime) -> None:
    slug = category_slug(outlet)
    for make in (lambda i: post_path(slug, when, i, SHANGHAI), lambda i: "_posts/" + jekyll_post_name(when, i, SHANGHAI)):
        first, second = make(a), make(b)
        assert resolve_inside(ROOT, first).is_relative_to(ROOT)
        assert all(len(part.encode()) <= 255 for part in Path(first).parts)
        if a != b:
            assert first != second


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_category_slug_is_stable_url_safe_and_lands_inside(name: str) -> None:
    slug = category_slug(name)
    assert slug and slug == category_slug(name) and quote(slug, safe="") == slug
    assert resolve_inside(ROOT, category_path(slug)).parent == ROOT / "category"


@given(MOMENTS, st.integers(min_value=-14, max_value=14))
def test_post_day_is_the_site_day_whatever_the_input_offset(when: datetime, hours: int) -> None:
    shifted = when.astimezone(__import__("datetime").timezone(timedelta(hours=hours)))
    assert post_path("c", shifted, "x", SHANGHAI) == post_path("c", when, "x", SHANGHAI)


WINDOWS_DEVICES = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.sampled_from(["CON", "nul", "Aux", "PRN", "com1", "LPT9", "ＣＯＮ", "nul ", "CON-1"]),
                 st.text(max_size=20)), MOMENTS)
def test_no_output_name_is_a_windows_device(name: str, when: datetime) -> None:
    """Pages written for any id or outlet check out on Windows too (CON.html is a device there)."""
    for path in (post_path(category_slug(name), when, name, SHANGHAI), category_path(category_slug(name)),
                 jekyll_post_name(when, name, SHANGHAI)):
        for part in Path(path).parts:
            assert not WINDOWS_DEVICES.fullmatch(part.split(".", 1)[0]), path
