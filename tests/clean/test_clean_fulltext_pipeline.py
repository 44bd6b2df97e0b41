"""Full text for `fulltext = true` feeds: a loopback article page, extracted, sanitized, stored.

Article links come from a remote feed, so loopback is refused unless `[fetch] allow_private`
is set; a failed extraction keeps the summary and is retried on the next cycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from clean_checks import assert_harmless  # beside this file

import feedmaker
from loopback import Outlet, Request, Response
from newsdesk import pipeline
from newsdesk.config import load_config
from newsdesk.store import open_store

BEIJING = timezone(timedelta(hours=8))
PARAGRAPHS = [
    "　　中国人民银行今日以利率招标方式开展了2000亿元7天期逆回购操作，中标利率为1.40%，与此前持平。",
    "鉴于当日有1500亿元逆回购到期，央行实现净投放500亿元。分析人士指出，月末资金面需求上升，央行加大投放力度稳定市场预期。",
    "业内人士表示，随着年末临近，银行体系流动性总体保持合理充裕，短期资金利率有望维持平稳运行，市场情绪较为稳定。",
    "此外，央行本月还通过中期借贷便利等工具向市场注入中长期流动性，进一步巩固了流动性合理充裕的格局。",
]
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>央行开展逆回购操作 - 某财经网</title>"
    "<script>var tracker = 1;</script></head><body>"
    "<nav><a href='/'>首页</a> | <a href='/stock/'>股票</a> | <a href='/fund/'>基金</a></nav>"
    "<article><h1>央行开展2000亿元逆回购操作</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    + "<p><img src='/img/chart.png' alt='资金面走势图'></p>"
    + "<p>详情见<a href='/news/more.html?utm_source=feed&amp;id=7'>相关报道</a>。</p>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    + "<script>document.write('广告')</script></article>"
    "<footer>版权所有 © 某财经网 联系我们 广告服务</footer></body></html>")


def setup(outlet: Outlet, tmp_path: Path, page_status: list[int], allow_private: bool) -> Path:
    def page(request: Request) -> Response:
        status = page_status.pop(0) if page_status else 200
        return Response(PAGE.encode() if status == 200 else b"busy", status, {"Content-Type": "text/html"})

    article_url = outlet.route("/news/1.html", page)
    when = datetime.now(BEIJING).replace(microsecond=0) - timedelta(hours=1)
    feed = feedmaker.rss2([feedmaker.Entry("n-1", "央行开展逆回购操作", article_url, when, "央行今日开展逆回购。")])
    url = outlet.serve("/feed.xml", feed)
    path = tmp_path / "newsdesk.toml"
    path.write_text(f'[site]\noutput = "public"\n[fetch]\ntimeout = 3\nretries = 0\n'
                    f"allow_private = {'true' if allow_private else 'false'}\n"
                    f'[[sources]]\nname = "财经"\nurl = "{url}"\nfulltext = true\n', encoding="utf-8")
    return path


def test_article_page_text_is_extracted_sanitized_and_stored(outlet: Outlet, tmp_path: Path) -> None:
    config = load_config(setup(outlet, tmp_path, [], allow_private=True))
    with open_store(config.store.path) as store:
        report = pipeline.fetch(config, store)[0]
        assert (report.status, report.new, report.warnings) == ("ok", 1, ())
        stored = store.get_article("财经", "n-1")
    assert stored is not None
    body = stored.article.body_html
    assert_harmless(body)
    assert not stored.article.needs_fulltext
    for paragraph in PARAGRAPHS:
        assert paragraph.strip("　") in body
    assert "\u3000" not in body and "首页" not in body and "版权所有" not in body and "tracker" not in body
    base = outlet.url("/")
    assert f'<img src="{base}img/chart.png" alt="资金面走势图" loading="lazy" referrerpolicy="no-referrer">' in body
    assert f'<a href="{base}news/more.html?id=7" rel="noopener noreferrer nofollow">相关报道</a>' in body
    assert stored.article.summary.startswith("央行今日开展逆回购")


def test_private_address_is_refused_by_default(outlet: Outlet, tmp_path: Path) -> None:
    config = load_config(setup(outlet, tmp_path, [], allow_private=False))
    with open_store(config.store.path) as store:
        report = pipeline.fetch(config, store)[0]
        stored = store.get_article("财经", "n-1")
    assert (report.status, report.new) == ("ok", 1)
    assert len(report.warnings) == 1 and "refusing private address 127.0.0.1" in report.warnings[0]
    assert outlet.hits("/news/1.html") == []
    assert stored is not None and stored.article.needs_fulltext
    assert "央行今日开展逆回购" in stored.article.body_html  # the feed's summary is kept


@pytest.mark.parametrize("failure", [500, 404])
def test_failed_page_keeps_the_summary_and_is_retried_next_cycle(outlet: Outlet, tmp_path: Path,
                                                                  failure: int) -> None:
    config = load_config(setup(outlet, tmp_path, [failure], allow_private=True))
    with open_store(config.store.path) as store:
        first = pipeline.fetch(config, store)[0]
        kept = store.get_article("财经", "n-1")
        assert first.new == 1 and len(first.warnings) == 1 and "will retry" in first.warnings[0]
        assert kept is not None and kept.article.needs_fulltext and "央行今日开展逆回购" in kept.article.body_html
        second = pipeline.fetch(config, store)[0]
        done = store.get_article("财经", "n-1")
        assert (second.updated, second.warnings) == (1, ())
        assert done is not None and not done.article.needs_fulltext and PARAGRAPHS[1] in done.article.body_html
        third = pipeline.fetch(config, store)[0]
    assert (third.new, third.updated, third.unchanged) == (0, 0, 1)
    assert len(outlet.hits("/news/1.html")) == 2  # no third request once the text is stored
