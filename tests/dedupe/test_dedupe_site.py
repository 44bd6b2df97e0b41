"""The site shows one story once: home lists it once, its pages say who else reported it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedmaker
from loopback import Outlet
from newsdesk import pipeline, urls
from newsdesk.config import load_config
from newsdesk.store.sqlite import open_store

PAIRS = json.loads((Path(__file__).parent / "fixtures" / "pairs.json").read_text(encoding="utf-8"))
BEIJING = timezone(timedelta(hours=8))
WHEN = datetime.now(BEIJING).replace(microsecond=0) - timedelta(hours=2)


def entry(key: str, guid: str, link: str, minutes: int) -> feedmaker.Entry:
    a = PAIRS["articles"][key]
    return feedmaker.Entry(guid=guid, title=a["title"], link=link, published=WHEN + timedelta(minutes=minutes),
                           body=f"<p>{a['text']}</p>")


def test_story_once_on_home_and_also_reported_by_on_its_pages(outlet: Outlet, tmp_path: Path) -> None:
    wire = outlet.serve("/wire", feedmaker.rss2([entry("s02", "x-1", "https://xinhua.example.com/1.html", 0)]))
    quote = outlet.serve("/quote", feedmaker.rss2([
        entry("s02r", "q-1", "https://quote.example.com/1.html", 10),  # rewrite: its own page
        entry("s02", "q-2", "https://quote.example.com/2.html", 20),  # exact copy: an alias, no page
        entry("s02n", "q-3", "https://quote.example.com/3.html", 30),  # another story
    ]))
    path = tmp_path / "newsdesk.toml"
    path.write_text('[site]\noutput = "public"\n[fetch]\ntimeout = 3\n'
                    f'[[sources]]\nname = "新华财经"\nurl = "{wire}"\n[[sources]]\nname = "证券时报"\nurl = "{quote}"\n',
                    encoding="utf-8")
    config = load_config(path)
    with open_store(config.store.path) as store:
        pipeline.fetch(config, store, sources=config.sources[:1])
        pipeline.fetch(config, store, sources=config.sources[1:])
        arts = {s.article.id: s.article for s in store.iter_articles()}
        pipeline.build(config, store)
    out = config.site.output
    assert set(arts) == {"x-1", "q-1", "q-3"}

    def page(article_id: str) -> str:
        a = arts[article_id]
        return (out / urls.post_path(a.category, a.published_at, a.id, config.site.tz)).read_text("utf-8")

    wire_page = page("x-1")
    assert "其他来源也报道了" in wire_page
    q1 = arts["q-1"]
    assert f'href="{urls.href(urls.post_path(q1.category, q1.published_at, q1.id, config.site.tz))}"' in wire_page
    assert ('<a href="https://quote.example.com/2.html" rel="noopener noreferrer nofollow">证券时报：'
            f'{PAIRS["articles"]["s02"]["title"]}</a>') in wire_page
    rewrite_page = page("q-1")
    assert "其他来源也报道了" in rewrite_page and "新华财经：" in rewrite_page
    assert "其他来源也报道了" not in page("q-3")

    home = (out / "index.html").read_text("utf-8")
    latest = home.split('<section class="latest">', 1)[1].split("</section>", 1)[0]
    titles = [PAIRS["articles"][k]["title"] for k in ("s02", "s02r", "s02n")]
    # the newest report of the story stands for it in the latest list; the other story is listed too
    assert latest.count(titles[1]) == 1 and titles[0] not in latest and titles[2] in latest
    outlet_page = (out / urls.category_path(q1.category).lstrip("/")).read_text("utf-8")
    assert titles[1] in outlet_page and titles[2] in outlet_page  # the outlet page lists its own article
