"""One post: exact bytes of the original format, YAML-safe titles, parsing back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.config import SiteConfig
from newsdesk.errors import ParseError
from newsdesk.jekyll.post import (
    outlet_tag,
    parse_post,
    protect_liquid,
    render_post,
    yaml_quote,
    yaml_scalar,
)
from newsdesk.models import Article, SafeHtml

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = SiteConfig(base_url="//finews.withounder.com")


def article(**changes: object) -> Article:
    fields: dict[str, object] = {
        "source": "东财滚动", "id": "202204212352227421", "outlet": "东财滚动", "category": "emnews",
        "title": "佩斯科夫：克宫不支持对“不友好国家”公司资产国有化",
        "link": "http://finance.eastmoney.com/news/1351,202204212352227421.html",
        "published_at": datetime(2022, 4, 21, 10, 31, 9, tzinfo=UTC),
        "body_html": SafeHtml("<p>俄罗斯总统新闻秘书佩斯科夫21日表示，需要根据具体情况逐案处理。</p>\n"
                              " <p>佩斯科夫强调，不可能有一个通用的方案。</p>"
                              "<p class=\"em_media\">（文章来源：央视新闻客户端）</p>"),
        "lead": "俄罗斯总统新闻秘书佩斯科夫21日表示，需要根据具体情况逐案处理。（央视新闻客户端）",
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


def test_rolling_post_with_lead_matches_the_original_bytes() -> None:
    expected = (FIXTURES / "rolling_with_lead.expected.md").read_text(encoding="utf-8")
    assert render_post(article(), SITE, tag="东财滚动新闻") == expected


def test_media_post_matches_the_original_bytes() -> None:
    media = article(
        source="东财媒体", id="NW202112292230310598", outlet="南方Plus", category="nanfangPlus",
        title="13连冠！清远供电局公共服务评价稳居榜首", lead=None,
        link="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202112292230310598",
        published_at=datetime(2021, 12, 29, 20, 6, 31, tzinfo=SHANGHAI),
        body_html=SafeHtml("<p><strong>速读</strong></p>\n <p>清远供电局连续13年位居榜首。</p>"
                              "<p class=\"em_media\">（文章来源：南方Plus）</p>"),
    )
    expected = (FIXTURES / "nw_media.expected.md").read_text(encoding="utf-8")
    assert render_post(media, SITE, tag=outlet_tag("南方Plus")) == expected


def test_post_without_link_has_no_autolink_line() -> None:
    text = render_post(article(link=None, lead=None, body_html=SafeHtml("<p>x</p>")), SITE, tag="t新闻")
    assert text.endswith("---\n<p>x</p>\n\n[返回东财滚动新闻](//finews.withounder.com/category/emnews.html)"
                         "｜[返回首页](//finews.withounder.com/)")


def test_date_is_written_in_the_site_timezone_with_its_real_offset() -> None:
    site = SiteConfig(base_url="https://x.example", timezone="America/New_York")
    summer = render_post(article(published_at=datetime(2022, 7, 1, 12, tzinfo=UTC)), site, tag="t")
    winter = render_post(article(published_at=datetime(2022, 1, 1, 12, tzinfo=UTC)), site, tag="t")
    assert "\ndate: 2022-07-01 08:00:00 -0400\n" in summer
    assert "\ndate: 2022-01-01 07:00:00 -0500\n" in winter


@pytest.mark.parametrize("title", [
    'He said "hi"', "back\\slash", "a: b", "# not a comment", "[list", "{map", "*alias", "&anchor",
    "!tag", "%directive", "@at", "`tick", "---", "...", "line\nbreak", "tab\there", "nul\x00bel\x07",
    "\u202eevil\u202c", "emoji 📈🚀", "trailing space ", " leading", "yes", "null", "2021-12-08",
    "\u2028sep\u2029", "nel\x85", "bom\ufeff", "  ", "",
], ids=repr)
def test_hostile_titles_load_back_exactly(title: str) -> None:
    assert yaml.safe_load(f"title: {yaml_quote(title)}") == {"title": title}
    assert "\n" not in yaml_quote(title)


def test_plain_titles_are_only_wrapped_in_quotes() -> None:
    assert yaml_quote("《证券日报》：A股“开门红”") == "\"《证券日报》：A股“开门红”\""


@given(st.text())
def test_any_title_round_trips_through_yaml(title: str) -> None:
    assert yaml.safe_load(f"title: {yaml_quote(title)}\nx: 1") == {"title": title, "x": 1}


@given(st.text(min_size=1))
def test_any_scalar_round_trips_plain_or_quoted(text: str) -> None:
    assert yaml.safe_load(f"v: {yaml_scalar(text)}") == {"v": text}


@pytest.mark.parametrize("slug, plain", [("emnews", True), ("21caijing", True), ("123", False),
                                         ("yes", False), ("1e5", False), ("a-b", True)])
def test_slugs_are_quoted_only_when_yaml_would_not_read_a_string(slug: str, plain: bool) -> None:
    assert (yaml_scalar(slug) == slug) is plain


@given(st.text())
def test_any_post_parses_back_to_its_fields(title: str) -> None:
    original = article(title=title)
    post = parse_post(render_post(original, SITE, tag="东财滚动新闻"), "2022-04-21-202204212352227421.md",
                      SHANGHAI)
    if title.strip():
        assert post.title == title
    assert post.published_at == original.published_at
    assert (post.category, post.outlet, post.link, post.lead) == ("emnews", "东财滚动", original.link, original.lead)


def test_liquid_is_left_alone_when_absent_and_wrapped_when_present() -> None:
    assert protect_liquid("<p>a { b } %</p>") == "<p>a { b } %</p>"
    wrapped = protect_liquid("x {{ site }} {% endraw %} y")
    assert wrapped.startswith("{% raw %}") and wrapped.endswith("{% endraw %}")
    assert "{% endraw %} y" not in wrapped


def test_lead_and_body_markdown_links_are_made_inert() -> None:
    text = render_post(article(lead="[x](javascript:alert(1)) <b>", body_html=SafeHtml(
        '<p>[y](javascript:alert(2)) <a href="http://e.com/[1]">k</a></p>')), SITE, tag="t")
    assert "[x](" not in text and "[y](" not in text
    assert "> &#91;x](javascript:alert(1)) &lt;b>" in text
    assert 'href="http://e.com/[1]"' in text  # attributes untouched
    post = parse_post(text, "2022-04-21-1.md", SHANGHAI)
    assert post.lead == "[x](javascript:alert(1)) <b>"


@pytest.mark.parametrize("name, text, reason", [
    ("notes.md", "---\ntitle: x\n---\n", "file name"),
    ("2022-01-01-a.md", "title: x\n", "front matter"),
    ("2022-01-01-a.md", "---\ntitle: x\n", "never closed"),
    ("-a.md", "---\ntitle: \"\"\ndate:  +0800\ncategories: emnews\ntags: x\n---\nbody", "no usable date"),
    ("2022-01-01-a.md", "---\ntitle: x\ndate: 2022-01-01 00:00:00\ncategories: c\n---\nbody", "no tags"),
], ids=["name", "no-front-matter", "unclosed", "undated", "no-tags"])
def test_unusable_posts_raise_parse_error_naming_the_file(name: str, text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as caught:
        parse_post(text, name, SHANGHAI)
    assert caught.value.source == name


def test_date_forms() -> None:
    base = "---\ntitle: t\ndate: {}\ncategories: c\ntags: o新闻\n---\nb"
    naive = parse_post(base.format("2021-12-08 10:18:31"), "2021-12-08-a.md", SHANGHAI)
    offset = parse_post(base.format("2021-12-08 10:18:31 +0800"), "2021-12-08-a.md", SHANGHAI)
    utc = parse_post(base.format("2021-12-08 02:18:31 Z"), "2021-12-08-a.md", SHANGHAI)
    assert naive.published_at == offset.published_at == utc.published_at
    assert offset.published_at.utcoffset() == timedelta(hours=8)
    undated = parse_post(base.format(" +0800"), "2021-12-08-a.md", SHANGHAI)
    assert undated.published_at == datetime(2021, 12, 8, tzinfo=SHANGHAI) and not undated.dated
    assert undated.warnings and "file name" in undated.warnings[0]


def test_newest_corpus_posts_render_back_byte_for_byte(corpus: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Outlet-feed posts (the newest format) come back identical; rolling ones differ only in the footer."""
    total = identical = 0
    for path in sorted((corpus / "posts").glob("202[2-9]-*.md")):
        text = path.read_text(encoding="utf-8")
        post = parse_post(text, path.name, SHANGHAI)
        again = render_post(Article(
            source="corpus", id=post.id, outlet=post.outlet, category=post.category, title=post.title,
            link=post.link, published_at=post.published_at, body_html=SafeHtml(post.body_html),
            lead=post.lead), SITE, tag=outlet_tag(post.outlet))
        total += 1
        if again == text:
            identical += 1
        else:
            # the original linked rolling news back to /emnews/; every outlet page is /category/<slug>.html
            assert again == text.replace("withounder.com/emnews/)", "withounder.com/category/emnews.html)")
    with capsys.disabled():
        print(f"\ncorpus 2022 posts: {identical} of {total} rendered byte-for-byte")
    assert identical >= 5
