"""plain_text and sentence cutting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.clean import plain_text
from newsdesk.clean.text import cut_at_sentence

PLAIN = [
    pytest.param("<p>央行<b>降准</b>0.25个百分点</p>", "央行降准0.25个百分点", id="tags"),
    pytest.param("<p>第一段</p><p>第二段</p>", "第一段 第二段", id="blocks-spaced"),
    pytest.param("上一行<br>下一行", "上一行 下一行", id="br"),
    pytest.param("A &amp; B &lt;C&gt; &#x4E2D;&#22269; &quot;q&quot;", 'A & B <C> 中国 "q"', id="entities"),
    pytest.param("  多个\n\t空白\u3000\u3000和\u00a0不换行  ", "多个 空白 和 不换行", id="whitespace"),
    pytest.param("<script>alert(1)</script>正文<style>p{}</style>", "正文", id="script-content-gone"),
    pytest.param("精度满足<1%", "精度满足<1%", id="bare-less-than-kept"),
    pytest.param("A股<B股 对比", "A股<B股 对比", id="not-a-tag"),
    pytest.param("铜价<em>大涨</em>3%", "铜价大涨3%", id="html-title"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize(("raw", "expected"), PLAIN)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


@given(st.text(max_size=200))
def test_plain_text_has_no_tags_or_stray_space(raw: str) -> None:
    text = plain_text(raw)
    assert text == text.strip()
    assert "  " not in text
    assert "\n" not in text


CUTS = [
    pytest.param("短句。", 10, "短句。", id="short-kept"),
    pytest.param("第一句话说完了。第二句话也说完了。第三句", 19, "第一句话说完了。第二句话也说完了。", id="cjk-sentences"),
    pytest.param("涨了吗？涨了！后面还有很多很多文字", 8, "涨了吗？涨了！", id="question-exclaim"),
    pytest.param("Stocks rose. Bonds fell. And more text follows here", 26, "Stocks rose. Bonds fell.", id="latin"),
    pytest.param("价格为3.5元的股票今天涨停了后面还有", 12, "价格为3.5元的股票今天…", id="decimal-point-is-no-end"),
    pytest.param("没有任何标点的一段很长很长的文字", 8, "没有任何标点的一…", id="no-sentence-end"),
]


@pytest.mark.parametrize(("text", "limit", "expected"), CUTS)
def test_cut_at_sentence(text: str, limit: int, expected: str) -> None:
    assert cut_at_sentence(text, limit) == expected
