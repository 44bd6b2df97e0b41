"""newsdesk.toml validation: every problem reported at once, with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.config import PRESETS, load_config, parse_config, parse_interval
from newsdesk.errors import ConfigError

GOOD = """\
[site]
title = "金融消息"
base_url = "https://news.example.com/"
timezone = "Asia/Shanghai"
output = "public"
live_days = 3

[store]
path = ".newsdesk/newsdesk.db"

[fetch]
concurrency = 16
timeout = 20

[[sources]]
name = "南方Plus"
kind = "feed"
url = "https://example.com/rss.xml"

[[sources]]
name = "东财媒体"
kind = "json"
url = "http://example.com/webapi?type=45&count=100"
preset = "eastmoney-media"
fulltext_url = "http://example.com/GetNewsText.do?id={id}"
interval = "30s"
"""


def test_good_config_loads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "newsdesk.toml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert config.site.base_url == "https://news.example.com"
    assert config.site.output == path.parent / "public"
    assert config.store.path == path.parent / ".newsdesk/newsdesk.db"
    assert config.fetch.timeout_s == 20.0
    assert [s.name for s in config.sources] == ["南方Plus", "东财媒体"]
    media = config.source("东财媒体")
    assert (media.kind, media.preset, media.interval_s) == ("json", "eastmoney-media", 30.0)
    assert config.sources[0].interval_s == 300.0
    assert config.sources[0].timezone == "Asia/Shanghai"


BAD = [
    ("unknown-key", '[site]\ntitle = "x"\ncolour = "red"\n', 3, "site.colour: unknown key"),
    ("wrong-type", "[fetch]\ntimeout = \"fast\"\n", 2, "fetch.timeout: expected a number"),
    ("bool-as-int", "[fetch]\nconcurrency = true\n", 2, "fetch.concurrency: expected an integer"),
    ("bad-url", '[[sources]]\nname = "a"\nurl = "ftp://x/feed"\n', 3, "sources[0].url: expected an http(s) URL"),
    ("no-host", '[[sources]]\nname = "a"\nurl = "http:///feed"\n', 3, "sources[0].url"),
    ("bad-timezone", '[site]\ntimezone = "Asia/Peking"\n', 2, "site.timezone: unknown timezone"),
    ("bad-kind", '[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/"\n', 3,
     "sources[0].kind: expected feed, json or html"),
    ("bad-preset", '[[sources]]\nname = "a"\nkind = "json"\nurl = "http://x/"\npreset = "sina"\n', 5,
     "sources[0].preset"),
    ("bad-interval", '[[sources]]\nname = "a"\nurl = "http://x/"\ninterval = "soon"\n', 4,
     "sources[0].interval"),
    ("bad-category", '[[sources]]\nname = "a"\nurl = "http://x/"\ncategory = "a b(c)"\n', 4,
     "sources[0].category: only letters, digits and '-'"),
    ("negative", "[fetch]\nretries = -1\n", 2, "fetch.retries: must be at least 0"),
    ("search-not-bool", '[site]\nsearch = "no"\n', 2, "site.search: expected"),
    ("json-without-fields", '[[sources]]\nname = "a"\nkind = "json"\nurl = "http://x/"\n', 1,
     "a json source needs a preset or fields.title"),
]


@pytest.mark.parametrize(("text", "line", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_names_file_line_and_key(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "newsdesk.toml"
    with pytest.raises(ConfigError) as info:
        parse_config(text, path)
    assert f"{path}:{line}: " in str(info.value)
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_duplicate_names_point_at_the_second(tmp_path: Path) -> None:
    text = '[[sources]]\nname = "a"\nurl = "http://x/1"\n\n[[sources]]\nname = "a"\nurl = "http://x/2"\n'
    with pytest.raises(ConfigError, match=r":6: sources\[1\]\.name: duplicate source name 'a' \(also sources\[0\]\)"):
        parse_config(text, tmp_path / "n.toml")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = '[site]\ntimezone = "Nowhere/Land"\nbase_url = "not a url"\n[[sources]]\nname = ""\nurl = "x"\n'
    with pytest.raises(ConfigError) as info:
        parse_config(text, tmp_path / "n.toml")
    assert len(info.value.problems) == 4


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"n\.toml:3: invalid TOML"):
        parse_config('[site]\ntitle = "x"\ntitle = = 1\n', tmp_path / "n.toml")


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="newsdesk init"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize(("raw", "seconds"), [("5m", 300), ("30s", 30), ("1h", 3600), ("2d", 172800),
                                              (90, 90), ("1.5m", 90), ("45", 45)])
def test_intervals(raw: str | int, seconds: float) -> None:
    assert parse_interval(raw) == seconds


@pytest.mark.parametrize("raw", ["0s", "-5m", "soon", "5 minutes", True])
def test_bad_intervals(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_interval(raw)  # type: ignore[arg-type]


def test_presets_in_config_match_the_preset_table() -> None:
    presets = pytest.importorskip("newsdesk.parse.presets")
    assert set(presets.PRESETS) == set(PRESETS)
