"""Plain text from untrusted HTML or text: titles, summaries, snippets."""

from __future__ import annotations

import html
import re

import nh3

# a real tag or entity; "精度满足<1%" or "A<B" in a title stays as it is
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]\w*);")
# block ends become spaces so paragraphs do not run into one another
_BLOCK_END = re.compile(r"(?i)(<br\s*/?>|</(?:p|div|li|h[1-6]|tr|td|th|blockquote|pre|figure|figcaption|"
                        r"table|caption|ul|ol)\s*>|<hr\s*/?>)")
_SPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
# control characters (XML 1.0 cannot even carry most of them, so the Atom feed and the page
# would disagree) and bidi embeddings, overrides and isolates ("\u202egnp.exe" shows as
# "exe.png"): plain text keeps none of them; whitespace controls become spaces above
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
_SENTENCE_END = re.compile(r"[。！？!?…]+[”」』）)\"']?|\.(?=\s|$)")
MAX_TAGS = 10_000  # see clean.sanitize: html5ever is quadratic in deep nesting
_TAG_START = re.compile(r"<[A-Za-z]")
_ANY_TAG = re.compile(r"<[^<>]*>")
_DROPPED = {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript",
            "head", "title", "textarea", "select"}


def plain_text(html_or_text: str) -> str:
    """Tags stripped, entities decoded, whitespace collapsed to single spaces."""
    if not html_or_text:
        return ""
    text = html_or_text
    if len(_TAG_START.findall(text)) > MAX_TAGS:
        # too many tags to parse in reasonable time; a plain strip keeps the words
        text = html.unescape(_ANY_TAG.sub(" ", text))
    elif _MARKUP.search(text):
        text = _BLOCK_END.sub(r"\1 ", text)
        # nh3 keeps the text of every tag it strips and drops script/style with their content
        text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags=set(_DROPPED)))
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def cut_at_sentence(text: str, limit: int) -> str:
    """The leading sentences of `text` that fit in `limit` characters (CJK or Latin punctuation).

    With no sentence end in reach, the text is cut at `limit` (at a space for Latin
    text) and marked with an ellipsis.
    """
    if len(text) <= limit:
        return text
    best = 0
    for match in _SENTENCE_END.finditer(text, 0, limit + 1):
        if match.end() <= limit:
            best = match.end()
    if best >= limit // 3:
        return text[:best].strip()
    head = text[:limit]
    space = head.rfind(" ")
    if space > limit * 2 // 3 and text[limit:limit + 1] not in ("", " "):
        head = head[:space]
    return head.rstrip(" ,，、;；:：") + "…"
