"""Untrusted article HTML -> SafeHtml: an allowlist fit for news, via nh3."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import nh3

from newsdesk.models import SafeHtml

TAGS = frozenset({
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "h2", "h3", "h4",
    "ul", "ol", "li", "blockquote", "pre", "code", "table", "thead", "tbody", "tr",
    "th", "td", "caption", "figure", "figcaption", "a", "img", "hr", "span", "div",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# removed with everything inside them, not just their tags
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "form", "svg", "math", "template",
    "noscript", "select", "textarea", "button", "head", "title",
})
TRACKING_PARAMS = frozenset({"spm", "fbclid", "gclid"})
_URL_ATTRS = {("a", "href"), ("img", "src")}

# 　　 opens many Chinese paragraphs; typesetting, not content
_INDENT = re.compile("\u3000{2,}")
_NBSP_RUN = re.compile(r"(?:\u00a0|&nbsp;|&#160;|&#xa0;)+", re.IGNORECASE)
# after nh3 the markup is normalized, so a plain pattern finds empty blocks
_EMPTY_BLOCK = re.compile(r"<(p|div|span|h[234]|li|blockquote|figure|figcaption|strong|b|em|i|u|s)>"
                          r"(?:\s|<br>)*</\1>")
_IMG = re.compile(r"<img((?:\s[^>]*)?)>")
_HAS_SRC = re.compile(r'\ssrc="')
# eastmoney hides SEO paragraphs with inline styles; they were never meant to be read
_HIDDEN_OPEN = re.compile(r"""<(p|div|span)\b[^<>]*?\bstyle\s*=\s*["'][^"'<>]*display\s*:\s*none""",
                          re.IGNORECASE)
_CLOSE = {tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE) for tag in ("p", "div", "span")}
# html5ever slows down quadratically on deeply nested blocks; no real article has this many tags
MAX_TAGS = 10_000
_TAG_START = re.compile(r"<[A-Za-z]")
_ANY_TAG = re.compile(r"<[^<>]*>")
# pages have their own h1; h5/h6 read as small headings; so headings map onto h2-h4
_HEADING = re.compile(r"<(/?)h([156])(?=[\s>/])", re.IGNORECASE)
_HEADING_LEVEL = {"1": "2", "5": "4", "6": "4"}
_PRE = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_LEADING_BREAKS = re.compile(r"^(?:\s|<br>|<hr>)+")
_TRAILING_BREAKS = re.compile(r"(?:\s|<br>|<hr>)+$")


def strip_tracking(url: str) -> str:
    """`url` without utm_*, spm, fbclid and gclid query parameters."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in TRACKING_PARAMS and not k.lower().startswith("utm_")]
    if len(kept) == len(parse_qsl(parts.query, keep_blank_values=True)):
        return url  # leave untouched queries byte for byte
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _rewrite_url(value: str, base_url: str | None) -> str | None:
    value = value.strip()
    if not value:
        return None
    if base_url and not urlsplit(value).scheme:
        value = urljoin(base_url, value)
    scheme = urlsplit(value).scheme.lower()
    if scheme and scheme not in URL_SCHEMES:
        return None
    return strip_tracking(value) if scheme in ("http", "https") else value


def _filter_for(base_url: str | None) -> Callable[[str, str, str], str | None]:
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        # no '<' or '>' survives inside an attribute, so later patterns can trust '>' ends a tag
        if (tag, attr) in _URL_ATTRS:
            url = _rewrite_url(value, base_url)
            return url.replace("<", "%3C").replace(">", "%3E") if url is not None else None
        return value.replace("<", "").replace(">", "")
    return attribute_filter


def _finish_img(match: re.Match[str]) -> str:
    attrs = match.group(1)
    if not _HAS_SRC.search(attrs):
        return ""  # an image whose source was unsafe or missing shows nothing
    # added here rather than by nh3, whose attribute order varies from run to run
    return f'<img{attrs} loading="lazy" referrerpolicy="no-referrer">'


def _clean(html: str, base_url: str | None) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=_filter_for(base_url),
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _drop_hidden(html: str) -> str:
    """Remove display:none blocks (to their first closing tag), in one linear pass."""
    kept: list[str] = []
    pos = 0
    unclosed: set[str] = set()
    while (opener := _HIDDEN_OPEN.search(html, pos)) is not None:
        tag = opener[1].lower()
        closer = None if tag in unclosed else _CLOSE[tag].search(html, opener.end())
        if closer is None:
            unclosed.add(tag)  # no later opener of this tag can find a closer either
            kept.append(html[pos:opener.end()])
            pos = opener.end()
            continue
        kept.append(html[pos:opener.start()])
        pos = closer.end()
    kept.append(html[pos:])
    return "".join(kept)


def _as_text_paragraphs(html: str) -> str:
    """Markup too tag-heavy to parse safely -> its text, escaped, in paragraphs."""
    text = htmllib.unescape(_ANY_TAG.sub(" ", html))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "".join(f"<p>{htmllib.escape(line, quote=False)}</p>" for line in lines if line)


def _prepare(html: str) -> str:
    """Heading levels nh3 cannot rename: h1 -> h2, h5/h6 -> h4."""
    return _HEADING.sub(lambda m: f"<{m[1]}h{_HEADING_LEVEL[m[2]]}", html)


def _squeeze_blank_lines(html: str) -> str:
    # removed elements leave runs of blank lines; <pre> keeps its own
    parts = _PRE.split(html)
    return "".join(part if part.startswith("<pre>") else _BLANK_LINES.sub("\n", part) for part in parts)


def _tidy(html: str) -> str:
    """Drop typesetting whitespace and empty blocks from normalized markup."""
    html = _INDENT.sub("", html)
    html = _NBSP_RUN.sub(" ", html)
    previous = None
    while previous != html:  # emptying one block can empty its parent
        previous = html
        html = _EMPTY_BLOCK.sub("", html)
    html = _IMG.sub(_finish_img, html)
    html = _squeeze_blank_lines(html)
    html = _LEADING_BREAKS.sub("", html)
    html = _TRAILING_BREAKS.sub("", html)
    return html.strip()


def sanitize_html(html: str, base_url: str | None = None) -> SafeHtml:
    """Untrusted HTML -> SafeHtml (allowlisted tags, safe URLs, absolute links); never raises."""
    if not html or not html.strip():
        return SafeHtml("")
    html = _drop_hidden(html)
    if len(_TAG_START.findall(html)) > MAX_TAGS:
        html = _as_text_paragraphs(html)
    cleaned = _tidy(_clean(_prepare(html), base_url))
    # tidying can leave a shape nh3 would serialize differently; one more pass settles it
    return SafeHtml(_tidy(_clean(cleaned, base_url)))
