"""A built site in Playwright-driven Debian Chromium: pages at 360 px, console errors, search, live bar.

The site comes from a real fetch (a loopback RSS outlet through pipeline.update) and is served by
`newsdesk serve`'s server. Full-page screenshots go to $NEWSDESK_BROWSER_ARTIFACTS (default
test-artifacts/browser/ in the checkout) so CI can keep them.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from feedmaker import Entry, rss2
from loopback import Outlet
from newsdesk import pipeline
from newsdesk.config import Config, load_config
from newsdesk.site.serve import serve_in_thread, server_url
from newsdesk.store import SqliteStore, open_store

pytestmark = pytest.mark.slow  # the browser and phone fixtures (conftest.py) skip, saying why, without Chromium
PHONE_WIDTH = 360
BEIJING = timezone(timedelta(hours=8))
START = datetime.now(BEIJING).replace(microsecond=0) - timedelta(hours=1)
WORD = "鸬鹚"  # only in the body of wire-1, never in a title
# a long unbroken URL, a wide table and a big image (served by the outlet): what widens a phone page
# when CSS is careless
WIDE = ("<p>https://example.com/" + "a" * 300 + "</p><table><tr>"
        + "".join(f"<td>第{i}列数据很长很长</td>" for i in range(12)) + "</tr></table>"
        '<img src="{outlet}/big.png" alt="示意图" width="2000" height="100">')
BODIES = [
    "<p>清远供电局公共服务评价稳居榜首，" + "连续十三年第一" * 20 + "。</p>" + WIDE,
    f"<p>江边的渔民放出{WORD}捕鱼，游客围观。</p>",
    "<p>沪指上涨，成交额突破一万亿元。</p>",
]
TITLES = ["13连冠！清远供电局公共服务评价稳居榜首", "江边渔事", "两市成交额破万亿"]
FRESH_TITLE = "新到的一条快讯"


def _png(width: int, height: int) -> bytes:
    """A plain grey PNG, so the article's image loads from the loopback outlet."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x99" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _entry(i: int, title: str, body: str, hours: float | None = None) -> Entry:
    return Entry(guid=f"wire-{i}", title=title, link=f"https://news.example.com/wire/{i}.html",
                 published=START - timedelta(hours=i if hours is None else hours), body=body)


@dataclass
class Site:
    url: str
    output: Path
    config: Config
    store: SqliteStore
    outlet: Outlet
    entries: list[Entry] = field(default_factory=list)

    def publish(self, entry: Entry) -> None:
        """The outlet gains `entry`; then one fetch and build, in a thread of its own (Playwright's sync
        API keeps an event loop in this one, and the pipeline runs asyncio)."""
        self.entries.insert(0, entry)
        self.outlet.serve("/feed.xml", rss2(self.entries, title="南方Plus"))
        failure: list[Exception] = []

        def run() -> None:
            try:
                reports, _ = pipeline.update(self.config, self.store)
                assert [r.status for r in reports] == ["ok"], reports
            except Exception as exc:  # noqa: BLE001 - re-raised in the test's thread
                failure.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive() and not failure, failure

    def page_of(self, guid: str) -> str:
        """The site path of the article page for `guid`."""
        found = [p for p in self.output.rglob(f"{guid}.html") if "search" not in p.parts]
        assert len(found) == 1, found
        return found[0].relative_to(self.output).as_posix()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser-site")
    outlet = Outlet().start()
    (root / "newsdesk.toml").write_text(f"""
[site]
title = "金融消息"
base_url = "https://news.example.com/"
output = "{(root / 'public').as_posix()}"
latest_poll_s = 1
[store]
path = "{(root / 'newsdesk.db').as_posix()}"
[fetch]
timeout = 5
retries = 0
[[sources]]
name = "南方Plus"
url = "{outlet.url('/feed.xml')}"
""", encoding="utf-8")
    config = load_config(root / "newsdesk.toml")
    server = None
    try:
        with open_store(config.store.path) as store:
            built = Site("", config.site.output, config, store, outlet)
            outlet.serve("/big.png", _png(200, 10), content_type="image/png")
            for i in reversed(range(len(TITLES))):
                built.entries.insert(0, _entry(i, TITLES[i], BODIES[i].replace("{outlet}", outlet.base)))
            built.publish(built.entries.pop(0))
            server, thread = serve_in_thread(config.site.output, "127.0.0.1", 0)
            built.url = server_url(server)
            yield built
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        outlet.stop()


PAGES: dict[str, Callable[[Site], str]] = {
    "home": lambda s: "index.html",
    "outlet": lambda s: "category/nanfangPlus.html",
    "article": lambda s: s.page_of("wire-0"),
    "archive": lambda s: "archive/index.html",
    "day": lambda s: "archive/" + START.astimezone(BEIJING).strftime("%Y/%m/%d") + ".html",
    "search": lambda s: "search.html?q=" + quote(WORD),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_console_errors_fits_360px_and_is_screenshotted(site: Site, phone: tuple[Any, list[str]],
                                                                   shots: Path, name: str) -> None:
    page, errors = phone
    response = page.goto(site.url + PAGES[name](site), wait_until="networkidle")
    assert response is not None and response.status == 200, name
    if name == "search":
        page.wait_for_selector("#search-results li")
    assert page.locator("h1").first.inner_text().strip()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{name} scrolls sideways: {width}px wide"
    page.screenshot(path=str(shots / f"{name}-360.png"), full_page=True)
    assert errors == [], errors
    if name == "article":
        assert page.locator("h1").first.inner_text().strip() == TITLES[0]
        assert page.locator('img[alt="示意图"]').evaluate("img => img.complete && img.naturalWidth") == 200


def test_search_for_a_body_only_word_returns_exactly_that_article(site: Site, phone: tuple[Any, list[str]]) -> None:
    page, errors = phone
    page.goto(site.url + "search.html?q=" + quote(WORD), wait_until="networkidle")
    page.wait_for_selector("#search-results li")
    links = page.locator("#search-results a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links == ["/" + site.page_of("wire-1")]
    assert WORD not in "".join(TITLES)
    page.locator("#search-results a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().strip() == TITLES[1]
    assert errors == [], errors


def test_new_articles_bar_appears_after_a_fetch_and_build_and_reloads(site: Site, phone: tuple[Any, list[str]],
                                                                      shots: Path) -> None:
    page, errors = phone
    # the first poll sets the page's baseline; only later polls can see news
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/latest.json"), timeout=30_000):
        page.goto(site.url + "index.html")
    assert page.locator("#live-bar").count() == 0
    assert FRESH_TITLE not in page.content()
    site.publish(_entry(9, FRESH_TITLE, "<p>刚刚发布的消息。</p>", hours=-0.5))
    bar = page.locator("#live-bar")
    bar.wait_for(state="visible", timeout=30_000)
    assert bar.get_attribute("data-new") == "1"
    assert bar.inner_text() == "1 条新文章，点击刷新"
    page.screenshot(path=str(shots / "home-live-bar-360.png"), full_page=True)
    with page.expect_navigation():
        bar.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text(FRESH_TITLE).count() >= 1
    assert page.locator("#live-bar").count() == 0
    assert errors == [], errors


def test_dark_mode_pages_are_screenshotted(site: Site, browser: Any, shots: Path) -> None:
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 800}, color_scheme="dark")
    try:
        page = context.new_page()
        page.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), lambda route: route.abort())
        for name in ("home", "article"):
            page.goto(site.url + PAGES[name](site), wait_until="networkidle")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(21, 21, 23)", background  # the dark palette is in use
            page.screenshot(path=str(shots / f"{name}-dark-360.png"), full_page=True)
    finally:
        context.close()
