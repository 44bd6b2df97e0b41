"""The text search indexes of an article body: what html.parser reads in the sanitized HTML."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.clean.sanitize import sanitize_html
from newsdesk.site.search import _BLOCK_TAGS, html_text


class _Reader(HTMLParser):
    """The reference: html.parser's text, a line break at every block element's start and end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def parsed_text(body: str) -> str:
    reader = _Reader()
    reader.feed(body)
    reader.close()
    return "".join(reader.parts)


# what feeds send: block and inline tags, void and self-closed ones, attributes with entities
# and brackets, character references whole and broken, bare ampersands, comments, Chinese text
PIECES = st.sampled_from([
    "<p>", "</p>", "<div class='x'>", "</div>", "<br>", "<br/>", "<BR />", "<span>", "</span>", "<b>", "</b>",
    "<a href=\"https://example.com/?a=1&amp;b=2\">", "<a title='a > b'>", "</a>", "<ul>", "<li>", "</ul>",
    "<h2>", "</h2>", "<img src=\"https://example.com/x.png\" alt=\"图 &amp; 文\">", "<table><tr><td>",
    "</td></tr></table>", "<!-- note -->", "<script>x<y</script>", "&amp;", "&lt;", "&gt;", "&nbsp;",
    "&#20013;", "&#x6587;", "&quot;", "&amp", "&", "a&b", "清远", "供电局", " ", "\n", "1,000", "&lt;p&gt;",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=30))
def test_body_text_is_what_html_parser_reads_in_the_sanitized_html(pieces: list[str]) -> None:
    body = sanitize_html("".join(pieces))
    assert html_text(body) == parsed_text(body)


def test_block_elements_separate_words_and_inline_ones_do_not() -> None:
    assert html_text("<p>清远</p><p>供电<b>局</b></p>") == "\n清远\n\n供电局\n"
    assert html_text("清<br/>远 &amp; 供<span>电</span>") == "清\n\n远 & 供电"
