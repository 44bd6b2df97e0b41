"""Pinyin category slugs and path-safe ids: only [A-Za-z0-9-], never empty."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,79}$")
MAX_SLUG = 80
# device names Windows refuses as a file or folder name, whatever the extension: a site
# published through git must still check out there
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])")


def _digest(text: str, size: int = 10) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:size]


def _keep(chars: str) -> str:
    """pypinyin's hook for runs it has no reading for (ASCII, punctuation): keep them."""
    return chars


def _syllables(text: str) -> list[str]:
    """Toneless pinyin syllables of `text` (phrase-aware), after NFKC; ASCII runs kept as they are."""
    # pypinyin loads its phrase dictionaries on import (~0.1 s): only the commands that
    # slug an outlet name or an unsafe id pay for it, not every `build` or `--help`
    from pypinyin import lazy_pinyin

    return lazy_pinyin(unicodedata.normalize("NFKC", text), errors=_keep)


def _ascii_pinyin(text: str) -> str:
    """Chinese characters -> toneless pinyin (phrase-aware), ASCII runs kept as they are."""
    return "-".join(_syllables(text))


def category_slug(outlet: str) -> str:
    """Slug of an outlet name: 南方Plus -> nanfangPlus, 21世纪经济报道 -> 21shijijingjibaodao."""
    # pinyin syllables are joined without separators, as the original mirror did;
    # anything else that is not a letter or digit becomes one '-'
    syllables = _syllables(outlet)
    joined = "".join(_UNSAFE.sub("-", s) if not s.isalpha() or not s.isascii() else s
                     for s in syllables)
    slug = _UNSAFE.sub("-", joined).strip("-")[:MAX_SLUG].strip("-")
    if _RESERVED.fullmatch(slug):
        return f"{slug}-{_digest(outlet, 8)}"
    return slug or f"outlet-{_digest(outlet, 8)}"


def safe_id(raw_id: str) -> str:
    """A path-safe, stable id: kept when already safe, else slugged plus a short hash.

    Distinct inputs give distinct outputs (the hash tells apart ids that slug alike),
    and the result is never empty, '.', '..', a Windows device name or longer than 92 characters.
    """
    if _SAFE_ID.match(raw_id) and not _RESERVED.fullmatch(raw_id):
        return raw_id
    slug = _UNSAFE.sub("-", _ascii_pinyin(raw_id)).strip("-")[:MAX_SLUG].strip("-")
    return f"{slug}-{_digest(raw_id)}" if slug else f"id-{_digest(raw_id)}"
