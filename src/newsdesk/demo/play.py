"""`newsdesk demo`: a loopback newswire, fetched and built live, served on 127.0.0.1."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from newsdesk.config import load_config
from newsdesk.demo.newswire import Newswire, write_demo_config
from newsdesk.schedule import Cycle, run_cycle, run_loop
from newsdesk.site.serve import make_server, server_url
from newsdesk.store import open_store


def run_demo(folder: Path | None, *, port: int = 8000, interval_s: float = 5.0,
             duration_s: float | None = None, say: Callable[[str], None] = print) -> int:
    """Run the demo until Ctrl-C (or `duration_s`); returns the exit code."""
    root = folder or Path(tempfile.mkdtemp(prefix="newsdesk-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    wire = Newswire(publish_every_s=interval_s).start()
    stop = threading.Event()
    try:
        config = load_config(write_demo_config(root, wire, site_port=port))
        server = make_server(config.site.output, "127.0.0.1", port) if port else None
        config.site.output.mkdir(parents=True, exist_ok=True)
        with open_store(config.store.path) as store:
            say(f"demo folder: {root.resolve()}")
            say(f"newswire: {len(wire.outlets())} made-up outlets at {wire.base_url}")
            first = run_cycle(config, store, sources=config.sources)
            _say_cycle(say, first)
            if server is not None:
                threading.Thread(target=server.serve_forever, name="newsdesk-demo-site", daemon=True).start()
                say(f"site: {server_url(server)}  (new articles every {interval_s:g} s; Ctrl-C stops)")
            if duration_s is not None:
                threading.Timer(duration_s, stop.set).start()
            try:
                run_loop(config, store, stop=stop, tick_s=min(1.0, interval_s),
                         on_cycle=lambda cycle: _say_cycle(say, cycle))
            except KeyboardInterrupt:
                say("stopping…")
            finally:
                stop.set()
                if server is not None:
                    server.shutdown()
                    server.server_close()
    finally:
        wire.stop()
    say("demo stopped")
    return 0


def _say_cycle(say: Callable[[str], None], cycle: Cycle) -> None:
    failed = [r for r in cycle.reports if r.status == "failed"]
    parts = [time.strftime("%H:%M:%S"), f"{cycle.new} new article" + ("" if cycle.new == 1 else "s")]
    if cycle.build is not None:
        parts.append(f"site rebuilt ({cycle.build.articles} articles, {cycle.build.written} files written)")
    parts.extend(f"{r.source} failed: {r.error}" for r in failed)
    say("  ".join(parts))
