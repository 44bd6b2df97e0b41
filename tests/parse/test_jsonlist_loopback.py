"""A list and a full-text answer served from a loopback outlet, fetched by the real Fetcher."""

from __future__ import annotations

import asyncio
from pathlib import Path

from loopback import Outlet
from newsdesk.config import FetchConfig, SourceConfig
from newsdesk.fetch import Fetcher
from newsdesk.models import Fetched
from newsdesk.parse.fulltext import fulltext_url, parse_fulltext
from newsdesk.parse.jsonlist import parse_json_list

FIXTURES = Path(__file__).parent / "fixtures"


def fetch_all(source: SourceConfig, urls: list[str]) -> list[Fetched]:
    async def run() -> list[Fetched]:
        async with Fetcher(FetchConfig(timeout_s=10, retries=0)) as fetcher:
            return [await fetcher.fetch(source.name, url) for url in urls]

    return asyncio.run(run())


def test_rolling_list_and_its_full_text_through_the_fetcher(outlet: Outlet) -> None:
    listing = (FIXTURES / "eastmoney_rolling_list.json").read_text(encoding="utf-8")
    # served as GBK under a text/html label, the way old East Money endpoints answer
    list_url = outlet.serve("/kuaixun/v1/getlist", listing.encode("gbk"),
                            content_type="text/html; charset=gbk")
    outlet.serve("/NewsApi/GetNewsText.do", (FIXTURES / "eastmoney_fulltext_jsonp.js").read_bytes(),
                 content_type="application/javascript; charset=utf-8")
    source = SourceConfig(name="东财滚动", kind="json", url=list_url, preset="eastmoney-rolling",
                          fulltext=True, fulltext_url=outlet.url("/NewsApi/GetNewsText.do?id={id}"))

    [answer] = fetch_all(source, [source.url])
    items = parse_json_list(answer, source)
    assert [i.title for i in items][:2] == ["离岸人民币兑美元升至2018年以来最高水平",
                                            "沪深两市成交额连续第35个交易日突破1万亿元"]
    assert items[1].fulltext_key == "NW202112082206703990"

    text_url = fulltext_url(source, items[1].fulltext_key or "")
    [text_answer] = fetch_all(source, [text_url])
    assert parse_fulltext(text_answer, source) == "<p>截至收盘，沪指报3600.12点。</p>"
    assert [r.path for r in outlet.hits("/NewsApi/GetNewsText.do")] == [
        "/NewsApi/GetNewsText.do?id=NW202112082206703990"]
