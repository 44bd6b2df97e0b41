"""The preview server: pages with their types, the site's 404, and no bookkeeping files."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from newsdesk.site.serve import serve_in_thread, server_url


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    (tmp_path / "404.html").write_text("<p>页面不存在</p>", encoding="utf-8")
    (tmp_path / "feed.json").write_text("{}", encoding="utf-8")
    (tmp_path / ".newsdesk-build.db").write_bytes(b"SQLite format 3\x00 state")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".page.html.abcdefgh.tmp").write_text("half", encoding="utf-8")
    server, thread = serve_in_thread(tmp_path, "127.0.0.1", 0)
    yield server_url(server)
    server.shutdown()
    thread.join(5)


def test_pages_come_with_their_types_and_unknown_paths_get_the_404_page(served: str) -> None:
    assert fetch(served) == (200, "text/html; charset=utf-8", "<p>首页</p>".encode())
    assert fetch(served + "feed.json")[:2] == (200, "application/json; charset=utf-8")
    assert fetch(served + "nope.html") == (404, "text/html; charset=utf-8", "<p>页面不存在</p>".encode())


@pytest.mark.parametrize("path", [".newsdesk-build.db", "a/.page.html.abcdefgh.tmp", "a/../.newsdesk-build.db"])
def test_bookkeeping_files_are_not_served(served: str, path: str) -> None:
    status, _, body = fetch(served + path)
    assert status == 404 and b"SQLite" not in body and b"half" not in body
