"""Turn a response body into text, trusting declared charsets only as far as the bytes agree."""

from __future__ import annotations

import codecs
import logging
import re

log = logging.getLogger("newsdesk.fetch")

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# GB18030 decodes everything GB2312 and GBK do, and outlets mislabel one as the other.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "hz": "gb18030"}

# Labels browsers accept that Python's codec registry does not know.
_ALIASES = {"x-gbk": "gbk", "windows-936": "gbk", "x-big5": "big5", "x-x-big5": "big5",
            "x-euc-cn": "gb2312", "unicode-1-1-utf-8": "utf-8", "x-unicode20utf8": "utf-8"}

# Servers send these when nobody configured a charset; real Chinese pages under them are common.
_WEAK = {"latin-1", "iso8859-1", "cp1252", "ascii"}

_SNIFF_BYTES = 4096
_SAMPLE_CHARS = 20_000
_CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_body(body: bytes, content_type: str | None, override: str | None = None) -> tuple[str, str]:
    """Decode `body` to (text, codec): override, BOM, header, in-document declaration, then guesses."""
    if override is not None:
        codec = canonical_codec(override)
        if codec is not None:
            # The user named this codec for a reason; keep going past a few bad bytes.
            return body.decode(codec, errors="replace"), codec
        log.warning("unknown encoding override %r ignored", override)

    for mark, codec in _BOMS:
        if body.startswith(mark):
            text = _strict(body[len(mark):], codec)
            if text is not None:
                return text, codec

    declared = canonical_codec(charset_of(content_type))
    in_document = canonical_codec(sniff_declaration(body))
    if declared in _WEAK and in_document not in (None, declared):
        # A default latin-1 header says less than the page's own declaration does.
        declared = None
    for codec in (declared, in_document):
        if codec is None:
            continue
        text = _strict(body, codec)
        if text is not None and not (codec in _WEAK and _is_utf8(body)):
            return text, codec
        log.debug("declared charset %s does not fit the bytes; guessing", codec)

    return guess(body)


def guess(body: bytes) -> tuple[str, str]:
    """Decode undeclared bytes: strict UTF-8, then GB18030 or Big5, else UTF-8 with replacement."""
    text = _strict(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    chinese = _strict(body, "gb18030")
    if chinese is not None and _looks_simplified(chinese):
        return chinese, "gb18030"
    traditional = _strict(body, "big5")
    if traditional is not None:
        return traditional, "big5"
    if chinese is not None:
        return chinese, "gb18030"
    return body.decode("utf-8", errors="replace"), "utf-8"


def canonical_codec(name: str | None) -> str | None:
    """Python's name for the codec `name`, widened to a superset; None when unknown."""
    if not name:
        return None
    label = name.strip().lower()
    if label in ("utf-16", "utf-32", "utf-16le", "utf-16be", "utf-32le", "utf-32be"):
        # Declared inside ASCII-readable bytes, so the body cannot really be UTF-16 (as browsers do).
        return "utf-8"
    try:
        codec = codecs.lookup(_ALIASES.get(label, label)).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, codec)


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = _CONTENT_TYPE_CHARSET.search(content_type)
    return match.group(1) if match else None


def sniff_declaration(body: bytes) -> str | None:
    """The encoding an XML declaration or HTML meta tag names in the first bytes, if any."""
    head = body[:_SNIFF_BYTES]
    match = _XML_DECLARATION.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_utf8(body: bytes) -> bool:
    """True when the bytes are valid UTF-8 and not plain ASCII."""
    return not body.isascii() and _strict(body, "utf-8") is not None


def _looks_simplified(text: str) -> bool:
    """True when nearly all Han characters are in GB2312, as real Simplified Chinese text is.

    Big5 bytes also decode as GB18030, but into rare characters, many outside GB2312.
    """
    # A sample is enough to tell, and keeps a 10 MB page from costing seconds.
    wide = [ch for ch in text[:_SAMPLE_CHARS] if ord(ch) > 0x7F]
    if not wide:
        return True
    common = sum(1 for ch in wide if _in_gb2312(ch))
    return common >= 0.9 * len(wide)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True
