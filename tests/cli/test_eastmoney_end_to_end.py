"""The original mirror's three East Money lists + full text, through `update` and `export jekyll`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import yaml

from loopback import Outlet, Request, Response
from newsdesk.cli import main

SHANGHAI = ZoneInfo("Asia/Shanghai")


def beijing(minutes_ago: int) -> str:
    """A naive Beijing time string, as the list APIs give it."""
    moment = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


ROLLING = {"rc": 1, "records": [
    {"id": "202611272206672930", "infoCode": "202611272206672930", "title": "离岸人民币兑美元升至年内高点",
     "showtime": beijing(30), "digest": "【离岸人民币走强】离岸人民币兑美元升至6.31。",
     "url_w": "http://finance.eastmoney.com/news/11060,202611272206672930.html"},
    {"id": 202611272206703990, "infoCode": "NW202611272206703990", "title": '沪深两市成交额 "连续" 突破1万亿元',
     "showtime": beijing(20), "digest": "截至11时，两市成交额合计突破1万亿元。",
     "url_w": "http://stock.eastmoney.com/news/1344,202611272206703990.html"},
]}
MEDIA = {"nodeList": [
    {"infocode": "NW202611272230310598", "title": "13连冠！某地供电局公共服务评价稳居榜首", "showtime": beijing(40),
     "from": "南方Plus"},
    {"infocode": "NW202611272239307540", "title": "资管圈风向又变？雪球产品再迎监管", "showtime": beijing(50),
     "from": "券商中国"},
    {"infocode": "NW202611272239300000", "showtime": beijing(55), "from": "券商中国"},  # no title: skipped
]}
MARKET = {"record": [
    {"infoCode": "NW202611272240000001", "title": "央行开展逆回购操作", "datetime": beijing(10), "medianame": "证券时报"},
]}
TEXTS = {
    "202611272206672930": "<p>　　离岸人民币兑美元盘中升至6.31，创年内新高。</p>",
    "NW202611272206703990": "<p>　　沪深两市成交额突破1万亿元。</p><p><strong>要点</strong></p><p>北向资金净流入。</p>",
    "NW202611272230310598": "<p><strong>速读</strong></p><p>　　某地供电局连续13年位居榜首。</p><script>alert(1)</script>",
    "NW202611272239307540": "<p>　　雪球结构产品再迎监管。</p>",
    "NW202611272240000001": "<p>　　央行今日开展逆回购操作。</p>",
}


@pytest.fixture
def eastmoney(outlet: Outlet, tmp_path: Path) -> tuple[Path, Outlet, set[str]]:
    failing = {"NW202611272239307540"}  # its full text fails once, then works

    def text(request: Request) -> Response:
        key = parse_qs(urlsplit(request.path).query)["id"][0]
        if key in failing:
            failing.discard(key)
            return Response(b"busy", 500)
        return Response(json.dumps({"text": TEXTS[key]}, ensure_ascii=False).encode(), 200,
                        {"Content-Type": "text/html; charset=utf-8"})

    outlet.route("/GetNewsText.do", text)
    lists = {"rolling": ROLLING, "media": MEDIA, "market": MARKET}
    for name, data in lists.items():
        outlet.serve(f"/{name}", json.dumps(data, ensure_ascii=False), content_type="application/json")
    fulltext = outlet.url("/GetNewsText.do?id={id}")
    config = tmp_path / "newsdesk.toml"
    config.write_text(f"""
[site]
title = "金融消息"
base_url = "https://finews.example.com"
[fetch]
timeout = 3
retries = 0
[[sources]]
name = "东财滚动"
kind = "json"
url = "{outlet.url('/rolling')}"
preset = "eastmoney-rolling"
fulltext_url = "{fulltext}"
[[sources]]
name = "东财媒体"
kind = "json"
url = "{outlet.url('/media')}"
preset = "eastmoney-media"
fulltext_url = "{fulltext}"
share_url = "http://finews.example.com/html_News/NewsShare.html?infoCode={{id}}"
[[sources]]
name = "东财市场"
kind = "json"
url = "{outlet.url('/market')}"
preset = "eastmoney-market"
fulltext_url = "{fulltext}"
""", encoding="utf-8")
    return config, outlet, failing


def update(config: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    assert main(["--config", str(config), "update", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {r["source"]: r for r in map(json.loads, lines)}


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def test_lists_fulltext_and_jekyll_export(eastmoney: tuple[Path, Outlet, set[str]], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    config, outlet, failing = eastmoney
    reports = update(config, capsys)
    assert {k: (r["new"], r["failed"]) for k, r in reports.items()} == \
        {"东财滚动": (2, 0), "东财媒体": (2, 1), "东财市场": (1, 0)}
    assert any("title" in w for w in reports["东财媒体"]["warnings"])
    assert any("will retry" in w for w in reports["东财媒体"]["warnings"])

    dest = tmp_path / "jekyll"
    assert main(["--config", str(config), "export", "jekyll", str(dest)]) == 0
    capsys.readouterr()
    posts = {p.name: p for p in (dest / "_posts").glob("*.md")}
    assert len(posts) == 5
    day = datetime.now(SHANGHAI) - timedelta(minutes=40)

    meta, body = front_matter(posts[f"{day:%Y-%m-%d}-NW202611272230310598.md"])
    assert list(meta) == ["layout", "title", "date", "categories", "tags"]
    assert meta["title"] == "13连冠！某地供电局公共服务评价稳居榜首"
    assert (meta["categories"], meta["tags"]) == ("nanfangPlus", "南方Plus新闻")
    assert "　　" not in body and "<script" not in body and "<strong>速读</strong>" in body
    assert "<http://finews.example.com/html_News/NewsShare.html?infoCode=NW202611272230310598>" in body
    assert body.endswith("[返回南方Plus新闻](https://finews.example.com/category/nanfangPlus.html)｜"
                         "[返回首页](https://finews.example.com/)")

    rolling = [p for n, p in posts.items() if n.endswith("-202611272206703990.md")]
    meta, body = front_matter(rolling[0])
    assert meta["title"] == '沪深两市成交额 "连续" 突破1万亿元'
    assert (meta["categories"], meta["tags"]) == ("emnews", "东财滚动新闻")
    assert body.startswith("> 截至11时，两市成交额合计突破1万亿元。\n\n<p>沪深两市成交额突破1万亿元。</p>")
    assert "<http://stock.eastmoney.com/news/1344,202611272206703990.html>" in body
    meta, body = front_matter(next(p for n, p in posts.items() if n.endswith("-202611272206672930.md")))
    assert body.startswith("> 离岸人民币兑美元升至6.31。")  # 【…】 prefix removed
    assert "券商中国新闻" in {front_matter(p)[0]["tags"] for p in posts.values()}

    # the failed full text is fetched again on the next cycle; nothing is duplicated
    requests_before = len(outlet.hits("/GetNewsText.do"))
    reports = update(config, capsys)
    assert reports["东财媒体"]["new"] == 0 and reports["东财媒体"]["updated"] == 1
    assert len(outlet.hits("/GetNewsText.do")) - requests_before == 1  # only the one that failed
    assert main(["--config", str(config), "export", "jekyll", str(dest)]) == 0
    capsys.readouterr()
    retried = next((dest / "_posts").glob("*-NW202611272239307540.md"))
    assert "雪球结构产品再迎监管" in retried.read_text(encoding="utf-8")
    assert len(list((dest / "_posts").glob("*.md"))) == 5
