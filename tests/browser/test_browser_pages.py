"""Built pages in real headless Chromium: they render, fit a 360 px phone, and show the new-articles bar."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk.config import SiteConfig
from newsdesk.models import Article, SafeHtml
from newsdesk.site.build import build_site
from newsdesk.store import SqliteStore, open_store

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(apt-get install chromium; .ci/run installs it)"),
]
T0 = datetime(2021, 12, 29, 12, 0, tzinfo=UTC)
SEEN = datetime(2022, 1, 5, tzinfo=UTC)
# a long unbroken URL, a wide table and a big image: what widens a phone page when CSS is careless
WIDE_BODY = SafeHtml(
    "<p>清远供电局公共服务评价稳居榜首，" + "连续十三年第一" * 20 + "。</p>"
    "<p>https://example.com/" + "a" * 300 + "</p>"
    "<table><tr>" + "".join(f"<td>第{i}列数据很长很长</td>" for i in range(12)) + "</tr></table>"
    '<img src="/static/none.png" alt="示意图" width="2000" height="100">')
FIT = "/__fit/"  # a test-only page that frames a site page 360 px wide and reports its scroll width


def fit_page(page: str) -> bytes:
    """Headless Chromium will not make a window narrower than 500 px, so the phone is an iframe."""
    return (f'<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="/{page}" '
            'style="width:360px;height:800px;border:0"></iframe><script>'
            "document.getElementById('f').addEventListener('load',function(){"
            "var d=this.contentDocument.documentElement;"
            "document.body.setAttribute('data-scroll-width',d.scrollWidth);"
            "document.body.setAttribute('data-client-width',d.clientWidth);"
            "document.body.setAttribute('data-h1',(this.contentDocument.querySelector('h1')||{}).textContent||'');"
            "});</script></body></html>").encode()


def chromium(args: list[str], profile: Path) -> str:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Handler(SimpleHTTPRequestHandler):
    """Serves the built site and the fit page; holds later latest.json polls until released."""

    gate: threading.Event
    first_poll: threading.Event

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/latest.json":
            if self.first_poll.is_set():
                self.gate.wait(60)
            self.first_poll.set()
        if path.startswith(FIT):
            body = fit_page(path.removeprefix(FIT))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@dataclass
class Served:
    url: str
    site: SiteConfig
    store: SqliteStore
    gate: threading.Event
    first_poll: threading.Event


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    site = SiteConfig(title="金融消息", base_url="https://news.example.com/", output=tmp_path / "public",
                      latest_poll_s=1)
    with open_store(tmp_path / "newsdesk.db") as store:
        store.upsert([Article(source="南方Plus", id=f"N{i}", outlet="南方Plus", category="nanfangPlus",
                              title=f"13连冠！清远供电局公共服务评价稳居榜首 第{i}篇", link="https://example.com/x",
                              published_at=T0 + timedelta(hours=i), body_html=WIDE_BODY) for i in range(3)], SEEN)
        build_site(store, site)
        gate, first = threading.Event(), threading.Event()
        handler = type("SiteHandler", (Handler,), {"gate": gate, "first_poll": first})
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site.output)))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Served(f"http://127.0.0.1:{server.server_address[1]}/", site, store, gate, first)
        finally:
            gate.set()
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


@pytest.mark.parametrize("page", ["index.html", "category/nanfangPlus.html", "nanfangplus/2021/12/29/N0.html",
                                  "archive/index.html", "archive/2021/12/29.html", "404.html"])
def test_page_renders_and_fits_a_360px_phone(served: Served, tmp_path: Path, page: str) -> None:
    served.gate.set()
    dom = chromium(["--virtual-time-budget=3000", "--dump-dom", served.url + FIT.lstrip("/") + page],
                   tmp_path / "profile")
    heading = re.search(r'data-h1="([^"]*)"', dom)
    assert heading and heading.group(1), dom[-1500:]
    scroll = re.search(r'data-scroll-width="(\d+)"', dom)
    client = re.search(r'data-client-width="(\d+)"', dom)
    assert scroll and client, dom[-1500:]
    assert int(scroll.group(1)) <= int(client.group(1)) <= 360, (scroll.group(1), client.group(1))  # no sideways scroll
    if page.endswith("N0.html"):
        assert heading.group(1) == "13连冠！清远供电局公共服务评价稳居榜首 第0篇"
        framed = chromium(["--virtual-time-budget=3000", "--dump-dom", served.url + page], tmp_path / "p2")
        assert 'alt="示意图"' in framed and "清远供电局公共服务评价稳居榜首，" in framed


def test_new_articles_bar_appears_after_a_new_fetch_and_build(served: Served, tmp_path: Path) -> None:
    def rebuild() -> None:
        assert served.first_poll.wait(60)
        served.store.upsert([Article(source="南方Plus", id="fresh", outlet="南方Plus", category="nanfangPlus",
                                     title="新到的文章", link=None, published_at=T0 + timedelta(days=1),
                                     body_html=SafeHtml("<p>新</p>"))], SEEN + timedelta(hours=1))
        build_site(served.store, served.site)
        served.gate.set()

    worker = threading.Thread(target=rebuild)
    worker.start()
    dom = chromium(["--virtual-time-budget=8000", "--dump-dom", served.url + "index.html"], tmp_path / "profile")
    worker.join(timeout=60)
    assert re.search(r'<button[^>]*id="live-bar"[^>]*data-new="1"[^>]*>1 条新文章，点击刷新</button>', dom), dom[-2000:]


def test_phone_screenshot_is_kept(served: Served, tmp_path: Path) -> None:
    served.gate.set()
    folder = Path(os.environ.get("NEWSDESK_BROWSER_ARTIFACTS", tmp_path / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    for name, page in (("article-360", "nanfangplus/2021/12/29/N0.html"), ("home-360", "index.html")):
        shot = folder / f"{name}.png"
        chromium(["--window-size=500,800", "--hide-scrollbars", f"--screenshot={shot}",
                  served.url + FIT.lstrip("/") + page],
                 tmp_path / f"profile-{name}")
        assert shot.stat().st_size > 1000
