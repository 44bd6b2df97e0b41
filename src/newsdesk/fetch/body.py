"""Collect a response body chunk by chunk, decompressing it ourselves under a size cap.

httpx would decompress for us, but it neither caps what one compressed chunk expands
to (a gzip bomb) nor notices a gzip stream that stops early; so we read raw bytes.
"""

from __future__ import annotations

import zlib


class BodyTooLarge(Exception):
    """The body (after decompression) is over the size cap."""


class BadBody(Exception):
    """The body's Content-Encoding is unsupported, corrupt or cut short."""


class _Inflater:
    """One zlib stream (gzip or deflate) whose output is limited per call."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._head = b""  # first bytes of a deflate body, until we know its framing
        self._zlib: zlib._Decompress | None = None
        self._fed = False
        if coding == "gzip":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Inflate `data`; returns at most `limit` + 1 bytes more than fit, so overflow shows."""
        self._fed = self._fed or bool(data)
        if self._zlib is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            # "deflate" should carry a zlib header, but some servers send a raw stream.
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        out = bytearray()
        try:
            while data and len(out) <= limit:
                out += self._zlib.decompress(data, limit + 1 - len(out))
                data = self._zlib.unconsumed_tail
                if self._zlib.eof and self.coding == "gzip" and self._zlib.unused_data[:2] == b"\x1f\x8b":
                    # A gzip body may hold several members one after another.
                    data = self._zlib.unused_data
                    self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        except zlib.error as exc:
            raise BadBody(f"corrupt {self.coding} body") from exc
        return bytes(out)

    def finish(self) -> None:
        """Raise BadBody when the compressed stream stopped before its end."""
        if not self._fed:
            return  # an empty body: some servers label even that as compressed
        if self._zlib is None or not self._zlib.eof:
            raise BadBody(f"{self.coding} body cut short")


class BodyReader:
    """Accumulates raw chunks into the decompressed body, refusing more than `max_bytes`."""

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.raw_bytes = 0
        self._out = bytearray()
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        codings = ["gzip" if c == "x-gzip" else c for c in codings]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "deflate")):
            raise BadBody(f"unsupported Content-Encoding {content_encoding}")
        self._inflater = _Inflater(codings[0]) if codings else None

    def feed(self, chunk: bytes) -> None:
        """Add one raw chunk; raises BodyTooLarge or BadBody."""
        self.raw_bytes += len(chunk)
        if self.raw_bytes > self.max_bytes:
            raise BodyTooLarge
        room = self.max_bytes - len(self._out)
        data = self._inflater.feed(chunk, room) if self._inflater else chunk
        if len(data) > room:
            raise BodyTooLarge
        self._out += data

    def finish(self) -> bytes:
        """The whole decompressed body; raises BadBody if a compressed stream was cut short."""
        if self._inflater is not None:
            self._inflater.finish()
        return bytes(self._out)
