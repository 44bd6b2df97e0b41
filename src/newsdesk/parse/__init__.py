"""The parse stage: one fetched response body -> the items it holds."""

from __future__ import annotations

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched, RawItem
from newsdesk.parse.feed import parse_feed
from newsdesk.parse.jsonfeed import looks_like_json, parse_json_feed

__all__ = ["parse"]


def parse(fetched: Fetched, source: SourceConfig) -> list[RawItem]:
    """Split one response body into items. Raises ParseError."""
    if source.kind == "feed":
        # a "feed" source may serve JSON Feed as well as RSS/Atom; the body tells which
        if looks_like_json(fetched):
            return parse_json_feed(fetched, source)
        return parse_feed(fetched, source)
    if source.kind == "json":
        # imported here so the feed path does not depend on the JSON list parser
        from newsdesk.parse.jsonlist import parse_json_list

        return parse_json_list(fetched, source)
    if source.kind == "html":
        raise ParseError(source.name, 'kind = "html" is not supported yet')
    raise ParseError(source.name, f"unknown source kind {source.kind!r}")
