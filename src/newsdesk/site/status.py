"""/status.html and /status.json: every source's health, for readers of the site and for monitors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from markupsafe import escape

from newsdesk import urls
from newsdesk.config import SiteConfig
from newsdesk.models import SourceHealth, SourceState
from newsdesk.site.write import write_atomic
from newsdesk.store.base import Store

STATUS_HTML = "status.html"
STATUS_JSON = "status.json"
WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One source's row: its fetch record joined with the last day's numbers."""

    source: str
    articles: int
    articles_24h: int
    fetches_24h: int
    median_fetch_s: float | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None  # credentials in URLs masked
    last_error_at: datetime | None
    failing_since: datetime | None
    consecutive_failures: int

    @property
    def ok(self) -> bool:
        """True unless the latest attempt failed."""
        return self.consecutive_failures == 0

    def as_json(self) -> dict[str, object]:
        """The source's object in /status.json and `status --json`."""
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"source": self.source, "ok": self.ok, "articles": self.articles,
                "articles_24h": self.articles_24h, "fetches_24h": self.fetches_24h,
                "median_fetch_s": None if self.median_fetch_s is None else round(self.median_fetch_s, 3),
                "last_success": iso(self.last_success_at), "last_attempt": iso(self.last_attempt_at),
                "last_error": self.last_error, "last_error_at": iso(self.last_error_at),
                "failing_since": iso(self.failing_since), "consecutive_failures": self.consecutive_failures}


def _masked(error: str | None) -> str | None:
    """The error with credentials in URLs masked."""
    if not error:
        return None
    from newsdesk.publish.secrets import redact  # imported on the first error: most builds show none

    return redact(error)


def source_statuses(states: list[SourceState], health: dict[str, SourceHealth]) -> list[SourceStatus]:
    """Join fetch states with the last day's health figures, in the order of `states`."""
    rows = []
    for s in states:
        h = health.get(s.source, SourceHealth(source=s.source))
        rows.append(SourceStatus(
            source=s.source, articles=s.article_count, articles_24h=h.new_articles, fetches_24h=h.fetches,
            median_fetch_s=h.median_fetch_s, last_success_at=s.last_success_at,
            last_attempt_at=s.last_attempt_at, last_error=_masked(s.last_error),
            last_error_at=s.last_error_at, failing_since=s.failing_since,
            consecutive_failures=s.consecutive_failures))
    return rows


def gather_status(store: Store, now: datetime | None = None) -> tuple[list[SourceStatus], datetime]:
    """Every source the store knows with its figures for the day before the latest poll, and that poll's time.

    Anchored at the latest poll rather than the clock, so a rebuild without a new
    fetch writes the same bytes (and a change-aware publish sees no change). Raises StoreError.
    """
    states = store.source_states()
    attempts = [s.last_attempt_at for s in states if s.last_attempt_at is not None]
    moment = max(attempts) if attempts else (now or datetime.now(UTC))
    return source_statuses(states, store.source_health(moment - WINDOW)), moment


# The page is filled by str.format with every value escaped as Jinja's autoescape does (markupsafe):
# compiling a Jinja template for this one page cost ~3 ms a build. CSS braces are doubled.
_PAGE = """<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Status · {title}</title>
<link rel="stylesheet" href="/static/style.css">
<style>
body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;width:100%}}th,td{{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:left}}
td.n{{text-align:right}}tr.failing td{{background:#fdecea}}.err{{color:#a40000}}
</style>
</head>
<body>
<main>
<h1>Status · <a href="/index.html">{title}</a></h1>
<p>{count} sources, {failing} failing. As of the latest poll, <time datetime="{generated_iso}">{generated}</time>.</p>
<table>
<thead><tr><th>source</th><th>articles</th><th>last 24 h</th><th>median fetch</th><th>last success</th><th>last error</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
</main>
</body>
</html>"""
_ROW_HTML = """<tr class="{state}">
<td>{source}</td><td class="n">{articles}</td><td class="n">{articles_24h}</td>
<td class="n">{median}</td><td>{last_success}</td>
<td>{error}</td>
</tr>
"""


def _page(language: str, title: str, rows: list[dict[str, object]], failing: int, generated: str,
          generated_iso: str) -> str:
    """The status page's HTML, every value escaped."""
    lines = []
    for r in rows:
        error = f'<span class="err">{escape(r["error"])}</span>' if r["error"] else "-"
        lines.append(_ROW_HTML.format(state="ok" if r["ok"] else "failing", source=escape(r["source"]),
                                      articles=escape(r["articles"]), articles_24h=escape(r["articles_24h"]),
                                      median=escape(r["median"]), last_success=escape(r["last_success"]),
                                      error=error))
    return _PAGE.format(language=escape(language), title=escape(title), count=len(rows), failing=failing,
                        generated=escape(generated), generated_iso=escape(generated_iso), rows="".join(lines))


def _when(value: datetime | None, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def render_status(rows: list[SourceStatus], site: SiteConfig, now: datetime) -> tuple[bytes, bytes]:
    """The HTML page and the JSON document for `rows`."""
    tz = site.tz
    view = []
    for r in rows:
        error = None
        if not r.ok:
            error = (f"{r.last_error} (failing since {_when(r.failing_since, tz)}, "
                     f"{r.consecutive_failures} attempts in a row)")
        view.append({"source": r.source, "ok": r.ok, "articles": r.articles, "articles_24h": r.articles_24h,
                     "median": "-" if r.median_fetch_s is None else f"{r.median_fetch_s:.2f} s",
                     "last_success": _when(r.last_success_at, tz), "error": error})
    html = _page(site.language, site.title, view, sum(not r.ok for r in rows), _when(now, tz),
                 now.astimezone(tz).isoformat(timespec="seconds"))
    return html.encode("utf-8"), status_json(now, rows).encode("utf-8")


# json.dumps(indent=1) falls back to the pure-Python encoder (~2 ms for 300 sources); each row is flat,
# so the C encoder with these separators writes the same text (strings never hold a raw newline)
_ROW = json.JSONEncoder(ensure_ascii=False, separators=(",\n   ", ": "))


def status_json(now: datetime, rows: list[SourceStatus]) -> str:
    """/status.json: the text json.dumps(..., ensure_ascii=False, indent=1) gives, plus a newline."""
    head = f'{{\n "as_of": {json.dumps(now.isoformat())},\n "sources": '
    if not rows:
        return head + "[]\n}\n"
    body = ",\n".join("  {\n   " + _ROW.encode(r.as_json())[1:-1] + "\n  }" for r in rows)
    return head + "[\n" + body + "\n ]\n}\n"


def write_status(store: Store, site: SiteConfig, now: datetime | None = None, *,
                 durable: bool = True) -> list[str]:
    """Write status.html and status.json into site.output (unless turned off); returns their paths.

    `durable=False` skips the two fsyncs, for a caller that flushes the folder itself
    afterwards (as write_atomic's). Raises OutputError, StoreError.
    """
    if not site.status_page:
        return []
    rows, moment = gather_status(store, now)
    html, data = render_status(rows, site, moment)
    for name, body in ((STATUS_HTML, html), (STATUS_JSON, data)):
        write_atomic(urls.resolve_inside(site.output, name), body, durable=durable)
    return [STATUS_HTML, STATUS_JSON]
