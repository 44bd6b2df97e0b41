"""Full text of one article: a JSON answer (East Money GetNewsText.do) or an article page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched
from newsdesk.parse.jsonlist import is_missing, json_type, load_json, lookup
from newsdesk.parse.presets import resolve

# Objects full-text APIs wrap their answer in; `text` may sit at the top or one level down.
_WRAPPERS = ("", "data", "result", "Data", "Result")
_JSONISH = re.compile(r"^\s*(?:[\[{]|(?:var|let|const)\s|[A-Za-z_$][\w$.]*\s*\()")
# the page's own headline repeats the article's title, which is shown apart from the body
_HEADLINE = re.compile(r"^\s*<h1\b[^>]*>.*?</h1>\s*", re.DOTALL)
_BODY = re.compile(r"^\s*(?:<html>\s*)?<body>\s*(.*?)\s*</body>\s*(?:</html>\s*)?$", re.DOTALL)


def fulltext_url(source: SourceConfig, key: str) -> str:
    """The source's fulltext_url with `{id}` filled in (URL-quoted); raises ParseError without one."""
    if source.fulltext_url is None:
        raise ParseError(source.name, "no fulltext_url configured for full text")
    if not key.strip():
        raise ParseError(source.name, "empty id for full text")
    return source.fulltext_url.replace("{id}", quote(key, safe=""))


def _is_json(fetched: Fetched) -> bool:
    content_type = (fetched.content_type or "").lower()
    # East Money serves JSON as text/html too, so the body decides before the header
    return "json" in content_type or "javascript" in content_type or bool(_JSONISH.match(fetched.text))


def _from_json(document: Any, fields: tuple[str, ...], source: str) -> str:
    tried: list[str] = []
    for name in fields:
        for wrapper in _WRAPPERS:
            path = f"{wrapper}.{name}" if wrapper else name
            value = lookup(document, path)
            if is_missing(value) or value is None:
                continue
            if not isinstance(value, str):
                tried.append(f"{path!r} is {json_type(value)}")
                continue
            if value.strip():
                return value.strip()
            tried.append(f"{path!r} is empty")
    wanted = " or ".join(repr(name) for name in fields)
    detail = f" ({'; '.join(tried)})" if tried else ""
    raise ParseError(source, f"full text: no {wanted} field with text in the answer{detail}")


def _from_html(fetched: Fetched, source: str) -> str:
    # trafilatura is slow to import and only article pages need it
    import trafilatura

    try:
        extracted = trafilatura.extract(
            fetched.text, url=fetched.url, output_format="html", include_formatting=True,
            include_links=True, include_images=True, include_tables=True, favor_recall=True,
        )
    except ValueError as exc:
        raise ParseError(source, f"full text: page could not be read ({exc})") from exc
    if not extracted or not extracted.strip():
        raise ParseError(source, "full text: no article text found in the page")
    match = _BODY.match(extracted)
    body = _HEADLINE.sub("", match.group(1) if match else extracted, count=1).strip()
    if not body:
        raise ParseError(source, "full text: no article text found in the page")
    return body


def parse_fulltext(fetched: Fetched, source: SourceConfig) -> str:
    """Body HTML (untrusted) of a full-text answer: a JSON field or an article page's main text.

    JSON answers are searched for the preset's fields (`text`, then `content`, or the
    source's `fulltext_field`, dotted paths allowed), at the top or inside `data`/`result`.
    Raises ParseError.
    """
    if fetched.not_modified or not fetched.text.strip():
        raise ParseError(source.name, "full text: empty answer")
    if _is_json(fetched):
        document = load_json(fetched.text, source.name)
        return _from_json(document, resolve(source).fulltext_fields, source.name)
    return _from_html(fetched, source.name)
