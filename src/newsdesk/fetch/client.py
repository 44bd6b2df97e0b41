"""The Fetcher: one httpx client, limits, deadlines, retries and conditional GET."""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import httpx

from newsdesk.config import FetchConfig
from newsdesk.errors import FetchError
from newsdesk.fetch import reasons
from newsdesk.fetch.addresses import AddressRefused, ResolveFailed, check_address, check_host
from newsdesk.fetch.body import BadBody, BodyReader, BodyTooLarge
from newsdesk.fetch.charset import decode_body
from newsdesk.fetch.limits import RETRY_AFTER_CAP_S, Slots, backoff_delay, parse_retry_after
from newsdesk.models import Fetched, Validators

log = logging.getLogger("newsdesk.fetch")

ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json, "
          "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Failure(Exception):
    """What one attempt ran into, and whether another attempt could help."""

    def __init__(self, reason: str, retryable: bool, status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable
        self.status, self.retry_after_s = status, retry_after_s


@dataclass(frozen=True)
class _Answer:
    """A usable response: its final URL, status, headers and decompressed body."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes


class Fetcher:
    """Async context manager holding one httpx.AsyncClient and the limits."""

    def __init__(self, settings: FetchConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots: Slots | None = None
        # Behind a proxy (or a test transport) the peer is not the outlet, so only the
        # resolved addresses can be checked, not the one actually connected to.
        self._check_peer = transport is None and not urllib.request.getproxies()

    async def __aenter__(self) -> Self:
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=self._transport,
            follow_redirects=False,  # each hop is checked and counted here
            # Reads may stall up to the whole budget; the total deadline is enforced around them.
            timeout=httpx.Timeout(connect=s.connect_timeout_s, read=s.timeout_s, write=s.timeout_s,
                                  pool=None),
            limits=httpx.Limits(max_connections=s.concurrency, max_keepalive_connections=s.concurrency),
            headers={"User-Agent": s.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )
        self._slots = Slots(s.concurrency, s.per_host)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = None

    async def fetch(self, source: str, url: str, *, validators: Validators | None = None,
                    encoding: str | None = None, public_only: bool = False) -> Fetched:
        """GET `url` for `source` within the limits; raises FetchError for every failure."""
        if self._client is None or self._slots is None:
            raise RuntimeError("use Fetcher inside 'async with'")
        s = self.settings
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(source, f"invalid URL {url!r}") from exc
        if target.scheme not in ("http", "https") or not target.host:
            raise FetchError(source, f"not an http(s) URL: {url!r}")
        host = f"{target.host}:{target.port or (443 if target.scheme == 'https' else 80)}"
        validators = validators or Validators()
        guard = public_only and not s.allow_private
        loop = asyncio.get_running_loop()
        started = deadline = 0.0
        attempt = 0
        while True:
            attempt += 1
            async with self._slots.slot(host):
                if attempt == 1:
                    # The budget starts once a slot is ours, not while queued behind others.
                    started = loop.time()
                    deadline = started + s.timeout_s
                try:
                    async with asyncio.timeout_at(deadline):
                        answer = await self._attempt(self._client, target, validators, guard)
                except TimeoutError as exc:
                    log.info("%s: GET %s: no complete answer within %s s", source, url, s.timeout_s)
                    raise FetchError(source, f"timed out after {reasons.seconds(s.timeout_s)}") from exc
                except _Failure as failure:
                    delay = self._retry_delay(source, url, failure, attempt, deadline - loop.time())
                    why = failure.reason
                else:
                    return _fetched(source, answer, validators, encoding, loop.time() - started)
            log.info("%s: GET %s: %s; retry %d in %.2f s", source, url, why, attempt, delay)
            await asyncio.sleep(delay)

    def _retry_delay(self, source: str, url: str, failure: _Failure, attempt: int,
                     remaining_s: float) -> float:
        """Seconds to wait before the next attempt; raises FetchError when none should follow."""
        made = f" (after {attempt} attempts)" if attempt > 1 else ""
        if not failure.retryable or attempt > self.settings.retries:
            log.info("%s: GET %s failed: %s%s", source, url, failure.reason, made)
            if failure.__cause__ is not None:
                log.debug("%s: GET %s: underlying error", source, url, exc_info=failure.__cause__)
            raise FetchError(source, failure.reason + made) from failure
        wait = failure.retry_after_s
        if wait is not None and wait > min(RETRY_AFTER_CAP_S, remaining_s):
            # Asking again sooner than the outlet allows would only get us refused again.
            label = "rate limited (429)" if failure.status == 429 else failure.reason
            raise FetchError(source, f"{label}, retry after {wait:.0f} s") from failure
        delay = max(backoff_delay(attempt, self.settings.backoff_s), wait or 0.0)
        if delay >= remaining_s:
            log.info("%s: GET %s failed: %s%s; no time left to retry", source, url, failure.reason, made)
            raise FetchError(source, failure.reason + made) from failure
        return delay

    async def _attempt(self, client: httpx.AsyncClient, target: httpx.URL, validators: Validators,
                       guard: bool) -> _Answer:
        """One try, following redirects; raises _Failure."""
        s = self.settings
        headers = {}
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        request = client.build_request("GET", target, headers=headers)
        origin_public: bool | None = None  # known once the first redirect arrives
        for _hop in range(s.max_redirects + 1):
            if guard:
                await _check_public(request.url)
            elif origin_public:
                # the config may name a private outlet, but a public one may not send us to
                # a private address (a feed host redirecting to the cloud metadata service)
                await _check_public(request.url)
            try:
                response = await client.send(request, stream=True)
            except httpx.TransportError as exc:
                raise _transport_failure(exc, request.url, s) from exc
            try:
                log.debug("GET %s -> %d %s", request.url, response.status_code, dict(response.headers))
                if guard and self._check_peer:
                    _check_peer(response)
                if response.status_code in _REDIRECTS and response.next_request is not None:
                    request = response.next_request
                    if request.url.scheme not in ("http", "https"):
                        raise _Failure(f"redirected to a non-http URL {request.url}", retryable=False)
                    if origin_public is None and not guard:
                        origin_public = await _is_public_host(target)
                    continue
                if response.status_code == 304 or 200 <= response.status_code < 300:
                    body = b"" if response.status_code in (204, 304) else await self._read(response)
                    return _Answer(str(response.url), response.status_code, response.headers, body)
                raise _status_failure(response)
            finally:
                await response.aclose()
        raise _Failure(f"too many redirects (more than {s.max_redirects})", retryable=False)

    async def _read(self, response: httpx.Response) -> bytes:
        """The decompressed body, within max_bytes; raises _Failure."""
        limit = self.settings.max_bytes
        too_large = _Failure(f"response larger than {reasons.human_size(limit)}", retryable=False)
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            raise too_large
        try:
            reader = BodyReader(response.headers.get("Content-Encoding"), limit)
            if response.is_stream_consumed:
                # A transport that hands over a finished body (httpx.MockTransport) has no stream.
                reader.feed(response.content)
            else:
                async for chunk in response.aiter_raw():
                    reader.feed(chunk)
            return reader.finish()
        except BodyTooLarge:
            raise too_large from None
        except BadBody as exc:
            raise _Failure(str(exc), retryable=False) from exc
        except httpx.TransportError as exc:
            raise _transport_failure(exc, response.url, self.settings) from exc


def _fetched(source: str, answer: _Answer, sent: Validators, encoding: str | None,
             elapsed_s: float) -> Fetched:
    """The Fetched a stage downstream sees for one usable answer."""
    etag = answer.headers.get("ETag")
    last_modified = answer.headers.get("Last-Modified")
    content_type = answer.headers.get("Content-Type")
    if answer.status == 304:
        # A 304 may omit the validators; the ones we sent are still the current ones.
        validators = Validators(etag or sent.etag, last_modified or sent.last_modified)
        return Fetched(source, answer.url, 304, b"", "", "", content_type, validators, elapsed_s)
    text, codec = decode_body(answer.body, content_type, encoding)
    return Fetched(source, answer.url, answer.status, answer.body, text, codec, content_type,
                   Validators(etag, last_modified), elapsed_s)


async def _check_public(url: httpx.URL) -> None:
    """Refuse a hop whose host resolves to a non-public address; raises _Failure."""
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        await check_host(url.host, port)
    except AddressRefused as exc:
        raise _Failure(exc.reason, retryable=False) from exc
    except ResolveFailed as exc:
        raise _Failure(f"cannot resolve host {url.host}", retryable=True) from exc


async def _is_public_host(url: httpx.URL) -> bool:
    """Whether every address of `url`'s host is public (False when it does not resolve)."""
    try:
        await check_host(url.host, url.port or (443 if url.scheme == "https" else 80))
    except (AddressRefused, ResolveFailed):
        return False
    return True


def _check_peer(response: httpx.Response) -> None:
    """Refuse when the address actually connected to is not public (DNS may have changed)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if isinstance(peer, tuple) and peer:
        try:
            check_address(str(peer[0]), response.url.host)
        except AddressRefused as exc:
            raise _Failure(exc.reason, retryable=False) from exc


def _transport_failure(exc: httpx.TransportError, url: httpx.URL, settings: FetchConfig) -> _Failure:
    """Network trouble is worth another try, except a URL no client could fetch."""
    reason = reasons.transport_error(exc, url.host, settings.connect_timeout_s, settings.timeout_s)
    return _Failure(reason, retryable=not isinstance(exc, httpx.UnsupportedProtocol))


def _status_failure(response: httpx.Response) -> _Failure:
    """A non-2xx answer: 5xx and 429 may pass, other 4xx will not."""
    code = response.status_code
    log.info("GET %s -> %d, headers %s", response.url, code, dict(response.headers))
    retry_after = None
    if code in (429, 503):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return _Failure(reasons.http_status(code, response.reason_phrase), retryable=code >= 500 or code == 429,
                    status=code, retry_after_s=retry_after)
