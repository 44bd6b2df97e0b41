"""Regression: a few undecodable bytes in a UTF-8 feed garbled every title (feedparser re-guessed latin-2)."""

from __future__ import annotations

import feedmaker
from newsdesk.config import SourceConfig
from newsdesk.fetch.charset import decode_body
from newsdesk.models import Fetched, Validators
from newsdesk.parse import parse


def test_one_bad_byte_spoils_one_title_not_all() -> None:
    body = feedmaker.rss2(feedmaker.entries("x", 3, outlet="坏")).replace("第1条".encode(), b"\xff\xfe")
    text, codec = decode_body(body, "application/rss+xml")
    fetched = Fetched("s", "http://127.0.0.1/feed", 200, body, text, codec, "application/rss+xml",
                      Validators(), 0.0)
    titles = [item.title for item in parse(fetched, SourceConfig(name="s", kind="feed", url=fetched.url))]
    assert titles[0] == "坏：第0条“快讯” <x> & 市场"
    assert titles[2] == "坏：第2条“快讯” <x> & 市场"
    assert "\ufffd" in titles[1] and titles[1].startswith("坏：")
