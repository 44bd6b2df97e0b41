"""The CLI end to end against loopback outlets: fetch, store, build, refetch, bad sources."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

import feedmaker
from loopback import Outlet, Request, Response
from newsdesk.cli import main
from newsdesk.config import load_config
from newsdesk.slugs import category_slug
from newsdesk.store import open_store
from newsdesk.urls import category_path, post_path

FORMAT_CYCLE = ["rss2", "atom10", "jsonfeed", "rss1", "atom03", "rss091", "rss2-gbk"]
CONTENT_TYPES = {"jsonfeed": "application/feed+json", "rss2-gbk": "application/rss+xml"}


def etag_route(body: bytes, content_type: str) -> Callable[[Request], Response]:
    """Serve `body` with an ETag and answer 304 to a matching If-None-Match."""
    tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    def handle(request: Request) -> Response:
        if request.header("If-None-Match") == tag:
            return Response(b"", 304, {"ETag": tag})
        return Response(body, 200, {"Content-Type": content_type, "ETag": tag})

    return handle


def make_feed(kind: str, prefix: str, outlet: str, count: int) -> bytes:
    items = feedmaker.entries(prefix, count, outlet=outlet)
    if kind == "rss2-gbk":
        return feedmaker.rss2(items, title=outlet, encoding="gbk")
    return feedmaker.FORMATS[kind](items, title=outlet)


def write_config(folder: Path, sources: list[tuple[str, str]], **fetch: object) -> Path:
    settings = {"timeout": 3, "connect_timeout": 2, "retries": 1, "backoff": 0.01, **fetch}
    lines = ['[site]', 'title = "测试站"', 'base_url = "https://news.example.com"', 'output = "public"',
             "[fetch]", *(f"{k} = {json.dumps(v)}" for k, v in settings.items())]
    for name, url in sources:
        lines += ["[[sources]]", f"name = {json.dumps(name, ensure_ascii=False)}", 'kind = "feed"',
                  f'url = "{url}"']
    path = folder / "newsdesk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_json(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, dict]]:
    code = main(["--config", str(config), *args, "--json"])
    out = capsys.readouterr().out
    reports = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return code, {r["source"]: r for r in reports}


OUTLETS = [f"测试{n:02d}财经" for n in range(20)]


@pytest.fixture
def twenty(outlet: Outlet, tmp_path: Path) -> Path:
    sources = []
    for n, name in enumerate(OUTLETS):
        kind = FORMAT_CYCLE[n % len(FORMAT_CYCLE)]
        body = make_feed(kind, f"f{n}", name, 6)
        path = f"/feeds/{n}"
        outlet.route(path, etag_route(body, CONTENT_TYPES.get(kind, "application/xml")))
        sources.append((name, outlet.url(path)))
    return write_config(tmp_path, sources)


def test_twenty_feeds_fetch_build_and_refetch(twenty: Path, outlet: Outlet,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, reports = run_json(twenty, capsys, "fetch")
    assert code == 0
    assert set(reports) == set(OUTLETS)
    for r in reports.values():
        assert (r["status"], r["new"], r["updated"], r["failed"], r["error"]) == ("ok", 6, 0, 0, None), r

    assert main(["--config", str(twenty), "build"]) == 0
    config = load_config(twenty)
    out = config.site.output
    with open_store(config.store.path) as store:
        stored = list(store.iter_articles())
    assert len(stored) == 120
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    for s in stored:
        a = s.article
        page = post_path(a.category, a.published_at, a.id, config.site.tz)
        assert page in pages, page
        html = (out / page).read_text(encoding="utf-8")
        assert a.title.replace("&", "&amp;").replace("<", "&lt;") in html
        outlet_page = (out / category_path(a.category)).read_text(encoding="utf-8")
        assert page.rsplit("/", 1)[-1] in outlet_page
    assert len([p for p in pages if p.count("/") == 4]) == 120  # one page per article, no more
    # GBK feeds decoded into the right characters
    gbk = OUTLETS[FORMAT_CYCLE.index("rss2-gbk")]
    assert f"{gbk}：第0条“快讯”" in (out / category_path(category_slug(gbk))).read_text(encoding="utf-8")

    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 50
    newest = sorted(stored, key=lambda s: s.article.published_at, reverse=True)[:50]
    assert {e.title for e in feed.entries[:5]} <= {s.article.title for s in newest}

    # second fetch: conditional requests, nothing new
    before = len(outlet.requests)
    code, again = run_json(twenty, capsys, "fetch")
    assert code == 0
    conditional = outlet.requests[before:]
    assert len(conditional) == 20
    assert all(r.header("If-None-Match") for r in conditional)
    assert all(r["new"] == 0 and r["status"] == "not_modified" for r in again.values())
    with open_store(config.store.path) as store:
        assert store.count_articles() == 120


def test_second_fetch_without_validators_stores_each_article_once(outlet: Outlet, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    body = make_feed("rss2", "plain", "无标签", 8)
    config = write_config(tmp_path, [("无标签", outlet.serve("/rss", body))])
    assert run_json(config, capsys, "fetch")[1]["无标签"]["new"] == 8
    code, second = run_json(config, capsys, "fetch")
    assert (code, second["无标签"]["new"], second["无标签"]["unchanged"]) == (0, 0, 8)


def _hang(request: Request) -> Response | None:
    time.sleep(10)
    return None


def _reset(request: Request) -> Response | None:
    request.handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\n\r\n"
                                b"<?xml version='1.0'?><rss version='2.0'><channel><title>x")
    request.handler.wfile.flush()
    request.handler.connection.shutdown(2)
    return None


def _huge(request: Request) -> Response | None:
    request.handler.send_response(200)
    request.handler.send_header("Content-Type", "application/xml")
    request.handler.end_headers()
    chunk = b"<!-- " + b"x" * 65_536 + b" -->"
    try:
        for _ in range(800):  # ~50 MB, far past the cap set below
            request.handler.wfile.write(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return None


BAD_SOURCES: list[tuple[str, Callable[[Outlet, str], str], str]] = [
    ("missing", lambda o, p: o.serve(p, b"gone", status=404), "HTTP 404"),
    ("broken", lambda o, p: o.serve(p, b"oops", status=500), "HTTP 500"),
    ("slow", lambda o, p: o.route(p, _hang), "timed out"),
    ("reset", lambda o, p: o.route(p, _reset), ""),
    ("webpage", lambda o, p: o.serve(p, "<!doctype html><html><body><p>不是订阅源</p></body></html>",
                                     content_type="text/html"), "not a feed"),
    ("malformed", lambda o, p: o.serve(p, b"<rss><channel><item><title>a</ti"), "not a feed"),
    ("huge", lambda o, p: o.route(p, _huge), "larger than"),
]


def test_bad_sources_are_reported_and_the_good_one_is_stored(outlet: Outlet, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    good = outlet.serve("/good", make_feed("rss2", "good", "好源", 3))
    empty = outlet.serve("/empty", feedmaker.rss2([], title="空"))
    wrong_charset = outlet.serve("/lying", make_feed("rss2-gbk", "gbk", "谎报", 2),
                                 content_type="application/xml; charset=utf-8")
    sources = [("好源", good), ("空", empty), ("谎报", wrong_charset)]
    sources += [(name, make(outlet, f"/{name}")) for name, make, _ in BAD_SOURCES]
    config = write_config(tmp_path, sources, max_bytes=1_000_000, timeout=2, retries=0)

    code, reports = run_json(config, capsys, "update")
    assert code == 0
    assert reports["好源"]["new"] == 3 and reports["好源"]["status"] == "ok"
    assert reports["空"]["status"] == "ok" and reports["空"]["new"] == 0
    assert reports["谎报"]["new"] == 2
    for name, _, reason in BAD_SOURCES:
        assert reports[name]["status"] == "failed", reports[name]
        assert reason in reports[name]["error"], reports[name]
        assert "\n" not in reports[name]["error"] and "Traceback" not in reports[name]["error"]
    site = load_config(config).site.output
    assert "谎报：第0条“快讯”" in (site / category_path(category_slug("谎报"))).read_text(encoding="utf-8")

    assert main(["--config", str(config), "status", "--json"]) == 0
    status = {s["source"]: s for s in json.loads(capsys.readouterr().out)["sources"]}
    assert status["好源"]["articles"] == 3 and status["好源"]["last_success"]
    assert status["missing"]["last_error"].startswith("HTTP 404") and status["missing"]["last_success"] is None
    assert status["missing"]["consecutive_failures"] == 1


def test_every_source_failing_exits_1_without_traceback(outlet: Outlet, tmp_path: Path) -> None:
    config = write_config(tmp_path, [("a", outlet.serve("/a", b"x", status=404)),
                                     ("b", outlet.serve("/b", b"<html>no</html>", content_type="text/html"))])
    done = subprocess.run([sys.executable, "-m", "newsdesk", "--config", str(config), "fetch"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "FAILED a: HTTP 404" in done.stdout
    assert "FAILED b: not a feed" in done.stdout
    assert "Traceback" not in done.stderr


def test_config_error_exits_2_naming_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "newsdesk.toml"
    path.write_text('[site]\ntitle = "x"\n\n[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/"\n')
    done = subprocess.run([sys.executable, "-m", "newsdesk", "--config", str(path), "fetch"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{path}:6: sources[0].kind: expected feed, json or html" in done.stderr
    assert "Traceback" not in done.stderr
