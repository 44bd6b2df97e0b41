"""search.js in Playwright-driven Chromium against `newsdesk serve` over a built site: Chinese words, not
characters apart; hostile titles as text; no console errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from newsdesk.config import SiteConfig
from newsdesk.models import Article, SafeHtml
from newsdesk.site.build import build_site
from newsdesk.site.serve import serve_in_thread, server_url
from newsdesk.store import open_store

pytestmark = pytest.mark.slow  # the browser and phone fixtures (conftest.py) skip, saying why, without Chromium
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
# what search.js writes into #search-status once a search has finished
DONE = "s => /^(找到|没有找到|请输入至少|搜索出错)/.test(document.getElementById('search-status').textContent)"


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


def search(page: Any, site_url: str, query: str) -> tuple[list[str], str]:
    """Open the search page for `query`; the result links and the status line once it finished."""
    page.goto(f"{site_url}search.html?q={quote(query)}", wait_until="networkidle")
    page.wait_for_function(DONE)
    links = page.locator("#search-results a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return links, page.locator("#search-status").inner_text()


def test_search_page_finds_a_word_only_in_bodies_and_links_the_articles(site_url: str,
                                                                       phone: tuple[Any, list[str]]) -> None:
    page, errors = phone
    links, status = search(page, site_url, "清远")
    # newest first; the article with 清 and 远 apart is not among them
    assert links == ["/nanfangplus/2021/12/29/body-dec.html", "/nanfangplus/2021/12/27/hostile.html",
                     "/nanfangplus/2021/11/19/body-nov.html"]
    assert status == "找到 3 篇。"
    assert page.locator("#search-q").count() == 1  # one search box, whether the layout's header carries it or the page
    assert page.locator("#search-q").input_value() == "清远"
    # a hostile title is shown as text, never as markup
    assert page.locator("#search-results img").count() == 0
    assert page.get_by_text("<img src=x onerror", exact=False).count() == 1
    assert page.title() != "pwned"
    assert errors == [], errors


def test_three_character_word_and_no_match(site_url: str, phone: tuple[Any, list[str]]) -> None:
    page, errors = phone
    assert search(page, site_url, "供电局")[0] == ["/nanfangplus/2021/12/29/body-dec.html"]
    links, status = search(page, site_url, "清远 眺望")
    assert links == []
    assert status.startswith("没有找到")
    assert errors == [], errors


def test_one_character_asks_for_two(site_url: str, phone: tuple[Any, list[str]]) -> None:
    page, errors = phone
    links, status = search(page, site_url, "清")
    assert links == []
    assert "请输入至少 2 个字" in status
    assert errors == [], errors


def test_the_header_box_on_the_home_page_searches(site_url: str, phone: tuple[Any, list[str]]) -> None:
    page, errors = phone
    page.goto(site_url + "index.html", wait_until="networkidle")
    page.locator("#search-q").fill("供电局")
    with page.expect_navigation():
        page.locator("#search-q").press("Enter")
    page.wait_for_function(DONE)
    assert page.locator("#search-results a").evaluate_all("links => links.map(a => a.getAttribute('href'))") == \
        ["/nanfangplus/2021/12/29/body-dec.html"]
    assert errors == [], errors
