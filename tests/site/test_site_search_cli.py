"""`newsdesk search QUERY`: the built index or the store, text lines and --json, exit 0."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.cli import main
from newsdesk.config import load_config
from newsdesk.models import Article, SafeHtml
from newsdesk.store import open_store

T0 = datetime(2021, 12, 29, 12, 6, tzinfo=UTC)
ARTICLES = (
    ("NW1", "13连冠！公共服务评价稳居榜首", "<p>清远供电局连续第13年居首。</p>"),
    ("NW2", "农网改造", "<p>今年清远市完成改造。</p>"),
    ("NW3", "清晨远眺", "<p>清风徐来，远山如黛。</p>"),
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "newsdesk.toml"
    path.write_text('[site]\ntitle = "测试站"\nbase_url = "https://news.example.com"\noutput = "public"\n'
                    '[[sources]]\nname = "南方Plus"\nkind = "feed"\nurl = "https://example.com/rss.xml"\n',
                    encoding="utf-8")
    with open_store(load_config(path).store.path) as store:
        store.upsert([Article(source="南方Plus", id=aid, outlet="南方Plus", category="nanfangPlus", title=title,
                              link=None, published_at=T0 - timedelta(hours=i), body_html=SafeHtml(body))
                      for i, (aid, title, body) in enumerate(ARTICLES)], T0)
    return path


def _json(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["--config", str(config), "search", *args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("built", [False, True], ids=["store", "index"])
def test_search_finds_exact_words_in_store_and_index(config: Path, capsys: pytest.CaptureFixture[str],
                                                     built: bool) -> None:
    if built:
        assert main(["--config", str(config), "-q", "build"]) == 0
    result = _json(config, capsys, "清远")
    assert result["searched"] == ("index" if built else "store")
    assert result["count"] == 2
    assert result["results"] == [
        {"title": "13连冠！公共服务评价稳居榜首", "outlet": "南方Plus", "time": "2021-12-29 20:06",
         "url": "https://news.example.com/nanfangplus/2021/12/29/NW1.html"},
        {"title": "农网改造", "outlet": "南方Plus", "time": "2021-12-29 19:06",
         "url": "https://news.example.com/nanfangplus/2021/12/29/NW2.html"},
    ]
    assert _json(config, capsys, "供电局")["count"] == 1
    assert _json(config, capsys, "清 远")["count"] == 0


def test_store_flag_and_limit(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "-q", "build"]) == 0
    result = _json(config, capsys, "清远", "--store", "--limit", "1")
    assert result["searched"] == "store" and result["count"] == 1


def test_text_output_is_one_line_per_article(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "-q", "build"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "search", "清远"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "2021-12-29 20:06  南方Plus  13连冠！公共服务评价稳居榜首  https://news.example.com/nanfangplus/2021/12/29/NW1.html",
        "2021-12-29 19:06  南方Plus  农网改造  https://news.example.com/nanfangplus/2021/12/29/NW2.html",
        "2 found in the built index",
    ]


def test_one_character_says_what_to_type(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "search", "清"]) == 0
    assert "at least 2" in capsys.readouterr().out
    assert _json(config, capsys, "清")["terms"] == []


def test_bad_limit_is_a_usage_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "search", "清远", "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err
