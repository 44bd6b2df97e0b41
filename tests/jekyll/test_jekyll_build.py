"""Real Jekyll builds the export: no warnings, hostile text printed literally, listings filled."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from newsdesk.config import SiteConfig
from newsdesk.jekyll.export import export_jekyll
from newsdesk.models import Article, SafeHtml
from newsdesk.store import open_store

pytestmark = [pytest.mark.jekyll, pytest.mark.slow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2022, 4, 21, 18, 0, tzinfo=SHANGHAI)
SITE = SiteConfig(title="金融消息 {{ site.time }}", base_url="https://news.example.com")
OUTLETS = [("东财滚动", "emnews"), ("南方Plus", "nanfangPlus"), ("券商中国", "quanshangzhongguo"),
           ("<b>央视</b> & 新闻", "yangshixinwen")]
# each must come out of Jekyll exactly as written
HOSTILE_TITLES = [
    'He said "稳增长" \\ again', "{{ site.title }} 标题", "{% raw %}开{% endraw %}", "[x](javascript:1)",
    "<script>alert(1)</script>", "# : - ? ---", "tab\there", "\u202eevil 📈",
]
HOSTILE_BODIES = [
    "<p>{{ site.title }} and {% include nope.html %}</p>",
    "<p>raw {% endraw %} then {{ page.title }}</p>",
    "<p>ws {%- endraw -%} and {{% endraw %} and a{</p>",
    "<p>{% raw %} opened, never closed }} %} {{</p>",
    "<p>[y](javascript:alert(2)) &lt;script&gt;</p>",
]


def synthetic(count: int) -> list[Article]:
    articles = []
    for i in range(count):
        outlet, category = OUTLETS[i % len(OUTLETS)]
        title = HOSTILE_TITLES[i] if i < len(HOSTILE_TITLES) else f"第{i}条：市场快讯"
        body = HOSTILE_BODIES[i] if i < len(HOSTILE_BODIES) else f"<p>正文第{i}段。</p>\n <p>第二段。</p>"
        articles.append(Article(
            source="synthetic", id=f"20220421{i:010d}", outlet=outlet, category=category, title=title,
            link=f"http://finance.eastmoney.com/news/1351,20220421{i:010d}.html",
            published_at=NOW - timedelta(minutes=23 * i), body_html=SafeHtml(body),
            lead=f"摘要{i} {{{{ x }}}}" if i % 3 == 0 else None,
        ))
    return articles


def built_text(path: Path) -> str:
    """A built page's text with tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", path.read_text(encoding="utf-8")))


def test_jekyll_builds_the_export(tmp_path: Path) -> None:
    jekyll = shutil.which("jekyll")
    if jekyll is None:
        pytest.skip("jekyll executable not found on PATH")
    store = open_store(tmp_path / "store.db")
    articles = synthetic(300)
    try:
        store.upsert(articles, NOW)
        export_jekyll(store, SITE, tmp_path / "src", now=NOW)
    finally:
        store.close()
    live_files = len(list((tmp_path / "src/_posts").iterdir()))
    assert 0 < live_files < 300 and live_files + len(list((tmp_path / "src/old_post").iterdir())) == 300

    result = subprocess.run([jekyll, "build", "--source", str(tmp_path / "src"), "--destination",
                             str(tmp_path / "site")], check=False, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower() and "error" not in output.lower(), output
    site = tmp_path / "site"

    # a post page: title and body printed literally, nothing run by Liquid or the browser
    for i in range(len(HOSTILE_TITLES)):
        a = articles[i]
        day = a.published_at.astimezone(SHANGHAI)
        # Jekyll lowercases :categories in permalinks (so did the original mirror)
        page = site / a.category.lower() / f"{day:%Y/%m/%d}" / f"{a.id}.html"
        assert page.is_file(), page
        raw = page.read_text(encoding="utf-8")
        assert "<script>alert" not in raw and 'href="javascript' not in raw
        assert a.title in built_text(page), a.title
        if i < len(HOSTILE_BODIES):
            expected = html.unescape(re.sub(r"<[^>]*>", "", HOSTILE_BODIES[i]))
            assert expected in built_text(page), (expected, built_text(page))
        if a.lead:
            assert a.lead in built_text(page)

    # the outlet page lists its live posts, the home page the latest 5 of every outlet
    outlet_page = built_text(site / "category/quanshangzhongguo.html")
    assert "券商中国新闻" in outlet_page
    live = [a for a in articles if a.category == "quanshangzhongguo"
            and (tmp_path / "src/_posts" / f"{a.published_at.astimezone(SHANGHAI):%Y-%m-%d}-{a.id}.md").exists()]
    assert live and all(a.title in outlet_page for a in live)
    home = built_text(site / "index.html")
    assert "<b>央视</b> & 新闻新闻" in home
    for outlet, category in OUTLETS:
        newest = [a for a in articles if a.category == category][:6]
        assert all(a.title in home for a in newest[:5]) and newest[5].title not in home
    assert SITE.title in home

    # the Atom feed is well-formed XML and carries the hostile titles exactly
    feed = ElementTree.parse(site / "feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")]
    assert len(titles) == 50 and articles[0].title in titles and feed.findtext(f"{atom}title") == SITE.title

    # archived posts stay reachable: listed on the 404 page and built under old_post/
    archived = min((tmp_path / "src/old_post").iterdir())
    assert (site / "old_post" / archived.with_suffix(".html").name).is_file()
    assert archived.stem[:10] in (site / "404.html").read_text(encoding="utf-8")
