"""OPML import appends sources keeping the file's comments; export writes OPML 2.0; both round-trip."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from newsdesk.cli import main
from newsdesk.config import load_config
from newsdesk.errors import UsageError
from newsdesk.opml import export_opml, import_opml, read_opml

FIXTURES = Path(__file__).parent / "fixtures"
START = """# my news site — hand-written, keep this comment
[site]
title = "我的新闻"   # trailing comment stays too

[[sources]]
name = "南方Plus"
url = "https://example.com/nanfang/rss.xml"

[[sources]]
name = "东财媒体"
kind = "json"
url = "http://127.0.0.1/list"
preset = "eastmoney-media"
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "newsdesk.toml"
    path.write_text(START, encoding="utf-8")
    return path


def test_read_nested_outlines_with_folders_and_categories() -> None:
    feeds = read_opml(FIXTURES / "reader_export_nested.opml")
    assert [(f.name, f.folder, f.category) for f in feeds] == [
        ("南方Plus", "财经", None),
        ('21世纪经济报道 "快讯"', "财经", "21jingji"),
        ("Hacker News", "Tech", None),
        ("Top-level feed", None, None),
    ]


def test_import_appends_new_feeds_and_keeps_the_text(config_path: Path) -> None:
    result = import_opml(load_config(config_path), FIXTURES / "reader_export_nested.opml")
    assert [f.name for f in result.added] == ['21世纪经济报道 "快讯"', "Hacker News", "Top-level feed"]
    assert result.skipped == ["南方Plus: https://example.com/nanfang/rss.xml is already a source"]
    text = config_path.read_text(encoding="utf-8")
    assert text.startswith(START)  # nothing before the new blocks changed, comments included
    assert "# imported from OPML (folder: 财经)" in text
    config = load_config(config_path)
    source = config.source('21世纪经济报道 "快讯"')
    assert (source.kind, source.url, source.category) == ("feed", "https://example.com/21jingji/feed", "21jingji")
    assert len(config.sources) == 5
    # a second import adds nothing
    again = import_opml(config, FIXTURES / "reader_export_nested.opml")
    assert again.added == [] and len(again.skipped) == 4
    assert config_path.read_text(encoding="utf-8") == text


def test_an_entry_that_would_not_validate_is_skipped_with_the_reason(config_path: Path) -> None:
    result = import_opml(load_config(config_path), FIXTURES / "bad_url.opml")
    assert [f.name for f in result.added] == ["Good"]
    assert result.skipped == ["FTP feed: url: expected an http(s) URL, got 'ftp://example.com/feed.xml'"]
    assert len(load_config(config_path).sources) == 3


@pytest.mark.parametrize(("fixture", "message"), [
    ("entity_bomb.opml", "defines XML entities"),
    ("not_opml.xml", "not an OPML file"),
], ids=["entity-bomb", "rss-not-opml"])
def test_refused_files(config_path: Path, fixture: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        import_opml(load_config(config_path), FIXTURES / fixture)
    assert config_path.read_text(encoding="utf-8") == START


def test_export_is_opml_2_with_feed_sources_only(config_path: Path) -> None:
    import_opml(load_config(config_path), FIXTURES / "reader_export_nested.opml")
    text, left_out = export_opml(load_config(config_path))
    assert [s.name for s in left_out] == ["东财媒体"]
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "我的新闻" and root.findtext("head/dateCreated")
    outlines = root.findall("body/outline")
    assert [o.get("text") for o in outlines] == ["南方Plus", '21世纪经济报道 "快讯"', "Hacker News", "Top-level feed"]
    assert outlines[1].get("category") == "21jingji" and outlines[1].get("type") == "rss"


def test_export_then_import_round_trips(config_path: Path, tmp_path: Path) -> None:
    import_opml(load_config(config_path), FIXTURES / "reader_export_nested.opml")
    text, _ = export_opml(load_config(config_path))
    (tmp_path / "out.opml").write_text(text, encoding="utf-8")
    fresh = tmp_path / "fresh" / "newsdesk.toml"
    fresh.parent.mkdir()
    fresh.write_text("[site]\n", encoding="utf-8")
    import_opml(load_config(fresh), tmp_path / "out.opml")
    before = [(s.name, s.url, s.category) for s in load_config(config_path).sources if s.kind == "feed"]
    after = [(s.name, s.url, s.category) for s in load_config(fresh).sources]
    assert after == before


def test_cli_import_and_export(config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_path), "sources", "import",
                 str(FIXTURES / "reader_export_nested.opml")]) == 0
    out = capsys.readouterr().out
    assert "added Hacker News: https://news.ycombinator.com/rss" in out
    assert "imported 3 sources" in out and "(1 skipped)" in out
    assert main(["--config", str(config_path), "sources", "export", "-o", str(tmp_path / "x.opml")]) == 0
    assert "left out 东财媒体" in capsys.readouterr().err
    assert len(read_opml(tmp_path / "x.opml")) == 4
    assert main(["--config", str(config_path), "sources", "import", str(tmp_path / "missing.opml")]) == 2
