"""Commands, printing and exit codes; no pipeline logic lives here."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

from newsdesk import __version__, pipeline
from newsdesk.config import DEFAULT_CONFIG, Config, load_config
from newsdesk.errors import ConfigError, NewsdeskError, UsageError
from newsdesk.models import BuildReport, SourceReport, SourceState
from newsdesk.store import SqliteStore, open_store

log = logging.getLogger("newsdesk")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Output:
    """Writes for people (rich, on a terminal) or for scripts (plain lines)."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.rich = stream.isatty()
        from rich.console import Console

        self.console = Console(file=stream, highlight=False)

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
    return open_store(config.store.path)


@contextmanager
def _locked_store(config: Config, purpose: str) -> Iterator[SqliteStore]:
    """The store, held against other newsdesk processes writing it or its output."""
    from newsdesk.lock import hold_lock

    with hold_lock(config.store.path, purpose), _store(config) as store:
        yield store


def _fetch_exit(reports: Sequence[SourceReport]) -> int:
    return EXIT_FAILED if pipeline.all_failed(reports) else EXIT_OK


def cmd_init(args: argparse.Namespace, out: Output) -> int:
    folder = Path(args.dir)
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
    config = _config(args)
    with _store(config) as store:
        known = {s.source: s for s in store.source_states()}
        states = [known.pop(s.name, SourceState(source=s.name)) for s in config.sources]
        states += list(known.values())  # sources removed from the config but still stored
        total = store.count_articles()
    if args.json:
        print(json.dumps({"articles": total, "store": str(config.store.path),
                          "sources": [_state_json(s) for s in states]}, ensure_ascii=False, indent=2),
              file=out.stream)
        return EXIT_OK
    if out.rich:
        from rich.table import Table

        table = Table(title=f"{total} articles in {config.store.path}", title_justify="left")
        for column in ("source", "articles", "last success", "last error"):
            table.add_column(column, justify="right" if column == "articles" else "left")
        for s in states:
            error = f"[red]{s.last_error}[/red] ({_fmt_time(s.last_error_at)}, {s.consecutive_failures}×)" \
                if s.consecutive_failures else "-"
            table.add_row(s.source, str(s.article_count), _fmt_time(s.last_success_at), error)
        out.console.print(table)
    else:
        out.line(f"{total} articles in {config.store.path}")
        for s in states:
            error = f"; failing {s.consecutive_failures}x since {_fmt_time(s.failing_since)}: {s.last_error}" \
                if s.consecutive_failures else ""
            out.line(f"{s.source}: {s.article_count} articles; last success {_fmt_time(s.last_success_at)}"
                     f"{error}")
    return EXIT_OK


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
    with _store(config) as store:
        report = import_jekyll(folder, store, config.site)
    for warning in report.warnings:
        out.line(f"warning: {warning}")
    out.line(f"imported {folder}: {report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
             f"{report.failed} failed")
    return EXIT_OK if report.new + report.updated + report.unchanged or not report.failed else EXIT_FAILED


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (also read by the docs test)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", "-c", default=argparse.SUPPRESS, metavar="PATH",
                        help=f"configuration file (default ./{DEFAULT_CONFIG})")
    common.add_argument("--verbose", "-v", action="count", default=argparse.SUPPRESS,
                        help="log more (-vv for debug)")
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help="print only errors")
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

    p = command("init", "write a commented starter newsdesk.toml into DIR", cmd_init)
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="folder for newsdesk.toml (default .)")
    p.add_argument("--force", action="store_true", help="overwrite an existing newsdesk.toml")

    p = command("fetch", "fetch every source once and store new and changed articles", cmd_fetch)
    p.add_argument("--json", action="store_true", help="print one JSON object per source")
    p.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")

    p = command("build", "render the site from the store into [site] output", cmd_build)
    p.add_argument("--full", action="store_true",
                   help="render every page, not only those whose inputs changed since the last build")

    p = command("update", "fetch every source, then build the site", cmd_update)
    p.add_argument("--json", action="store_true", help="print one JSON object per source")
    p.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")

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

    export = sub.add_parser("export", help="write the store in another format", parents=[common],
                            description="write the store in another format")
    export_sub = export.add_subparsers(dest="format", metavar="FORMAT", required=True)
    p = command("jekyll", "write a Jekyll site (the original mirror's post format) into DIR", cmd_export,
                parent=export_sub)
    p.add_argument("dir", metavar="DIR", help="Jekyll site folder (created if missing)")

    imp = sub.add_parser("import", help="read an existing site into the store", parents=[common],
                         description="read an existing site into the store")
    import_sub = imp.add_subparsers(dest="format", metavar="FORMAT", required=True)
    p = command("jekyll", "read a Jekyll mirror's _posts/ and old_post/ into the store", cmd_import,
                parent=import_sub)
    p.add_argument("dir", metavar="DIR", help="the mirror's folder")
    return parser


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("newsdesk")
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 done, 1 nothing could be done, 2 usage/config)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.config = getattr(args, "config", DEFAULT_CONFIG)
    quiet = getattr(args, "quiet", False)
    _setup_logging(getattr(args, "verbose", 0) or 0, quiet)
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


if __name__ == "__main__":
    sys.exit(main())
