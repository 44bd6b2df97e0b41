"""The preset table and how a source's own settings lay over it."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk import config
from newsdesk.config import SourceConfig
from newsdesk.parse.presets import PRESETS, Preset, preset_category, resolve


def source(preset: str | None = None, **kwargs: Any) -> SourceConfig:
    return SourceConfig(name="东财", kind="json", url="http://127.0.0.1/list", preset=preset, **kwargs)


def test_preset_names_are_exactly_the_ones_config_accepts() -> None:
    assert tuple(PRESETS) == config.PRESETS


@pytest.mark.parametrize("name", config.PRESETS)
def test_every_preset_maps_only_known_field_names(name: str) -> None:
    preset = PRESETS[name]
    assert set(preset.fields) <= set(config.FIELD_NAMES)
    assert {"id", "title", "published", "fulltext_key"} <= set(preset.fields)
    assert preset.fulltext_fields == ("text", "content")


@pytest.mark.parametrize(("name", "items", "ident", "key", "published", "outlet", "fixed"), [
    ("eastmoney-rolling", "records", "id", "infoCode", "showtime", None, "东财滚动"),
    ("eastmoney-media", "nodeList", "infocode", "infocode", "showtime", "from", None),
    ("eastmoney-market", "record", "infoCode", "infoCode", "datetime", "medianame", None),
])
def test_preset_table_matches_the_apis(name: str, items: str, ident: str, key: str, published: str,
                                       outlet: str | None, fixed: str | None) -> None:
    preset = PRESETS[name]
    assert (preset.items, preset.fields["id"], preset.fields["fulltext_key"], preset.fields["published"],
            preset.fields.get("outlet"), preset.outlet) == (items, ident, key, published, outlet, fixed)


def test_rolling_preset_links_url_w_quotes_the_digest_and_fixes_the_category() -> None:
    rolling = PRESETS["eastmoney-rolling"]
    assert rolling.fields["url"] == "url_w" and rolling.fields["lead"] == "digest"
    assert rolling.strip_lead_prefix and rolling.category == "emnews"


def test_presets_cannot_be_changed_in_place() -> None:
    with pytest.raises(TypeError):
        PRESETS["eastmoney-media"].fields["title"] = "x"  # type: ignore[index]


def test_resolve_without_overrides_is_the_preset() -> None:
    assert resolve(source("eastmoney-media")) == PRESETS["eastmoney-media"]


def test_resolve_lays_source_settings_over_the_preset() -> None:
    merged = resolve(source("eastmoney-media", items="data.nodeList", fields={"title": "headline"},
                            fulltext_field="data.body"))
    assert merged.items == "data.nodeList"
    assert merged.fields["title"] == "headline" and merged.fields["id"] == "infocode"
    assert merged.fulltext_fields == ("data.body",)
    assert PRESETS["eastmoney-media"].fields["title"] == "title"  # the table itself is untouched


def test_resolve_without_preset_builds_from_the_config() -> None:
    merged = resolve(source(items="data", fields={"title": "t", "id": "i"}))
    assert merged == Preset(items="data", fields={"title": "t", "id": "i"})
    assert merged.outlet is None and merged.category is None and not merged.strip_lead_prefix
    assert resolve(source(fields={"title": "t"})).items == ""  # the answer itself is the list


@pytest.mark.parametrize(("src", "category"), [
    (source("eastmoney-rolling"), "emnews"),
    (source("eastmoney-rolling", category="kuaixun"), "kuaixun"),
    (source("eastmoney-media"), None),
    (source("eastmoney-market", category="shichang"), "shichang"),
    (source(fields={"title": "t"}), None),
], ids=["rolling", "rolling-own", "media", "market-own", "custom"])
def test_preset_category(src: SourceConfig, category: str | None) -> None:
    assert preset_category(src) == category
