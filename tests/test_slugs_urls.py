"""Category slugs, path-safe ids and output paths."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.errors import OutputError
from newsdesk.slugs import category_slug, safe_id
from newsdesk.urls import jekyll_post_name, post_path, resolve_inside

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


@pytest.mark.parametrize(("outlet", "slug"), [
    ("南方Plus", "nanfangPlus"),
    ("21世纪经济报道", "21shijijingjibaodao"),
    ("央视新闻客户端", "yangshixinwenkehuduan"),
    ("重庆", "chongqing"),
    ("银行", "yinhang"),
    ("安信国际证券(香港)", "anxinguojizhengquan-xianggang"),
    ("TechWeb", "TechWeb"),
    ("东财滚动", "dongcaigundong"),
])
def test_category_slug(outlet: str, slug: str) -> None:
    assert category_slug(outlet) == slug


@given(st.text(max_size=200))
def test_category_slug_is_never_empty_and_url_safe(name: str) -> None:
    slug = category_slug(name)
    assert SAFE.match(slug) and len(slug) <= 80
    assert category_slug(name) == slug


@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=300))
def test_safe_ids_are_safe_and_distinct(a: str, b: str) -> None:
    assert SAFE.match(safe_id(a)) and len(safe_id(a)) <= 92
    if a != b:
        assert safe_id(a) != safe_id(b)


@pytest.mark.parametrize("hostile", ["../../etc/passwd", "/etc/passwd", "%2e%2e/x", "a\x00b", "..\\..\\win",
                                     ".", "..", "CON", "x" * 10_000, "新闻/../1"])
def test_hostile_ids_stay_inside_the_output(tmp_path: Path, hostile: str) -> None:
    published = datetime(2021, 12, 29, 12, 6, 31, tzinfo=SHANGHAI)
    target = resolve_inside(tmp_path, post_path("cat", published, hostile, SHANGHAI))
    assert target.is_relative_to(tmp_path)
    assert target.parent == tmp_path / "cat" / "2021" / "12" / "29"


def test_post_path_uses_the_site_timezone() -> None:
    # 20:06 UTC on the 29th is already the 30th in Shanghai
    published = datetime(2021, 12, 29, 20, 6, 31, tzinfo=ZoneInfo("UTC"))
    assert post_path("nanfangPlus", published, "NW202112292230310598", SHANGHAI) == \
        "nanfangplus/2021/12/30/NW202112292230310598.html"
    assert jekyll_post_name(published, "NW1", SHANGHAI) == "2021-12-30-NW1.md"


@given(st.datetimes(min_value=datetime(2, 1, 1), timezones=st.sampled_from([ZoneInfo("UTC"), SHANGHAI])),
       st.sampled_from([SHANGHAI, ZoneInfo("America/St_Johns"), ZoneInfo("Pacific/Kiritimati")]))
def test_post_path_dates_are_written_as_strftime_writes_them(published: datetime, tz: ZoneInfo) -> None:
    assert post_path("c", published, "x", tz) == f"c/{published.astimezone(tz):%Y/%m/%d}/x.html"


@pytest.mark.parametrize("bad", ["../x.html", "/abs.html", "a/../../b", "", "a\\b", "a\x00"])
def test_resolve_inside_refuses_escapes(tmp_path: Path, bad: str) -> None:
    with pytest.raises(OutputError):
        resolve_inside(tmp_path, bad)
