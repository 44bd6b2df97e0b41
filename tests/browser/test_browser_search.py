"""search.js in real headless Chromium against a loopback server over a built site."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from newsdesk.config import SiteConfig
from newsdesk.models import Article, SafeHtml
from newsdesk.site.build import build_site
from newsdesk.site.serve import serve_in_thread, server_url
from newsdesk.store import open_store

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(apt-get install chromium; .ci/run installs it)"),
]
T0 = datetime(2021, 12, 29, 4, 0, tzinfo=UTC)
SEEN = datetime(2022, 1, 5, tzinfo=UTC)
ARTICLES = (
    # id, title, body, days before T0
    ("body-dec", "公共服务评价稳居榜首", "<p>清远供电局连续13年第一。</p>", 0),
    ("body-nov", "农网改造完成", "<p>今年<strong>清远</strong>市完成改造。</p>", 40),
    ("apart", "清晨远眺", "<p>清风徐来，远山如黛。</p>", 1),
    ("hostile", '<img src=x onerror="document.title=\'pwned\'">清远', "<p>标题里有尖括号。</p>", 2),
    ("other", "无关新闻", "<p>供电所检修。</p>", 3),
)


def _chromium_dom(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, as headless Chromium dumps it."""
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
               "--dump-dom", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("search-site")
    site = SiteConfig(title="金融消息", base_url="https://news.example.com/", timezone="Asia/Shanghai",
                      output=root / "public")
    with open_store(root / "newsdesk.db") as store:
        store.upsert([Article(source="南方Plus", id=aid, outlet="南方Plus", category="nanfangPlus", title=title,
                              link=None, published_at=T0 - timedelta(days=days), body_html=SafeHtml(body))
                      for aid, title, body, days in ARTICLES], SEEN)
        build_site(store, site)
    server, thread = serve_in_thread(site.output, "127.0.0.1", 0)
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _results(dom: str) -> list[str]:
    listing = re.search(r'<ol id="search-results"[^>]*>(.*?)</ol>', dom, re.DOTALL)
    assert listing is not None, dom[-3000:]
    return re.findall(r'<a href="([^"]+)"', listing.group(1))


def test_search_page_finds_a_word_only_in_bodies_and_links_the_articles(site_url: str, tmp_path: Path) -> None:
    dom = _chromium_dom(f"{site_url}search.html?q={quote('清远')}", tmp_path / "profile")
    # newest first; the article with 清 and 远 apart is not among them
    assert _results(dom) == ["/nanfangplus/2021/12/29/body-dec.html", "/nanfangplus/2021/12/27/hostile.html",
                             "/nanfangplus/2021/11/19/body-nov.html"]
    assert "找到 3 篇" in dom
    assert dom.count('id="search-q"') == 1  # one search box, whether the layout's header carries it or the page
    # a hostile title is shown as text, never as markup
    assert "<img src=x" not in dom and "&lt;img src=x onerror" in dom
    assert "<title>pwned" not in dom


def test_three_character_word_and_no_match(site_url: str, tmp_path: Path) -> None:
    dom = _chromium_dom(f"{site_url}search.html?q={quote('供电局')}", tmp_path / "profile")
    assert _results(dom) == ["/nanfangplus/2021/12/29/body-dec.html"]
    dom = _chromium_dom(f"{site_url}search.html?q={quote('清远 眺望')}", tmp_path / "profile2")
    assert _results(dom) == []
    assert "没有找到" in dom


def test_one_character_asks_for_two(site_url: str, tmp_path: Path) -> None:
    dom = _chromium_dom(f"{site_url}search.html?q={quote('清')}", tmp_path / "profile")
    assert _results(dom) == []
    assert "请输入至少 2 个字" in dom
