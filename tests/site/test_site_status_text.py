"""/status.json and /status.html come out byte for byte as json.dumps(indent=1) and Jinja wrote them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jinja2
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.config import SiteConfig
from newsdesk.site.status import SourceStatus, render_status, status_json

NOW = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
moments = st.none() | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                                   timezones=st.just(UTC))
rows = st.builds(
    SourceStatus, source=st.text(min_size=1), articles=st.integers(0, 10**7), articles_24h=st.integers(0, 10**5),
    fetches_24h=st.integers(0, 10**4),
    median_fetch_s=st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False),
    last_success_at=moments, last_attempt_at=moments, last_error=st.none() | st.text(),
    last_error_at=moments, failing_since=moments, consecutive_failures=st.integers(0, 10**6))


def _indented(now: datetime, statuses: list[SourceStatus]) -> str:
    """What status.json held when it was written with json.dumps(indent=1)."""
    data = {"as_of": now.isoformat(), "sources": [r.as_json() for r in statuses]}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


@given(st.lists(rows, max_size=5))
def test_status_json_text_is_what_indented_json_gives(statuses: list[SourceStatus]) -> None:
    assert status_json(NOW, statuses) == _indented(NOW, statuses)


def test_no_sources_gives_an_empty_list() -> None:
    assert status_json(NOW, []) == _indented(NOW, [])
    assert json.loads(status_json(NOW, [])) == {"as_of": NOW.isoformat(), "sources": []}


def test_quotes_newlines_and_chinese_survive() -> None:
    row = SourceStatus(source='清远"日报"\n', articles=3, articles_24h=1, fetches_24h=2, median_fetch_s=0.25,
                       last_success_at=NOW - timedelta(minutes=5), last_attempt_at=NOW, last_error="超时\t\u2028",
                       last_error_at=NOW, failing_since=NOW, consecutive_failures=2)
    text = status_json(NOW, [row, row])
    assert text == _indented(NOW, [row, row])
    assert json.loads(text)["sources"][0]["source"] == '清远"日报"\n'
    assert "清远" in text  # written as UTF-8 text, not \\u escapes


# the page as a Jinja template, as status.py rendered it before it filled the page itself
OLD_PAGE = """<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Status · {{ title }}</title>
<link rel="stylesheet" href="/static/style.css">
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right}tr.failing td{background:#fdecea}.err{color:#a40000}
</style>
</head>
<body>
<main>
<h1>Status · <a href="/index.html">{{ title }}</a></h1>
<p>{{ rows|length }} sources, {{ failing }} failing. As of the latest poll, <time datetime="{{ generated_iso }}">{{ generated }}</time>.</p>
<table>
<thead><tr><th>source</th><th>articles</th><th>last 24 h</th><th>median fetch</th><th>last success</th><th>last error</th></tr></thead>
<tbody>
{% for r in rows %}<tr class="{{ 'ok' if r.ok else 'failing' }}">
<td>{{ r.source }}</td><td class="n">{{ r.articles }}</td><td class="n">{{ r.articles_24h }}</td>
<td class="n">{{ r.median }}</td><td>{{ r.last_success }}</td>
<td>{% if r.error %}<span class="err">{{ r.error }}</span>{% else %}-{% endif %}</td>
</tr>
{% endfor %}</tbody>
</table>
</main>
</body>
</html>
"""


def _jinja_html(statuses: list[SourceStatus], site: SiteConfig) -> bytes:
    """The page as the Jinja template renders it, from the same view rows render_status builds."""
    tz = site.tz

    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else "-"

    view = [{"source": r.source, "ok": r.ok, "articles": r.articles, "articles_24h": r.articles_24h,
             "median": "-" if r.median_fetch_s is None else f"{r.median_fetch_s:.2f} s",
             "last_success": when(r.last_success_at),
             "error": None if r.ok else (f"{r.last_error} (failing since {when(r.failing_since)}, "
                                         f"{r.consecutive_failures} attempts in a row)")} for r in statuses]
    page = jinja2.Environment(autoescape=True).from_string(OLD_PAGE)
    return page.render(language=site.language, title=site.title, rows=view, failing=sum(not r.ok for r in statuses),
                       generated=when(NOW), generated_iso=NOW.astimezone(tz).isoformat(timespec="seconds")
                       ).encode("utf-8")


@given(st.lists(rows, max_size=4), st.text(), st.sampled_from(["zh-CN", 'x"<&>\'']))
def test_status_html_is_what_the_jinja_template_gave(statuses: list[SourceStatus], title: str,
                                                    language: str) -> None:
    site = SiteConfig(title=title, language=language)
    html, _ = render_status(statuses, site, NOW)
    assert html == _jinja_html(statuses, site)


def test_status_html_escapes_markup_in_names_and_errors() -> None:
    row = SourceStatus(source="<script>x</script>", articles=1, articles_24h=0, fetches_24h=1, median_fetch_s=None,
                       last_success_at=None, last_attempt_at=NOW, last_error="bad & <b>worse</b> {0}",
                       last_error_at=NOW, failing_since=NOW, consecutive_failures=1)
    site = SiteConfig(title="{title} & co")
    html, _ = render_status([row], site, NOW)
    assert html == _jinja_html([row], site)
    text = html.decode("utf-8")
    assert "<script>" not in text and "&lt;b&gt;worse&lt;/b&gt; {0}" in text and "{title} &amp; co" in text
