"""The Fetcher against loopback outlets that answer well, badly, slowly or not at all."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
from fetch_rawserver import RawServer, Script, reset

from loopback import Outlet, Request, Response
from newsdesk.config import FetchConfig
from newsdesk.errors import FetchError
from newsdesk.fetch import Fetcher
from newsdesk.models import Fetched, Validators

Raw = Callable[[Script], RawServer]

QUICK = FetchConfig(timeout_s=2.0, connect_timeout_s=1.0, backoff_s=0.01, retries=2)


def fetch(url: str, settings: FetchConfig = QUICK, **kwargs: object) -> Fetched:
    """Fetch one URL with a fresh Fetcher."""

    async def run() -> Fetched:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch("outlet", url, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(run())


def failure(url: str, settings: FetchConfig = QUICK, **kwargs: object) -> str:
    """The reason fetching `url` fails; the test fails if it succeeds."""
    with pytest.raises(FetchError) as caught:
        fetch(url, settings, **kwargs)
    assert caught.value.source == "outlet"
    assert str(caught.value) == f"outlet: {caught.value.reason}"
    return caught.value.reason


def counting(*responses: Response) -> Callable[[Request], Response]:
    """A handler answering with `responses` in turn, then repeating the last one."""
    calls = iter(responses)
    last = [responses[-1]]

    def handle(request: Request) -> Response:
        last[0] = next(calls, last[0])
        return last[0]

    return handle


# ------------------------------------------------------------ conditional GET


def test_etag_then_not_modified(outlet: Outlet) -> None:
    def handle(request: Request) -> Response:
        if request.header("If-None-Match") == '"v1"':
            return Response(b"", 304, {"ETag": '"v1"'})
        return Response(b"<rss/>", 200, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    url = outlet.route("/feed", handle)
    first = fetch(url)
    assert (first.status, first.body, first.text) == (200, b"<rss/>", "<rss/>")
    assert first.validators == Validators(etag='"v1"', last_modified=None)
    assert first.content_type == "application/rss+xml"

    second = fetch(url, validators=first.validators)
    assert second.not_modified
    assert (second.status, second.body, second.text) == (304, b"", "")
    assert second.validators == first.validators
    assert outlet.hits("/feed")[1].header("If-None-Match") == '"v1"'


def test_last_modified_conditional_keeps_validators_on_bare_304(outlet: Outlet) -> None:
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def handle(request: Request) -> Response:
        if request.header("If-Modified-Since") == stamp:
            return Response(b"", 304)  # no validators repeated, as many servers do
        return Response(b"{}", 200, {"Last-Modified": stamp, "Content-Type": "application/json"})

    url = outlet.route("/api", handle)
    first = fetch(url)
    assert first.validators == Validators(None, stamp)
    second = fetch(url, validators=Validators(etag='"old"', last_modified=stamp))
    assert second.status == 304
    assert second.validators == Validators('"old"', stamp)
    assert outlet.hits("/api")[0].header("If-Modified-Since") is None


def test_new_validators_replace_old_ones_on_200(outlet: Outlet) -> None:
    url = outlet.serve("/feed", "<rss/>", headers={"ETag": '"v2"'})
    got = fetch(url, validators=Validators('"v1"', "Wed, 01 Jan 2025 00:00:00 GMT"))
    assert got.status == 200
    assert got.validators == Validators('"v2"', None)


# ------------------------------------------------------------ status codes and retries


def test_404_is_not_retried(outlet: Outlet) -> None:
    url = outlet.serve("/gone", b"nope", status=404)
    assert failure(url) == "HTTP 404 Not Found"
    assert len(outlet.hits("/gone")) == 1


def test_500_then_success_is_retried(outlet: Outlet) -> None:
    url = outlet.route("/flaky", counting(Response(b"oops", 500), Response(b"ok")))
    assert fetch(url).text == "ok"
    assert len(outlet.hits("/flaky")) == 2


def test_500_every_time_gives_up_after_retries(outlet: Outlet) -> None:
    url = outlet.serve("/broken", b"oops", status=500)
    assert failure(url) == "HTTP 500 Internal Server Error (after 3 attempts)"
    assert len(outlet.hits("/broken")) == 3


def test_retries_zero_means_one_attempt(outlet: Outlet) -> None:
    url = outlet.serve("/broken", b"oops", status=502)
    assert failure(url, replace(QUICK, retries=0)) == "HTTP 502 Bad Gateway"
    assert len(outlet.hits("/broken")) == 1


def test_503_retry_after_is_honoured(outlet: Outlet) -> None:
    seen: list[float] = []

    def handle(request: Request) -> Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            return Response(b"busy", 503, {"Retry-After": "1"})
        return Response(b"ok")

    url = outlet.route("/busy", handle)
    assert fetch(url, replace(QUICK, timeout_s=5.0)).text == "ok"
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.9  # waited as asked, not the 10 ms backoff


def test_429_asking_too_long_fails_clearly(outlet: Outlet) -> None:
    url = outlet.serve("/limited", b"slow down", status=429, headers={"Retry-After": "120"})
    assert failure(url) == "rate limited (429), retry after 120 s"
    assert len(outlet.hits("/limited")) == 1


def test_503_asking_too_long_fails_clearly(outlet: Outlet) -> None:
    url = outlet.serve("/down", b"", status=503, headers={"Retry-After": "3600"})
    assert failure(url) == "HTTP 503 Service Unavailable, retry after 3600 s"
    assert len(outlet.hits("/down")) == 1


def test_429_with_http_date_beyond_deadline_fails_clearly(outlet: Outlet) -> None:
    url = outlet.serve("/limited", b"", status=429, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert failure(url).startswith("rate limited (429), retry after ")


def test_429_without_retry_after_backs_off_then_gives_up(outlet: Outlet) -> None:
    url = outlet.serve("/limited", b"", status=429)
    assert failure(url) == "HTTP 429 Too Many Requests (after 3 attempts)"
    assert len(outlet.hits("/limited")) == 3


# ------------------------------------------------------------ timeouts and broken connections


def hang(conn: socket.socket, head: bytes, server: RawServer) -> None:
    server.stopping.wait(30)


def drip(conn: socket.socket, head: bytes, server: RawServer) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not server.stopping.wait(0.05):
        conn.sendall(b"x")


@pytest.mark.parametrize("script", [hang, drip], ids=["hang-before-headers", "drip-body"])
def test_slow_outlet_fails_within_the_deadline(raw: Raw, script: Script) -> None:
    server = raw(script)
    started = time.monotonic()
    assert failure(server.url(), replace(QUICK, timeout_s=1.0)) == "timed out after 1 s"
    assert time.monotonic() - started < 10  # bounded, generously
    assert len(server.heads) == 1  # the deadline covers retries too


def reset_mid_body(conn: socket.socket, head: bytes, server: RawServer) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100)
    time.sleep(0.05)
    reset(conn)


def short_body(conn: socket.socket, head: bytes, server: RawServer) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100)


def no_answer(conn: socket.socket, head: bytes, server: RawServer) -> None:
    pass


@pytest.mark.parametrize(("script", "reason"), [
    (reset_mid_body, "connection reset by peer"),
    (short_body, "connection closed before the whole body arrived"),
    (no_answer, "server closed the connection without answering"),
], ids=["reset-mid-body", "content-length-longer-than-body", "close-without-answer"])
def test_broken_connections_are_retried_then_reported(raw: Raw, script: Script, reason: str) -> None:
    server = raw(script)
    assert failure(server.url()) == f"{reason} (after 3 attempts)"
    assert len(server.heads) == 3


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert failure(f"http://127.0.0.1:{port}/") == "cannot connect: connection refused (after 3 attempts)"


def test_content_length_shorter_than_body_yields_declared_bytes(outlet: Outlet) -> None:
    def handle(request: Request) -> None:
        request.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and some bytes too many")
        request.wfile.flush()

    url = outlet.route("/short", handle)
    after = outlet.serve("/after", "fine")

    async def run() -> tuple[Fetched, Fetched]:
        async with Fetcher(QUICK) as fetcher:
            first = await fetcher.fetch("outlet", url)
            return first, await fetcher.fetch("outlet", after)

    first, second = asyncio.run(run())
    assert first.body == b"hello"
    assert second.text == "fine"  # the leftover bytes did not poison the next request


# ------------------------------------------------------------ compression and size caps


@pytest.mark.parametrize(("coding", "compress"), [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ("gzip", lambda data: gzip.compress(data[:500]) + gzip.compress(data[500:])),
], ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "gzip-two-members"])
def test_compressed_bodies_are_decompressed(outlet: Outlet, coding: str,
                                            compress: Callable[[bytes], bytes]) -> None:
    data = "<rss>新闻 news</rss>".encode() * 100
    url = outlet.serve("/feed", compress(data), headers={"Content-Encoding": coding})
    got = fetch(url)
    assert got.body == data
    assert got.text == data.decode()


def test_truncated_gzip_is_reported(outlet: Outlet) -> None:
    whole = gzip.compress(b"<rss>" + b"item " * 2000 + b"</rss>")
    url = outlet.serve("/feed", whole[: len(whole) // 2], headers={"Content-Encoding": "gzip"})
    assert failure(url) == "gzip body cut short"


def test_corrupt_gzip_is_reported(outlet: Outlet) -> None:
    url = outlet.serve("/feed", b"\x1f\x8bnot gzip at all", headers={"Content-Encoding": "gzip"})
    assert failure(url) == "corrupt gzip body"


def test_unsupported_content_encoding_is_reported(outlet: Outlet) -> None:
    url = outlet.serve("/feed", b"...", headers={"Content-Encoding": "br"})
    assert failure(url) == "unsupported Content-Encoding br"


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip stream of `megabytes` MB of zeros, built without compressing them all."""
    chunk = bytes(1_000_000)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    # After a full flush identical input packs to identical bytes, so repeat them.
    # The trailer's CRC is wrong, but a capped reader never gets that far.
    return head + block * (megabytes - 1) + packer.flush()


def test_gzip_bomb_is_capped_on_decompressed_size(outlet: Outlet) -> None:
    bomb = gzip_bomb(1000)  # 1 GB of zeros in about 1 MB
    assert len(bomb) < 1_100_000
    url = outlet.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    assert failure(url, replace(QUICK, max_bytes=2_000_000)) == "response larger than 2 MB"


def test_large_content_length_is_refused_up_front(outlet: Outlet) -> None:
    url = outlet.serve("/big", b"x" * 50_000_000)
    assert failure(url, replace(QUICK, max_bytes=10_000_000)) == "response larger than 10 MB"


def endless(conn: socket.socket, head: bytes, server: RawServer) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    block = b"y" * 65536
    for _ in range(50_000_000 // len(block)):
        conn.sendall(block)


def test_large_body_without_length_is_cut_off(raw: Raw) -> None:
    server = raw(endless)
    assert failure(server.url(), replace(QUICK, max_bytes=10_000_000)) == "response larger than 10 MB"
    assert len(server.heads) == 1


def test_body_exactly_at_cap_is_accepted(outlet: Outlet) -> None:
    url = outlet.serve("/edge", b"z" * 4096, headers={"Content-Encoding": "identity"})
    assert len(fetch(url, replace(QUICK, max_bytes=4096)).body) == 4096


# ------------------------------------------------------------ redirects


def redirect(to: str, status: int = 302) -> Callable[[Request], Response]:
    return lambda request: Response(b"", status, {"Location": to})


def test_redirects_are_followed_to_the_final_url(outlet: Outlet) -> None:
    outlet.route("/old", redirect("/middle", 301))
    outlet.route("/middle", redirect(outlet.url("/new"), 307))
    outlet.serve("/new", "here")
    got = fetch(outlet.url("/old"))
    assert (got.text, got.url) == ("here", outlet.url("/new"))


def test_redirect_loop_is_reported(outlet: Outlet) -> None:
    outlet.route("/a", redirect("/b"))
    outlet.route("/b", redirect("/a"))
    assert failure(outlet.url("/a")) == "too many redirects (more than 5)"
    assert len(outlet.hits("/a")) + len(outlet.hits("/b")) == 6


def test_redirect_limit_comes_from_settings(outlet: Outlet) -> None:
    outlet.route("/a", redirect("/b"))
    outlet.serve("/b", "ok")
    assert failure(outlet.url("/a"), replace(QUICK, max_redirects=0)) == "too many redirects (more than 0)"


def test_redirect_to_other_scheme_is_refused(outlet: Outlet) -> None:
    url = outlet.route("/ftp", redirect("ftp://example.com/feed"))
    assert failure(url).startswith("redirected to a non-http URL")


# ------------------------------------------------------------ public_only


def test_public_only_refuses_loopback(outlet: Outlet) -> None:
    url = outlet.serve("/secret", "internal")
    assert failure(url, public_only=True) == "refusing private address 127.0.0.1"
    assert outlet.hits("/secret") == []


def test_public_only_refuses_loopback_name(outlet: Outlet) -> None:
    url = outlet.serve("/secret", "internal").replace("127.0.0.1", "localhost")
    assert failure(url, public_only=True).startswith("refusing private address ")
    assert outlet.hits("/secret") == []


def test_allow_private_lets_loopback_through(outlet: Outlet) -> None:
    url = outlet.serve("/secret", "internal")
    assert fetch(url, replace(QUICK, allow_private=True), public_only=True).text == "internal"


def test_public_only_checks_every_redirect_hop(outlet: Outlet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 'localhost' is a public name; its redirect to 127.0.0.1 must still be refused."""
    from newsdesk.fetch import client

    real = client.check_host

    async def pretend(host: str, port: int) -> None:
        if host != "localhost":
            await real(host, port)

    monkeypatch.setattr(client, "check_host", pretend)
    monkeypatch.setattr(Fetcher, "__init__", _without_peer_check(Fetcher.__init__))
    outlet.serve("/secret", "internal")
    start = outlet.route("/start", redirect(outlet.url("/secret")))
    assert failure(start.replace("127.0.0.1", "localhost"), public_only=True) == \
        "refusing private address 127.0.0.1"
    assert len(outlet.hits("/start")) == 1
    assert outlet.hits("/secret") == []


def test_public_only_checks_the_address_actually_connected(outlet: Outlet,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that resolved public when checked but connects to loopback (DNS rebinding)."""
    from newsdesk.fetch import client

    async def fooled(host: str, port: int) -> None:
        return None

    monkeypatch.setattr(client, "check_host", fooled)
    url = outlet.serve("/secret", "internal").replace("127.0.0.1", "localhost")
    reason = failure(url, public_only=True)
    assert reason.startswith("refusing private address ") and reason.endswith("(localhost)")


def _without_peer_check(init: Callable[..., None]) -> Callable[..., None]:
    def patched(self: Fetcher, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)
        self._check_peer = False

    return patched


# ------------------------------------------------------------ limits


def concurrency_probe() -> tuple[Callable[[Request], Response], Callable[[], int]]:
    """A handler that holds each request briefly and remembers the most at once."""
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def handle(request: Request) -> Response:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.25)
        with lock:
            state["now"] -= 1
        return Response(b"ok")

    return handle, lambda: state["most"]


def fetch_all(urls: list[str], settings: FetchConfig) -> list[Fetched]:
    async def run() -> list[Fetched]:
        async with Fetcher(settings) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch("outlet", u) for u in urls)))

    return asyncio.run(run())


@pytest.mark.parametrize(("concurrency", "per_host"), [(2, 10), (10, 2)], ids=["global", "per-host"])
def test_concurrency_limits_are_honoured(outlet: Outlet, concurrency: int, per_host: int) -> None:
    handle, most = concurrency_probe()
    outlet.route("/slow", handle)
    urls = [outlet.url(f"/slow?n={n}") for n in range(6)]
    settings = replace(QUICK, timeout_s=10.0, concurrency=concurrency, per_host=per_host)
    assert [f.text for f in fetch_all(urls, settings)] == ["ok"] * 6
    assert most() == 2


def test_per_host_limit_is_per_host(outlet: Outlet) -> None:
    handle, most = concurrency_probe()
    outlet.route("/slow", handle)
    urls = [outlet.url(f"/slow?n={n}") for n in range(3)]
    urls += [u.replace("127.0.0.1", "localhost") for u in urls]
    fetch_all(urls, replace(QUICK, timeout_s=10.0, concurrency=10, per_host=1))
    assert most() == 2  # one per host name, two names


# ------------------------------------------------------------ headers, decoding, misuse


def test_request_headers(outlet: Outlet) -> None:
    url = outlet.serve("/feed", "<rss/>")
    fetch(url, replace(QUICK, user_agent="newsdesk-test/1.0"))
    sent = outlet.hits("/feed")[0]
    assert sent.header("User-Agent") == "newsdesk-test/1.0"
    assert sent.header("Accept-Encoding") == "gzip, deflate"
    assert "application/rss+xml" in (sent.header("Accept") or "")
    assert "application/json" in (sent.header("Accept") or "")


def test_gbk_body_without_charset_is_decoded(outlet: Outlet) -> None:
    text = "<rss><title>南方Plus新闻：清远供电局公共服务评价稳居榜首</title></rss>"
    url = outlet.serve("/feed", text.encode("gbk"), content_type="application/rss+xml")
    got = fetch(url)
    assert (got.text, got.encoding) == (text, "gb18030")


def test_encoding_override_wins(outlet: Outlet) -> None:
    url = outlet.serve("/feed", "新聞".encode("big5"), content_type="text/xml; charset=utf-8")
    got = fetch(url, encoding="big5")
    assert (got.text, got.encoding) == ("新聞", "big5")


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/feed", "http:///nohost"],
                         ids=["garbage", "ftp", "no-host"])
def test_unusable_urls_are_reported(url: str) -> None:
    assert "URL" in failure(url)


def test_transport_can_be_injected() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["If-None-Match"] == '"v1"'
        return httpx.Response(200, content="新闻".encode("gbk"), headers={"ETag": '"v2"'})

    async def run() -> Fetched:
        async with Fetcher(QUICK, transport=httpx.MockTransport(answer)) as fetcher:
            return await fetcher.fetch("outlet", "https://news.example.com/feed",
                                       validators=Validators(etag='"v1"'))

    got = asyncio.run(run())
    assert (got.text, got.encoding, got.validators.etag) == ("新闻", "gb18030", '"v2"')


def test_fetch_outside_context_is_a_bug() -> None:
    with pytest.raises(RuntimeError):
        asyncio.run(Fetcher(QUICK).fetch("outlet", "http://127.0.0.1/"))
