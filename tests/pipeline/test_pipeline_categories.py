"""Category slugs through the pipeline: per-source and per-outlet overrides, stability, collisions."""

from __future__ import annotations

import json
from pathlib import Path

from loopback import Outlet
from newsdesk import pipeline
from newsdesk.config import Config, parse_config
from newsdesk.store import open_store


def media_list(*outlets: str) -> str:
    return json.dumps({"nodeList": [
        {"infocode": f"NW{n}", "title": f"{name}的第{n}条", "showtime": "2026-11-20 10:00:00", "from": name}
        for n, name in enumerate(outlets)]}, ensure_ascii=False)


def config_for(tmp_path: Path, url: str, extra: str = "") -> Config:
    text = f"""
[fetch]
retries = 0
{extra}
[[sources]]
name = "东财媒体"
kind = "json"
url = "{url}"
preset = "eastmoney-media"
"""
    return parse_config(text, tmp_path / "newsdesk.toml")


def categories(tmp_path: Path) -> dict[str, str]:
    with open_store(tmp_path / ".newsdesk" / "newsdesk.db") as store:
        return {a.article.outlet: a.article.category for a in store.iter_articles()}


def test_item_outlets_decide_categories_and_case_collisions_get_a_stable_suffix(outlet: Outlet,
                                                                                tmp_path: Path) -> None:
    url = outlet.serve("/list", media_list("TechWeb", "南方Plus"), content_type="application/json")
    config = config_for(tmp_path, url)
    with open_store(config.store.path) as store:
        pipeline.fetch(config, store)
    first = categories(tmp_path)
    assert first == {"TechWeb": "TechWeb", "南方Plus": "nanfangPlus"}

    # a different outlet whose slug differs only in case must not share the folder
    outlet.serve("/list", media_list("TechWeb", "南方Plus", "Techweb"), content_type="application/json")
    with open_store(config.store.path) as store:
        pipeline.fetch(config, store)
    second = categories(tmp_path)
    assert second["TechWeb"] == "TechWeb" and second["南方Plus"] == "nanfangPlus"
    assert second["Techweb"].startswith("Techweb-") and len(second["Techweb"]) == len("Techweb-") + 6


def test_config_overrides_per_outlet_and_per_source(outlet: Outlet, tmp_path: Path) -> None:
    url = outlet.serve("/list", media_list("21世纪经济报道", "券商中国"), content_type="application/json")
    config = config_for(tmp_path, url, '[categories]\n"21世纪经济报道" = "21jingji"\n')
    with open_store(config.store.path) as store:
        pipeline.fetch(config, store)
    assert categories(tmp_path) == {"21世纪经济报道": "21jingji", "券商中国": "quanshangzhongguo"}

    other = tmp_path / "other"
    other.mkdir()
    config = parse_config(f"""
[[sources]]
name = "东财媒体"
kind = "json"
url = "{url}"
preset = "eastmoney-media"
category = "dongcaimeiti"
""", other / "newsdesk.toml")
    with open_store(config.store.path) as store:
        pipeline.fetch(config, store)
    assert set(categories(other).values()) == {"dongcaimeiti"}
