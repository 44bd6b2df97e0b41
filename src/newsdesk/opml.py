"""OPML in and out: feed subscriptions from other readers become [[sources]], and back.

Importing appends TOML text to newsdesk.toml rather than re-serializing it, so the
owner's comments and layout survive; the result is validated before it is written.
"""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from newsdesk.config import Config, SourceConfig, parse_config
from newsdesk.errors import ConfigError, UsageError

_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One subscription read from an OPML file."""

    name: str
    url: str
    folder: str | None  # the outline it sat in, e.g. "Finance"
    category: str | None  # a newsdesk slug, when the outline's category attribute is one


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What `import_opml` added and what it passed over (with why)."""

    added: list[OpmlFeed]
    skipped: list[str]


def read_opml(path: Path) -> list[OpmlFeed]:
    """Every feed outline (one with an xmlUrl) in the file; raises UsageError when it is not OPML."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if b"<!ENTITY" in data:
        # entity definitions have no place in OPML and are how XML bombs start
        raise UsageError(f"{path}: refusing an OPML file that defines XML entities")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise UsageError(f"{path}: not valid XML: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise UsageError(f"{path}: not an OPML file (expected <opml> with a <body>)")
    feeds: list[OpmlFeed] = []

    def walk(node: ET.Element, folder: str | None) -> None:
        for outline in node.findall("outline"):
            url = (outline.get("xmlUrl") or "").strip()
            label = (outline.get("title") or outline.get("text") or "").strip()
            if url:
                category = _category(outline.get("category"))
                feeds.append(OpmlFeed(name=label or url, url=url, folder=folder, category=category))
            else:
                walk(outline, label or folder)

    walk(body, None)
    return feeds


def _category(value: str | None) -> str | None:
    """A category attribute ("/Finance/nanfangPlus" or "nanfangPlus") as a slug, if it is one."""
    if not value:
        return None
    last = value.split(",")[0].strip().rstrip("/").rsplit("/", 1)[-1]
    return last if _SLUG_RE.match(last) else None


def _toml_string(text: str) -> str:
    """A TOML basic string holding `text` exactly."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def source_toml(feed: OpmlFeed) -> str:
    """The [[sources]] block for one feed, with its OPML folder kept as a comment."""
    lines = ["", f"# imported from OPML{' (folder: ' + _comment(feed.folder) + ')' if feed.folder else ''}",
             "[[sources]]", f"name = {_toml_string(feed.name)}", 'kind = "feed"', f"url = {_toml_string(feed.url)}"]
    if feed.category:
        lines.append(f"category = {_toml_string(feed.category)}")
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text)


def import_opml(config: Config, opml: Path) -> ImportResult:
    """Append every new feed of `opml` to the config file; raises UsageError, ConfigError.

    A feed whose URL or name is already configured is skipped. The new text is
    validated as a whole before the file is replaced (atomically), so a bad OPML
    entry never leaves a broken newsdesk.toml behind.
    """
    feeds = read_opml(opml)
    text = config.path.read_text(encoding="utf-8")
    names = {s.name for s in config.sources}
    urls = {s.url for s in config.sources}
    added: list[OpmlFeed] = []
    skipped: list[str] = []
    blocks: list[str] = []
    for feed in feeds:
        if feed.url in urls:
            skipped.append(f"{feed.name}: {feed.url} is already a source")
            continue
        if feed.name in names:
            skipped.append(f"{feed.name}: a source of that name exists already")
            continue
        one = source_toml(feed)
        try:
            parse_config(text + "".join(blocks) + one, config.path)
        except ConfigError as exc:
            # "newsdesk.toml:31: sources[3].url: expected …" -> "url: expected …"
            _, key, reason = exc.problems[-1].split(": ", 2)
            skipped.append(f"{feed.name}: {key.rsplit('.', 1)[-1]}: {reason}")
            continue
        blocks.append(one)
        added.append(feed)
        names.add(feed.name)
        urls.add(feed.url)
    if blocks:
        new_text = text if text.endswith("\n") else text + "\n"
        new_text += "".join(blocks)
        parse_config(new_text, config.path)  # the whole file once more, as it will be written
        _replace(config.path, new_text)
    return ImportResult(added, skipped)


def _replace(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def export_opml(config: Config, now: datetime | None = None) -> tuple[str, list[SourceConfig]]:
    """OPML 2.0 text of every feed source, and the sources left out (JSON and HTML ones are no feeds)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = config.site.title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC), usegmt=True)
    ET.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    left_out = []
    for source in config.sources:
        if source.kind != "feed":
            left_out.append(source)
            continue
        attributes = {"text": source.name, "title": source.name, "type": "rss", "xmlUrl": source.url}
        if source.category:
            attributes["category"] = source.category
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n", left_out
