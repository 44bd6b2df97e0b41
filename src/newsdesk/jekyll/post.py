"""One Jekyll post in the original mirror's exact format, and the parser that reads it back.

The byte layout follows the newest posts of the original mirror (2022 files):
front matter at byte 0, `> lead` and a blank line when there is a lead, the
body, a blank line, `<link>`, a blank line, the one-line footer, and no final
newline (almost no original file ends with one; Jekyll does not care).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import yaml

from newsdesk.config import SiteConfig
from newsdesk.errors import ParseError
from newsdesk.models import Article
from newsdesk.urls import absolute, category_path

TAG_SUFFIX = "新闻"
HOME_LINK = "返回首页"

# ------------------------------------------------------------------ YAML scalars

# characters written as escapes: C0/C1 controls, DEL, line and paragraph separators
# (YAML folds them), bidi controls (invisible reordering), BOM, surrogates, non-characters
_NEEDS_ESCAPE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff\ufffe\uffff\"\\\\]"
)
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}
# plain scalars Psych or PyYAML might read as something other than a string
_NOT_PLAIN = re.compile(r"[0-9eE.+_:-]*|(?i:y|n|yes|no|on|off|true|false|null|~)")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def yaml_quote(text: str) -> str:
    """A double-quoted YAML scalar that loads back to exactly `text` (escapes only where needed)."""
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, text) + '"'


def yaml_scalar(text: str) -> str:
    """`text` as a plain YAML scalar when that reads back as the same string, else double-quoted."""
    if not text or _NOT_PLAIN.fullmatch(text) or text != text.strip() or _NEEDS_ESCAPE.search(text):
        return yaml_quote(text)
    if text[0] in "[]{}*&!%@`#|>'\",?-<=" or ": " in text or " #" in text or text.endswith(":"):
        return yaml_quote(text)
    try:
        loaded = yaml.safe_load(f"key: {text}")
    except yaml.YAMLError:
        return yaml_quote(text)
    return text if loaded == {"key": text} else yaml_quote(text)


# ------------------------------------------------------------------ rendering

_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_LIQUID = re.compile(r"\{[{%]")


def outlet_tag(outlet: str) -> str:
    """The post's `tags` value: outlet + 新闻 (东财滚动 -> 东财滚动新闻)."""
    return outlet + TAG_SUFFIX


def escape_lead(lead: str) -> str:
    """Plain lead text made inert as Markdown: no HTML, no links, no entities of its own."""
    text = _ENTITY_LIKE.sub("&amp;", lead).replace("<", "&lt;").replace("[", "&#91;")
    return "\n".join("> " + line for line in text.split("\n"))


def unescape_lead(text: str) -> str:
    """The exact inverse of `escape_lead`'s character escapes (the `> ` prefixes already gone)."""
    text = text.replace("&#91;", "[").replace("&lt;", "<")
    return re.sub(r"&amp;(?=#?\w+;)", "&", text)


def _defuse_markdown_links(body_html: str) -> str:
    # sanitized HTML can still carry `[x](javascript:...)` as text, which kramdown would
    # turn into a live link; `&#91;` shows the same `[` in HTML and in Markdown
    parts = _TAG_OR_TEXT.split(body_html)
    return "".join(p if i % 2 else p.replace("[", "&#91;") for i, p in enumerate(parts))


def protect_liquid(content: str) -> str:
    """Content Liquid prints literally: wrapped in raw when it holds `{{` or `{%`.

    A `{%` inside the raw block could close it early (`{% endraw %}`), so each
    one is printed by Liquid itself outside the raw block instead.
    """
    if not _LIQUID.search(content):
        return content
    inner = content.replace("{%", '{% endraw %}{{ "{%" }}{% raw %}')
    return "{% raw %}" + inner + "{% endraw %}"


def footer(article: Article, site: SiteConfig) -> str:
    """The one-line `[返回<outlet>新闻](…)｜[返回首页](…)` footer."""
    outlet_url = absolute(site.base_url, category_path(article.category))
    return f"[返回{outlet_tag(article.outlet)}]({outlet_url})｜[{HOME_LINK}]({site.base_url.rstrip('/')}/)"


def front_matter(article: Article, site: SiteConfig, *, tag: str) -> str:
    """The five-key front matter block, `---` lines included, ending in a newline."""
    when = article.published_at.astimezone(site.tz)
    return (
        "---\n"
        "layout: post\n"
        f"title: {yaml_quote(article.title)}\n"
        f"date: {when:%Y-%m-%d %H:%M:%S %z}\n"
        f"categories: {yaml_scalar(article.category)}\n"
        f"tags: {yaml_scalar(tag)}\n"
        "---\n"
    )


def render_post(article: Article, site: SiteConfig, *, tag: str) -> str:
    """One post in exactly the original mirror's format."""
    parts: list[str] = []
    if article.lead:
        parts.append(escape_lead(article.lead))
    parts.append(_defuse_markdown_links(article.body_html))
    if article.link:
        parts.append(f"<{article.link}>")
    parts.append(footer(article, site))
    return front_matter(article, site, tag=tag) + protect_liquid("\n\n".join(parts))


# ------------------------------------------------------------------ parsing


@dataclass(frozen=True, slots=True)
class ImportedPost:
    """One post read from a mirror; the body still untrusted HTML."""

    id: str
    title: str
    published_at: datetime  # aware
    category: str
    tag: str
    outlet: str
    body_html: str  # untrusted
    lead: str | None
    link: str | None
    warnings: tuple[str, ...] = ()
    dated: bool = True  # False when the date came from the file name only


_NAME = re.compile(r"^(?:(\d{4})-(\d{1,2})-(\d{1,2}))?-(.+)\.(?:md|markdown|html)$")
_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_FOOTER = re.compile(r"^\[返回[^\]]*\]\([^)]*\)(?:\s*｜\s*\[返回[^\]]*\]\([^)]*\))*\s*$")
_AUTOLINK = re.compile(r"^<([^<>\s]*)>\s*$")
_KEY = re.compile(r"^([A-Za-z_][\w-]*):(?:\s(.*))?$")


def _split_front_matter(text: str, filename: str) -> tuple[list[str], str]:
    # the original has one file with a blank line before `---`; accept it
    stripped = text.lstrip("\ufeff").lstrip("\r\n \t")
    lines = stripped.split("\n")
    if not lines or lines[0].rstrip("\r ") != "---":
        raise ParseError(filename, "no front matter (the file must start with ---)")
    for end in range(1, len(lines)):
        if lines[end].rstrip("\r ") in ("---", "..."):
            return [ln.rstrip("\r") for ln in lines[1:end]], "\n".join(lines[end + 1:])
    raise ParseError(filename, "front matter is never closed with ---")


def _title(raw: str, filename: str, warnings: list[str]) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    try:
        loaded = yaml.safe_load(f"title: {raw}")
    except yaml.YAMLError:
        loaded = None
    if isinstance(loaded, dict) and isinstance(loaded.get("title"), str):
        return str(loaded["title"])
    if isinstance(loaded, dict) and loaded.get("title") is not None and raw[0] not in "\"'":
        return raw  # a plain title YAML reads as a number or date: keep what was written
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        # the original wrote `"<raw title>"` with nothing escaped
        warnings.append(f"{filename}: title is not valid YAML (unescaped quote); read as written")
        return raw[1:-1]
    warnings.append(f"{filename}: title is not valid YAML; read as written")
    return raw


def _date(raw: str, name_day: date | None, tz: ZoneInfo, filename: str,
          warnings: list[str]) -> tuple[datetime, bool]:
    match = _DATE.match(raw.strip().strip("\"'"))
    if match:
        y, mo, d, h, mi, s, zone = match.groups()
        naive = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
        if zone is None:
            return naive.replace(tzinfo=tz), True
        if zone == "Z":
            return datetime.fromisoformat(naive.isoformat() + "+00:00"), True
        zone = zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
        return datetime.fromisoformat(naive.isoformat() + zone), True
    if name_day is not None:
        warnings.append(f"{filename}: no usable date ({raw.strip()!r}); used the file name's day")
        return datetime.combine(name_day, time(0, 0), tzinfo=tz), False
    raise ParseError(filename, f"no usable date ({raw.strip()!r}) and none in the file name")


def _split_body(body: str) -> tuple[str | None, str, str | None]:
    """Body text -> (lead, body HTML, original link), with the Markdown chrome removed."""
    lines = body.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    # footers: one line `[返回…](…)｜[返回首页](…)` or two lines, in any of the corpus' shapes
    while lines and _FOOTER.match(lines[-1].strip()):
        lines.pop()
        while lines and not lines[-1].strip():
            lines.pop()
    link: str | None = None
    if lines and (auto := _AUTOLINK.match(lines[-1].strip())):
        link = auto.group(1) or None
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    lead_lines: list[str] = []
    while lines and lines[0].startswith(">"):
        lead_lines.append(lines.pop(0)[1:].removeprefix(" ").rstrip("\r"))
    lead = unescape_lead("\n".join(lead_lines)) if lead_lines else None
    text = "\n".join(lines).strip("\n")
    return lead or None, text.rstrip(), link


def parse_post(text: str, filename: str, site_tz: ZoneInfo) -> ImportedPost:
    """Read one mirror post; raises ParseError(filename, reason) when it cannot be used."""
    name = _NAME.match(filename)
    if not name:
        raise ParseError(filename, "file name is not YYYY-MM-DD-<id>.md")
    y, mo, d, post_id = name.groups()
    try:
        name_day = date(int(y), int(mo), int(d)) if y else None
    except ValueError:
        name_day = None
    header, body = _split_front_matter(text, filename)
    fields: dict[str, str] = {}
    for line in header:
        key = _KEY.match(line)
        if key:
            fields.setdefault(key.group(1), key.group(2) or "")
    warnings: list[str] = []
    published_at, dated = _date(fields.get("date", ""), name_day, site_tz, filename, warnings)
    tag = _plain(fields.get("tags", ""))
    category = _plain(fields.get("categories", fields.get("category", "")))
    if not tag:
        raise ParseError(filename, "no tags: the outlet is unknown")
    if not category:
        raise ParseError(filename, "no categories: the outlet's slug is unknown")
    lead, body_html, link = _split_body(body)
    title = _title(fields.get("title", ""), filename, warnings)
    if not title.strip():
        fallback = lead or re.sub(r"<[^>]*>", "", body_html).strip()
        if not fallback:
            raise ParseError(filename, "empty title and empty body")
        warnings.append(f"{filename}: empty title; used the start of the text")
        title = fallback.split("\n")[0][:60]
    return ImportedPost(
        id=post_id, title=title, published_at=published_at, category=category, tag=tag,
        outlet=tag.removesuffix(TAG_SUFFIX) or tag, body_html=body_html, lead=lead, link=link,
        warnings=tuple(warnings), dated=dated,
    )


def _plain(raw: str) -> str:
    """A front-matter value as a string: YAML when it parses, first item of a list."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        loaded = yaml.safe_load(f"v: {raw}")
    except yaml.YAMLError:
        return raw.strip("\"'")
    value = loaded.get("v") if isinstance(loaded, dict) else raw
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value) if isinstance(value, str) else raw
