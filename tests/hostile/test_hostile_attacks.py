"""Attack inputs through the real pipeline: entity tricks, path escapes, titles that break formats.

Every case fetches from a loopback outlet with `pipeline.fetch`, then builds the site and
exports Jekyll through the CLI, and checks each output: files only inside their folder,
titles back exactly from the page's HTML, the Atom feed's XML, the JSON Feed and the
post's YAML front matter, and no Liquid run by a real `jekyll build` where it exists.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import shutil
import subprocess
import time
import tracemalloc
import unicodedata
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from hostile_world import assert_no_duplicates, fetch_all, load, write_config

import faults
import feedmaker
from faults import FaultyOutlet
from newsdesk.cli import main
from newsdesk.store import open_store
from newsdesk.urls import post_path

WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=feedmaker.BEIJING)
ATOM = "{http://www.w3.org/2005/Atom}"


def json_feed(items: list[dict[str, object]]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items}).encode()


def item(guid: str, title: str, body: str = "<p>正文</p>") -> dict[str, object]:
    link = f"https://news.example.com/{hashlib.sha1(guid.encode('utf-8', 'surrogatepass')).hexdigest()}.html"
    return {"id": guid, "title": title, "content_html": body, "url": link,
            "date_published": WHEN.isoformat()}


def build_and_export(config_path: Path, jekyll_dir: Path) -> None:
    assert main(["--config", str(config_path), "build"]) == 0
    assert main(["--config", str(config_path), "export", "jekyll", str(jekyll_dir)]) == 0


def files_under(root: Path) -> list[Path]:
    return [Path(folder, name) for folder, _, names in os.walk(root) for name in names]


# ------------------------------------------------------------------ entity expansion


def test_external_entity_is_never_read(faulty: FaultyOutlet, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           '<rss version="2.0"><channel><title>t</title><item><guid>x-1</guid><title>a &xxe; b</title>'
           '<description>&xxe;</description></item></channel></rss>').encode()
    good = faulty.add("/good", faults.ok(feedmaker.rss2(feedmaker.entries("g", 2))))
    config_path = write_config(tmp_path, [("xxe", faulty.add("/xxe", faults.ok(xxe))), ("good", good)])
    run = fetch_all(load(config_path))
    assert run.reports["good"].new == 2
    build_and_export(config_path, tmp_path / "jekyll")
    with open_store(load(config_path).store.path) as store:
        everything = [repr(s.article) for s in store.iter_articles()]
    assert not any("TOP-SECRET" in text for text in everything)
    for path in files_under(tmp_path / "public") + files_under(tmp_path / "jekyll"):
        assert b"TOP-SECRET" not in path.read_bytes(), path


def test_billion_laughs_is_bounded(faulty: FaultyOutlet, tmp_path: Path) -> None:
    levels = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    laughs = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'
              '<rss version="2.0"><channel><title>t</title><item><guid>b-1</guid><title>&l9;</title>'
              '<description>&l9;</description></item></channel></rss>').encode()
    good = faulty.add("/good", faults.ok(feedmaker.rss2(feedmaker.entries("g", 2))))
    config = load(write_config(tmp_path, [("laughs", faulty.add("/lol", faults.ok(laughs))), ("good", good)]))
    tracemalloc.start()
    try:
        run = fetch_all(config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"billion laughs: {run.elapsed_s:.2f} s, peak {peak / 1e6:.1f} MB, {run.reports['laughs']}")
    # expat stops the expansion at its amplification limit, after about 70 MB and 2-3 s
    assert run.elapsed_s < 60 and peak < 160 * faults.MB
    assert run.reports["laughs"].status == "ok"
    assert run.reports["good"].new == 2
    with open_store(config.store.path) as store:
        sizes = [len(s.article.title) + len(s.article.body_html) for s in store.iter_articles(source="laughs")]
    assert all(size < 10_000 for size in sizes)  # never 3 * 10**9 characters of "lol"


# ------------------------------------------------------------------ path escapes

HOSTILE_IDS = ["../../../escaped", "/etc/passwd", "%2e%2e/%2e%2e/escaped", "..%2f..%2fescaped", "a\x00b",
               "..\\..\\windows", "C:\\Windows\\evil", "x" * 10_000, "CON", "NUL", "con.txt", "aux", ".", "..",
               "", " ", "~/x", "a/../../b", "\u202e/evil", "ＣＯＮ", "-", ".hidden"]
HOSTILE_OUTLETS = ["../../outlet", "/abs/outlet", "%2e%2e", "CON", "NUL", "a\\b", "o" * 10_000, ".."]


def test_ids_and_outlet_names_stay_inside_the_output(faulty: FaultyOutlet, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    items = [item(guid or f"blank-{n}", f"标题{n}") if guid.strip() else item(guid, f"标题{n}")
             for n, guid in enumerate(HOSTILE_IDS)]
    sources = [("ids", faulty.add("/ids", faults.ok(json_feed(items), "application/feed+json")))]
    for n, outlet in enumerate(HOSTILE_OUTLETS):
        body = json_feed([item(f"o-{n}", f"出口{n}")])
        sources.append((outlet, faulty.add(f"/outlet{n}", faults.ok(body, "application/feed+json"))))
    config_path = write_config(work, sources)
    config = load(config_path)
    run = fetch_all(config)
    assert all(r.status == "ok" for r in run.reports.values()), run.reports
    before = sorted(p.name for p in tmp_path.iterdir())
    build_and_export(config_path, work / "jekyll")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written beside the work folder
    for root in (work / "public", work / "jekyll"):
        for path in files_under(root):
            assert path.resolve().is_relative_to(root.resolve()), path
            assert len(path.name.encode()) <= 255 and "\x00" not in str(path)
    assert not list(tmp_path.rglob("escaped")) and not Path("/etc/passwd.html").exists()

    with open_store(config.store.path) as store:
        stored = [s.article for s in store.iter_articles()]
    tz = config.site.tz
    pages = {post_path(a.category, a.published_at, a.id, tz) for a in stored}
    posts = list((work / "jekyll" / "_posts").glob("*.md"))
    assert len(pages) == len(stored) == len(posts)  # distinct ids, distinct files
    for page in pages:
        assert (work / "public" / page).is_file(), page
    assert_no_duplicates(config)


# ------------------------------------------------------------------ titles that break formats

HOSTILE_TITLES = {
    "quotes": "他说\"涨\"，'跌' `x` “引” ‘号’",
    "yaml-document": "---\ntitle: pwned\n---",
    "yaml-syntax": "key: value # comment & *anchor !!python/object:os.system [a, b] {c: d} | > %",
    "liquid-output": "{{ site.github }} {{ page.title | upcase }}",
    "liquid-tag": "{% include x %}{% raw %}{% endraw %}{% comment %}",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)> &amp; &lt;",
    "xml-cdata": "]]><![CDATA[ <x/> ]]>",
    "json": '{"a": [1, "\\u0000"]}\\',
    "markdown": "# h1 *em* **b** [link](javascript:alert(1)) ![i](x) <http://x> | a | b |\n---",
    "bidi": "\u202egnp.exe\u202c \u2066isolate\u2069 \u200f",
    "zero-width": "a\u200bb\u200cc\u200dd\ufeffe\u2060f",
    "controls": "a\x01b\x07c\x1bd\x7fe\x85f\u2028g\u2029h",
    "entity-text": "&#x3C;script&#x3E; &lt;b&gt; &amp;amp;",
    "emoji-astral": "𝔘𝔫𝔦 😀 𠀀 \U0010fffd",
}


# what each title must still hold after clean (which makes titles plain text: tags go, entities
# are read once, line breaks become spaces)
MUST_KEEP = {"quotes": "他说\"涨\"，'跌' `x` “引” ‘号’", "yaml-document": "--- title: pwned ---",
             "yaml-syntax": HOSTILE_TITLES["yaml-syntax"], "liquid-output": HOSTILE_TITLES["liquid-output"],
             "liquid-tag": HOSTILE_TITLES["liquid-tag"], "xml-cdata": "]]>", "json": HOSTILE_TITLES["json"],
             "markdown": "[link](javascript:alert(1))", "bidi": "gnp.exe", "zero-width": "a b",
             "controls": "a", "entity-text": "<script> <b> &amp;", "emoji-astral": "𝔘𝔫𝔦 😀 𠀀"}


class _TitleFinder(html.parser.HTMLParser):
    """The text of the first <h1> and of <title>, entities decoded as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.where: str | None = None
        self.found: dict[str, str] = {}
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "title") and tag not in self.found:
            self.where, self.found[tag] = tag, ""
        if tag == "script" and not any(k == "src" for k, _ in attrs):
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self.where:
            self.where = None

    def handle_data(self, data: str) -> None:
        if self.where:
            self.found[self.where] += data


def test_hostile_titles_survive_every_output(faulty: FaultyOutlet, tmp_path: Path) -> None:
    items = [item(f"t-{name}", title) for name, title in HOSTILE_TITLES.items()]
    url = faulty.add("/titles", faults.ok(json_feed(items), "application/feed+json"))
    config_path = write_config(tmp_path, [("titles", url)])
    config = load(config_path)
    report = fetch_all(config).reports["titles"]
    assert (report.status, report.new) == ("ok", len(HOSTILE_TITLES))
    build_and_export(config_path, tmp_path / "jekyll")
    with open_store(config.store.path) as store:
        stored = {s.article.id: s.article for s in store.iter_articles()}
    out = tmp_path / "public"
    atom = {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}title")
            for e in ET.parse(out / "feed.xml").getroot().iter(f"{ATOM}entry")}
    json_titles: dict[str, str] = {}
    if (out / "feed.json").is_file():
        json_titles = {i["id"]: i["title"] for i in json.loads((out / "feed.json").read_text("utf-8"))["items"]}
    for name in HOSTILE_TITLES:
        article = stored[f"t-{name}"]
        title = article.title
        assert MUST_KEEP.get(name, "") in title, (name, title)
        assert not any(unicodedata.category(c) == "Cc" or "\u202a" <= c <= "\u202e" for c in title), name
        page = out / post_path(article.category, article.published_at, article.id, config.site.tz)
        finder = _TitleFinder()
        finder.feed(page.read_text("utf-8"))
        assert finder.found["h1"] == title, name
        assert title in finder.found["title"], name
        assert title in atom.values(), name
        if json_titles:
            assert title in json_titles.values(), name
        post = next((tmp_path / "jekyll" / "_posts").glob(f"*-{article.id if article.id.isascii() else ''}*.md"))
        front = yaml.safe_load(post.read_text("utf-8").split("---\n", 2)[1])
        assert front["title"] == title, name
    for page in files_under(out):
        if page.suffix == ".html":
            finder = _TitleFinder()
            finder.feed(page.read_text("utf-8"))
            assert "alert(" not in "".join(finder.found.values()) or finder.scripts == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("jekyll") is None, reason="jekyll is not installed")
def test_real_jekyll_runs_no_liquid_from_articles(faulty: FaultyOutlet, tmp_path: Path) -> None:
    names = ["liquid-output", "liquid-tag", "yaml-document", "quotes", "markdown"]
    items = [item(f"t-{n}", HOSTILE_TITLES[n], body=f"<p>{n}: {{{{ site.time }}}} {{% include x %}}</p>")
             for n in names]
    url = faulty.add("/titles", faults.ok(json_feed(items), "application/feed+json"))
    config_path = write_config(tmp_path, [("titles", url)])
    fetch_all(load(config_path))
    site = tmp_path / "jekyll"
    build_and_export(config_path, site)
    started = time.monotonic()
    done = subprocess.run(["jekyll", "build", "--safe", "-s", str(site), "-d", str(tmp_path / "_site")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    print(f"jekyll build of {len(names)} hostile posts: {time.monotonic() - started:.1f} s")
    built = "\n".join(p.read_text("utf-8") for p in (tmp_path / "_site").rglob("*.html"))
    assert "{{ site.github }}" in built and "{% include x %}" in built and "{{ site.time }}" in built
    assert "pwned" not in built.split("<title>")[0]
