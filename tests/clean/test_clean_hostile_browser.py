"""Hostile HTML through the whole pipeline (feed -> fetch -> clean -> store -> build), then in Chromium.

Every vector tries to call top.pwn(N). A harness page frames every built page and
records any call; a control frame with one raw, unsanitized vector proves the harness
would notice.
"""

from __future__ import annotations

import functools
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from clean_checks import assert_harmless, tags_of  # beside this file
from hostile_vectors import bodies  # beside this file

import feedmaker
from loopback import Outlet
from newsdesk import pipeline, urls
from newsdesk.config import Config, load_config
from newsdesk.store import open_store

CHROMIUM = Path("/usr/bin/chromium")
BEIJING = timezone(timedelta(hours=8))
HARNESS = "/__harness.html"
CONTROL = "/__control.html"


def config_for(outlet: Outlet, folder: Path) -> Config:
    start = datetime.now(BEIJING).replace(microsecond=0) - timedelta(hours=1)
    items = [feedmaker.Entry(guid=f"v{i}", title=f"向量 {name}", link=f"https://news.example.com/v/{i}.html",
                             published=start - timedelta(minutes=i), body=body)
             for i, (name, body) in enumerate(bodies())]
    url = outlet.serve("/hostile.json", feedmaker.jsonfeed(items), content_type="application/feed+json")
    path = folder / "newsdesk.toml"
    path.write_text('[site]\noutput = "public"\nbase_url = "https://news.example.com"\n'
                    f'[fetch]\ntimeout = 5\n[[sources]]\nname = "敌意"\nurl = "{url}"\n', encoding="utf-8")
    return load_config(path)


@pytest.fixture
def built(outlet: Outlet, tmp_path: Path) -> tuple[Config, list[str]]:
    config = config_for(outlet, tmp_path)
    with open_store(config.store.path) as store:
        report = pipeline.fetch(config, store)[0]
        assert (report.status, report.failed) == ("ok", 0), report
        stored = [s.article for s in store.iter_articles()]
        pipeline.build(config, store)
    assert len(stored) == len(bodies())
    pages = ["index.html", *(urls.post_path(a.category, a.published_at, a.id, config.site.tz) for a in stored)]
    pages += sorted({urls.category_path(a.category).lstrip("/") for a in stored})
    return config, pages


def test_every_vector_is_harmless_in_the_store_and_on_the_pages(built: tuple[Config, list[str]]) -> None:
    config, pages = built
    with open_store(config.store.path) as store:
        for stored in store.iter_articles():
            assert_harmless(stored.article.body_html)
    for page in pages:
        html = (config.site.output / page).read_text(encoding="utf-8")
        for tag, attrs in tags_of(html):
            # the site's own scripts load its own files; no article may add a script or a handler
            if tag == "script":
                assert (attrs.get("src") or "").startswith("/static/"), (page, attrs)
            assert tag not in {"base", "iframe", "object", "embed", "svg", "math"}, (page, tag)  # the site has its own search form
            assert not (tag == "meta" and attrs.get("http-equiv")), page
            for name, value in attrs.items():
                assert not name.startswith("on"), (page, tag, name)
                squeezed = "".join((value or "").split()).lower()
                assert not squeezed.startswith(("javascript:", "vbscript:", "data:")), (page, tag, name)


def harness(pages: list[str]) -> bytes:
    frames = "".join(f'<iframe src="/{p}" width="300" height="200"></iframe>' for p in pages)
    return ("<!DOCTYPE html><html><head><meta charset=utf-8><script>"
            "window.pwn=function(n){document.documentElement.setAttribute('data-pwned-'+n,'1');};"
            "var loaded=0;function done(){loaded++;document.documentElement.setAttribute('data-loaded',loaded);}"
            f"</script></head><body><iframe src=\"{CONTROL}\" onload=\"done()\"></iframe>"
            + frames.replace("<iframe ", '<iframe onload="done()" ') + "</body></html>").encode()


CONTROL_BODY = b"<!DOCTYPE html><p>raw</p><img src=x onerror=\"top.pwn('control')\">"


@pytest.fixture
def served(built: tuple[Config, list[str]]) -> Iterator[tuple[str, list[str]]]:
    config, pages = built

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            answers = {HARNESS: harness(pages), CONTROL: CONTROL_BODY}
            if self.path in answers:
                body = answers[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(config.site.output)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_no_vector_runs_in_a_real_browser(served: tuple[str, list[str]], tmp_path: Path) -> None:
    base, pages = served
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               # the pages link to https://news.example.com; nothing may leave the machine
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
               f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=8000", "--dump-dom",
               base + HARNESS]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    root = re.search(r"<html[^>]*>", done.stdout)
    assert root, done.stdout[:500]
    assert 'data-pwned-control="1"' in root.group(0), "the harness did not notice the raw control vector"
    loaded = re.search(r'data-loaded="(\d+)"', root.group(0))
    assert loaded and int(loaded.group(1)) == len(pages) + 1, root.group(0)
    ran = re.findall(r"data-pwned-(\d+)", root.group(0))
    assert not ran, [bodies()[int(n)][0] for n in ran]
