"""Commands, printing and exit codes; no pipeline logic lives here.

Each command imports the stages it uses inside its function: `build`, `status`, `serve`
and `--help` then start without loading the fetching stack (httpx, feedparser, nh3,
pypinyin, asyncio), and rich is loaded only when output goes to a terminal.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from newsdesk import __version__
from newsdesk.config import DEFAULT_CONFIG, Config, load_config
from newsdesk.errors import ConfigError, NewsdeskError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from newsdesk.models import BuildReport, SourceReport, SourceState
    from newsdesk.schedule import Cycle
    from newsdesk.store import SqliteStore

log = logging.getLogger("newsdesk")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Output:
    """Writes for people (rich, on a terminal) or for scripts (plain lines)."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.rich = stream.isatty()

    @cached_property
    def console(self) -> Console:
        """rich's console on the same stream, made on first use (only the terminal paths draw)."""
        from rich.console import Console

        return Console(file=self.stream, highlight=False)

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[int, int], None]]:
        """A progress callback: a rich bar on a terminal, nothing otherwise."""
        if not self.rich or self.quiet:
            yield lambda done, total: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=self.console, transient=True) as bar:
            task = bar.add_task(label, total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield update


# ---------------------------------------------------------------- reports


def _fmt_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def print_fetch_reports(out: Output, reports: Sequence[SourceReport]) -> None:
    """The per-source summary: a table on a terminal, a line per source otherwise."""
    if out.rich:
        from rich.table import Table

        table = Table(title="fetch", title_justify="left")
        counted = ("new", "updated", "unchanged", "failed", "filtered", "duplicates")
        for column in ("source", *counted, "status"):
            table.add_column(column, justify="right" if column in counted else "left")
        for r in reports:
            status = "[red]" + (r.error or "failed") + "[/red]" if r.status == "failed" else r.status
            table.add_row(r.source, *(str(getattr(r, k)) for k in counted), status)
        if not out.quiet:
            out.console.print(table)
    else:
        for r in reports:
            out.line(_report_line(r))
    totals = [sum(getattr(r, k) for r in reports) for k in ("new", "updated", "unchanged")]
    failed = sum(r.status == "failed" for r in reports)
    out.line(f"fetched {_count(len(reports), 'source')}: {totals[0]} new, {totals[1]} updated, "
             f"{totals[2]} unchanged, {failed} failed")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _report_line(r: SourceReport) -> str:
    if r.status == "failed":
        return f"FAILED {r.source}: {r.error}"
    extra = f", {r.failed} items skipped" if r.failed else ""
    extra += f", {r.filtered} filtered" if r.filtered else ""
    extra += f", {_count(r.duplicates, 'duplicate')} of stored articles" if r.duplicates else ""
    if r.status == "not_modified":
        return f"ok {r.source}: not modified"
    return f"ok {r.source}: {r.new} new, {r.updated} updated, {r.unchanged} unchanged{extra}"


def print_build_report(out: Output, report: BuildReport) -> None:
    out.line(f"built {report.output}: {report.articles} articles, {report.written} files written, "
             f"{report.unchanged} unchanged, {report.removed} removed in {report.elapsed_s:.2f} s")


# ---------------------------------------------------------------- commands


def _config(args: argparse.Namespace) -> Config:
    return load_config(Path(args.config))


def _store(config: Config) -> SqliteStore:
    from newsdesk.store import open_store

    return open_store(config.store.path)


@contextmanager
def _locked_store(config: Config, purpose: str) -> Iterator[SqliteStore]:
    """The store, held against other newsdesk processes writing it or its output."""
    from newsdesk.lock import hold_lock

    with hold_lock(config.store.path, purpose), _store(config) as store:
        yield store


def _fetch_exit(reports: Sequence[SourceReport]) -> int:
    from newsdesk import pipeline

    return EXIT_FAILED if pipeline.all_failed(reports) else EXIT_OK


def cmd_init(args: argparse.Namespace, out: Output) -> int:
    folder = Path(args.dir)
    from importlib import resources

    target = folder / DEFAULT_CONFIG
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists already (use --force to overwrite)")
    folder.mkdir(parents=True, exist_ok=True)
    text = resources.files("newsdesk").joinpath("init_template.toml").read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    out.line(f"wrote {target}; edit its [[sources]], then run: newsdesk --config {target} update")
    return EXIT_OK


def _chosen_sources(config: Config, names: Sequence[str] | None) -> list[str] | None:
    if not names:
        return None
    for name in names:
        config.source(name)
    return list(names)


def _run_fetch(config: Config, store: SqliteStore, args: argparse.Namespace, out: Output) -> list[SourceReport]:
    from newsdesk import pipeline

    names = _chosen_sources(config, getattr(args, "source", None))
    sources = [s for s in config.sources if names is None or s.name in names]
    if not sources:
        raise ConfigError(f"{config.path}: no [[sources]] configured")
    as_json = getattr(args, "json", False)

    def on_report(report: SourceReport) -> None:
        if as_json:
            print(json.dumps(report.as_json(), ensure_ascii=False), file=out.stream, flush=True)
        elif not out.rich:
            out.line(_report_line(report))

    if out.rich and not as_json:
        with out.progress("fetching") as progress:
            done: list[SourceReport] = []

            def tick(report: SourceReport) -> None:
                done.append(report)
                progress(len(done), len(sources))

            progress(0, len(sources))
            reports = pipeline.fetch(config, store, sources=sources, on_report=tick)
    else:
        reports = pipeline.fetch(config, store, sources=sources, on_report=on_report)
    if not as_json:
        if out.rich:
            print_fetch_reports(out, reports)
        else:
            failed = sum(r.status == "failed" for r in reports)
            new = sum(r.new for r in reports)
            out.line(f"fetched {_count(len(reports), 'source')}: {new} new, {failed} failed")
    return reports


def cmd_fetch(args: argparse.Namespace, out: Output) -> int:
    config = _config(args)
    with _locked_store(config, "fetch") as store:
        return _fetch_exit(_run_fetch(config, store, args, out))


def _run_build(config: Config, store: SqliteStore, out: Output, full: bool = False) -> BuildReport:
    from newsdesk import pipeline

    with out.progress("building") as progress:
        report = pipeline.build(config, store, progress=progress, full=full)
    print_build_report(out, report)
    return report


def cmd_build(args: argparse.Namespace, out: Output) -> int:
    config = _config(args)
    with _locked_store(config, "build") as store:
        _run_build(config, store, out, full=args.full)
    return EXIT_OK


def cmd_update(args: argparse.Namespace, out: Output) -> int:
    config = _config(args)
    with _locked_store(config, "update") as store:
        reports = _run_fetch(config, store, args, out)
        if args.json:
            # keep stdout pure JSON lines; the build summary goes to stderr
            _run_build(config, store, Output(sys.stderr, quiet=out.quiet))
        else:
            _run_build(config, store, out)
    return _fetch_exit(reports)


def cmd_serve(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.site.serve import serve_forever

    config = _config(args)
    if args.build:
        with _store(config) as store:
            _run_build(config, store, out)
    if not config.site.output.is_dir():
        raise UsageError(f"{config.site.output} does not exist yet: run `newsdesk build` first")
    serve_forever(config.site.output, args.host, args.port,
                  on_ready=lambda url: out.line(f"serving {config.site.output} at {url} (Ctrl-C stops)"))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.demo.play import run_demo

    folder = Path(args.dir) if args.dir else None
    return run_demo(folder, port=args.port, interval_s=args.interval, duration_s=args.duration,
                    say=out.line)


def _state_json(state: SourceState) -> dict[str, object]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"source": state.source, "articles": state.article_count,
            "last_success": iso(state.last_success_at), "last_attempt": iso(state.last_attempt_at),
            "last_error": state.last_error, "last_error_at": iso(state.last_error_at),
            "failing_since": iso(state.failing_since), "consecutive_failures": state.consecutive_failures}


def cmd_status(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.models import SourceState
    from newsdesk.schedule import overdue_failures
    from newsdesk.site.status import SourceStatus, source_statuses

    config = _config(args)
    with _store(config) as store:
        known = {s.source: s for s in store.source_states()}
        states = [known.pop(s.name, SourceState(source=s.name)) for s in config.sources]
        states += list(known.values())  # sources removed from the config but still stored
        total = store.count_articles()
        rows = source_statuses(states, store.source_health(datetime.now(UTC) - timedelta(hours=24)))
    overdue = {s.source for s in overdue_failures(config, states, datetime.now(UTC))}
    threshold = _duration_text(config.health.failing_warn_after_s)
    if args.json:
        print(json.dumps({"articles": total, "store": str(config.store.path),
                          "failing_warn_after_s": config.health.failing_warn_after_s,
                          "sources": [{**r.as_json(), "overdue": r.source in overdue} for r in rows]},
                         ensure_ascii=False, indent=2), file=out.stream)
        return EXIT_OK
    for name in sorted(overdue):
        print(f"newsdesk: warning: {name} has been failing for more than {threshold}", file=sys.stderr)

    def median(r: SourceStatus) -> str:
        return "-" if r.median_fetch_s is None else f"{r.median_fetch_s:.2f} s"

    if out.rich:
        from rich.table import Table

        table = Table(title=f"{total} articles in {config.store.path}", title_justify="left")
        for column in ("source", "articles", "24 h", "median fetch", "last success", "last error"):
            table.add_column(column, justify="right" if column in ("articles", "24 h", "median fetch") else "left")
        for r in rows:
            error = f"[red]{r.last_error}[/red] (since {_fmt_time(r.failing_since)}, {r.consecutive_failures}×)" \
                if r.consecutive_failures else "-"
            table.add_row(r.source, str(r.articles), str(r.articles_24h), median(r), _fmt_time(r.last_success_at),
                          error)
        out.console.print(table)
    else:
        out.line(f"{total} articles in {config.store.path}")
        for r in rows:
            error = f"; failing {r.consecutive_failures}x since {_fmt_time(r.failing_since)}: {r.last_error}" \
                if r.consecutive_failures else ""
            out.line(f"{r.source}: {r.articles} articles, {r.articles_24h} in 24 h, median fetch {median(r)};"
                     f" last success {_fmt_time(r.last_success_at)}{error}")
    return EXIT_OK


def _duration_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.jekyll.export import export_jekyll

    config = _config(args)
    with _locked_store(config, "export") as store, out.progress("exporting") as progress:
        report = export_jekyll(store, config.site, Path(args.dir), progress=progress)
    print_build_report(out, report)
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.jekyll.importer import import_jekyll

    config = _config(args)
    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    with _locked_store(config, "import") as store:
        report = import_jekyll(folder, store, config.site)
    for warning in report.warnings:
        out.line(f"warning: {warning}")
    out.line(f"imported {folder}: {report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
             f"{report.failed} failed")
    return EXIT_OK if report.new + report.updated + report.unchanged or not report.failed else EXIT_FAILED


def cmd_search(args: argparse.Namespace, out: Output) -> int:
    from newsdesk import urls
    from newsdesk.site import search

    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: expected 1 or more")
    config = _config(args)
    index = config.site.output / search.INDEX_FILE
    from_store = args.store or not index.is_file()
    if from_store:
        with _store(config) as store:
            hits = search.search_store(store, args.query, config.site.tz, limit=args.limit)
    else:
        hits = search.search_index(config.site.output, args.query, limit=args.limit)
    terms = search.usable_terms(search.query_terms(args.query))
    results = [{"title": h.title, "outlet": h.outlet, "time": h.time_text,
                "url": urls.absolute(config.site.base_url, h.href)} for h in hits]
    if args.json:
        print(json.dumps({"query": args.query, "terms": terms, "searched": "store" if from_store else "index",
                          "count": len(results), "results": results}, ensure_ascii=False, indent=2),
              file=out.stream)
        return EXIT_OK
    if not terms:
        out.line(f"nothing to search for: type at least {search.MIN_TERM} letters or characters")
        return EXIT_OK
    for r in results:
        out.line(f"{r['time']}  {r['outlet']}  {r['title']}  {r['url']}")
    more = " (limit reached)" if len(results) >= args.limit else ""
    out.line(f"{len(results)} found{more} in the {'store' if from_store else 'built index'}")
    return EXIT_OK


# ---------------------------------------------------------------- run, sources


def _say_cycle(out: Output, cycle: Cycle) -> None:
    """One line per cycle that did something: what came in, what was rebuilt and published."""
    parts = [(f"{cycle.new} new, {sum(r.updated for r in cycle.reports)} updated from "
              f"{_count(len(cycle.reports), 'source')}")]
    if cycle.build is not None:
        parts.append(f"built {cycle.build.written} files ({cycle.build.removed} removed)")
    parts.extend(f"published {line}" for line in cycle.published)
    if cycle.publish_error:
        parts.append(f"PUBLISH FAILED: {cycle.publish_error}")
    parts.extend(f"FAILED {r.source}: {r.error}" for r in cycle.reports if r.status == "failed")
    if cycle.build is None and not cycle.changed and len(parts) == 1:
        log.debug("cycle: %s", parts[0])  # a quiet poll: nothing to tell the owner
        return
    log.info("cycle: %s", "; ".join(parts))
    out.line(f"{datetime.now().strftime('%H:%M:%S')} " + "; ".join(parts))


def cmd_run(args: argparse.Namespace, out: Output) -> int:
    import signal
    import threading

    from newsdesk import pipeline
    from newsdesk.schedule import due_sources, run_cycle, run_loop

    config = _config(args)
    if config.run.log == "json" and not args.log_json:
        _setup_logging(getattr(args, "verbose", 0) or 0, out.quiet, as_json=True)
    if not any(s.enabled for s in config.sources):
        raise ConfigError(f"{config.path}: no enabled [[sources]] to run")
    with _locked_store(config, "run --once" if args.once else "run") as store:
        if args.once:
            now = datetime.now(UTC)
            cycle = run_cycle(config, store, sources=due_sources(config, store, now, ignore_interval=True),
                              force_build=True, publish=True)
            _say_cycle(out, cycle)
            return EXIT_FAILED if pipeline.all_failed(cycle.reports) or cycle.publish_error else EXIT_OK
        stop = threading.Event()

        def on_signal(number: int, frame: object) -> None:
            if stop.is_set():
                raise KeyboardInterrupt  # a second signal: stop now
            log.info("received %s: finishing the current write, then stopping", signal.Signals(number).name)
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            log.info("running %s from %s (pid %d)", _count(len(config.sources), "source"), config.path,
                     os.getpid())
            run_loop(config, store, stop=stop, tick_s=args.tick, publish=True,
                     on_cycle=lambda cycle: _say_cycle(out, cycle))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    out.line("stopped")
    return EXIT_OK


def cmd_sources_import(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.opml import import_opml

    config = _config(args)
    result = import_opml(config, Path(args.file))
    for feed in result.added:
        out.line(f"added {feed.name}: {feed.url}")
    for reason in result.skipped:
        out.line(f"skipped {reason}")
    out.line(f"imported {_count(len(result.added), 'source')} into {config.path}"
             f" ({len(result.skipped)} skipped)")
    return EXIT_OK


def cmd_sources_export(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.opml import export_opml

    config = _config(args)
    text, left_out = export_opml(config)
    for source in left_out:
        print(f"newsdesk: left out {source.name}: a {source.kind} source is not a feed", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        out.line(f"wrote {args.output}")
    else:
        out.stream.write(text)
    return EXIT_OK


def cmd_sources_check(args: argparse.Namespace, out: Output) -> int:
    from newsdesk.schedule import check_sources

    config = _config(args)
    names = _chosen_sources(config, args.source)
    sources = [s for s in config.sources if names is None or s.name in names]
    with _store(config) as store:
        results = check_sources(config, store, sources, copy=store.snapshot)
    for result in results:
        report = result.report
        if args.json:
            print(json.dumps({**report.as_json(), "new_titles": result.new_titles}, ensure_ascii=False),
                  file=out.stream)
            continue
        out.line(_report_line(report).replace(" new,", " would be new,", 1))
        for title in result.new_titles[:args.titles]:
            out.line(f"    + {title}")
        if len(result.new_titles) > args.titles:
            out.line(f"    … and {len(result.new_titles) - args.titles} more")
    if not args.json:
        out.line(f"checked {_count(len(results), 'source')}; nothing was stored")
    return _fetch_exit([r.report for r in results])


# ---------------------------------------------------------------- parser


def per_source_options(parser: argparse.ArgumentParser) -> None:
    """`--json` and `--source NAME`, shared by the commands that fetch."""
    parser.add_argument("--json", action="store_true", help="print one JSON object per source")
    parser.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (also read by the docs test)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", "-c", default=argparse.SUPPRESS, metavar="PATH",
                        help=f"configuration file (default ./{DEFAULT_CONFIG})")
    common.add_argument("--verbose", "-v", action="count", default=argparse.SUPPRESS,
                        help="log more (-vv for debug)")
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help="print only errors")
    common.add_argument("--log-json", action="store_true", default=argparse.SUPPRESS,
                        help="log one JSON object per line on stderr (also [run] log = \"json\")")
    parser = argparse.ArgumentParser(
        prog="newsdesk", parents=[common],
        description="Turn news feeds and news APIs into a fast, safe static news site.")
    parser.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, func: Callable[[argparse.Namespace, Output], int],
                parent: argparse._SubParsersAction[argparse.ArgumentParser] = sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    def group(name: str, help_text: str, dest: str, metavar: str
              ) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        """A command whose sub-commands do the work (`sources check`, `export jekyll`)."""
        parent = sub.add_parser(name, help=help_text, parents=[common], description=help_text)
        return parent.add_subparsers(dest=dest, metavar=metavar, required=True)

    p = command("init", "write a commented starter newsdesk.toml into DIR", cmd_init)
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="folder for newsdesk.toml (default .)")
    p.add_argument("--force", action="store_true", help="overwrite an existing newsdesk.toml")

    p = command("fetch", "fetch every source once and store new and changed articles", cmd_fetch)
    per_source_options(p)

    p = command("build", "render the site from the store into [site] output", cmd_build)
    p.add_argument("--full", action="store_true",
                   help="render every page, not only those whose inputs changed since the last build")

    p = command("update", "fetch every source, then build the site", cmd_update)
    per_source_options(p)

    p = command("serve", "serve the built site over HTTP", cmd_serve)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--build", action="store_true", help="build the site first")

    p = command("demo", "play made-up outlets on loopback, fetch and build them live, and serve the site",
                cmd_demo)
    p.add_argument("--dir", metavar="DIR", help="folder for the demo's config, store and site "
                   "(default: a temporary folder)")
    p.add_argument("--port", type=int, default=8000, help="port of the demo site (default 8000)")
    p.add_argument("--interval", type=float, default=5.0, metavar="SECONDS",
                   help="seconds between fetch-and-build cycles (default 5)")
    p.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                   help="stop by itself after this many seconds (default: run until Ctrl-C)")

    p = command("status", "show every source's last success, last error and article count", cmd_status)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("search", "find articles whose title or body contains every word of QUERY (exact, "
                "Chinese included), newest first", cmd_search)
    p.add_argument("query", metavar="QUERY", help="words of two or more characters, e.g. 清远 or 供电局")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N results (default 50)")
    p.add_argument("--store", action="store_true",
                   help="search the store instead of the built site's index (used anyway when there is none)")

    p = command("run", "poll every source on its own interval, rebuilding and publishing when news arrives",
                cmd_run)
    p.add_argument("--once", action="store_true",
                   help="one cycle (every source not backing off), build, publish, exit: for cron and CI")
    p.add_argument("--tick", type=float, default=1.0, metavar="SECONDS",
                   help="longest sleep between checks for due sources (default 1)")

    sources_sub = group("sources", "import, export and check the configured sources", "action", "ACTION")
    p = command("import", "add the feeds of an OPML file to newsdesk.toml as [[sources]]", cmd_sources_import,
                parent=sources_sub)
    p.add_argument("file", metavar="FILE.opml", help="OPML file exported by a feed reader")
    p = command("export", "write the feed sources as OPML 2.0", cmd_sources_export, parent=sources_sub)
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    p = command("check", "fetch every source once and show what would be stored, storing nothing",
                cmd_sources_check, parent=sources_sub)
    per_source_options(p)
    p.add_argument("--titles", type=int, default=5, metavar="N", help="new titles shown per source (default 5)")

    export_sub = group("export", "write the store in another format", "format", "FORMAT")
    p = command("jekyll", "write a Jekyll site (the original mirror's post format) into DIR", cmd_export,
                parent=export_sub)
    p.add_argument("dir", metavar="DIR", help="Jekyll site folder (created if missing)")

    import_sub = group("import", "read an existing site into the store", "format", "FORMAT")
    p = command("jekyll", "read a Jekyll mirror's _posts/ and old_post/ into the store", cmd_import,
                parent=import_sub)
    p.add_argument("dir", metavar="DIR", help="the mirror's folder")
    return parser


class _JsonLines(logging.Formatter):
    """One JSON object per log record: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _setup_logging(verbose: int, quiet: bool, *, as_json: bool = False) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLines() if as_json else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s" if verbose
                                           else "%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("newsdesk")
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 done, 1 nothing could be done, 2 usage/config)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.config = getattr(args, "config", DEFAULT_CONFIG)
    quiet = getattr(args, "quiet", False)
    args.log_json = getattr(args, "log_json", False)
    _setup_logging(getattr(args, "verbose", 0) or 0, quiet, as_json=args.log_json)
    out = Output(sys.stdout, quiet=quiet)
    try:
        return int(args.func(args, out))
    except NewsdeskError as exc:
        for line in str(exc).splitlines():
            print(f"newsdesk: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("newsdesk: interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """`python -m newsdesk`: run main(), then exit without tearing the interpreter down."""
    try:
        code = main()
    except SystemExit as exc:  # --help, --version and usage errors end here
        if not isinstance(exc.code, int | None):
            raise
        code = exc.code or 0
    exit_now(code)


def exit_now(code: int) -> NoReturn:
    """Exit with `code` after the exit handlers, skipping the interpreter's teardown when nothing needs it.

    Freeing every module a build loaded (jinja2, multiprocessing, ...) took ~20 ms of a
    ~150 ms no-op `build`. The exit handlers still run (logging flushes, multiprocessing
    reaps its children), then both streams are flushed. While another thread is alive, a
    profiler, tracer or debugger is on, or a stream cannot be flushed, the ordinary exit
    does it all as before.
    """
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)
    if sys.getprofile() is not None or sys.gettrace() is not None or "bdb" in sys.modules:
        sys.exit(code)  # cProfile, coverage or pdb report (or restart) after the program returns
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: let the normal exit report it
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    run()
