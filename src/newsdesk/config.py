"""newsdesk.toml -> frozen dataclasses; every check of the file lives here."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsdesk.errors import ConfigError

DEFAULT_CONFIG = "newsdesk.toml"
KINDS = ("feed", "json", "html")
PRESETS = ("eastmoney-rolling", "eastmoney-media", "eastmoney-market")
FIELD_NAMES = ("id", "title", "published", "url", "summary", "outlet", "body", "lead", "fulltext_key")
DEFAULT_USER_AGENT = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk)"
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_INTERVAL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """[site]: what the published site looks like and where it goes."""

    title: str = "newsdesk"
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Shanghai"
    output: Path = Path("public")
    live_days: int = 3
    language: str = "zh-CN"
    description: str = ""
    home_per_outlet: int = 5
    home_latest: int = 50
    feed_entries: int = 50
    per_page: int = 50  # articles per outlet page; numbered pages keep their URLs as news arrives
    theme: Path | None = None  # a folder whose templates/ and static/ override the built-in ones
    latest_poll_s: int = 60  # how often pages poll latest.json for new articles; 0 turns it off
    workers: int = 0  # processes rendering article pages in a full build; 0: one per CPU core
    status_page: bool = True  # write /status.html and /status.json (source health)
    search: bool = True  # write /search.html and the search index under /search/

    @property
    def tz(self) -> ZoneInfo:
        """The site's timezone as a tzinfo."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """[store]: where the SQLite file lives."""

    path: Path = Path(".newsdesk/newsdesk.db")


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """[fetch]: limits every HTTP request obeys."""

    concurrency: int = 16
    per_host: int = 4
    timeout_s: float = 20.0
    connect_timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.5
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = False  # for article pages whose URLs came from feeds


FILTER_FIELDS = ("title", "body", "outlet", "link", "any")
REGEX_PREFIX = "re:"


@dataclass(frozen=True, slots=True)
class FilterRule:
    """One include/exclude rule: a keyword (case-insensitive) or a regular expression on one field."""

    field: str  # one of FILTER_FIELDS; "any" means title, body, outlet or link
    pattern: str  # the keyword, or the regex without its "re:" prefix
    regex: bool = False


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """[filters] or a source's include/exclude: which items are kept."""

    include: tuple[FilterRule, ...] = ()  # when any are given, an item must match one
    exclude: tuple[FilterRule, ...] = ()  # an item matching any is dropped (and counted)

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One [[sources]] entry."""

    name: str
    kind: str
    url: str
    category: str | None = None
    interval_s: float = 300.0
    fulltext: bool = False
    timezone: str = "Asia/Shanghai"  # naive outlet times are read in this zone
    preset: str | None = None
    items: str | None = None  # dotted path to the list in a JSON answer
    fields: dict[str, str] = field(default_factory=dict)
    fulltext_url: str | None = None
    fulltext_field: str | None = None
    share_url: str | None = None
    encoding: str | None = None  # overrides whatever charset the outlet declares
    enabled: bool = True
    filters: FilterConfig = field(default_factory=FilterConfig)

    @property
    def tz(self) -> ZoneInfo:
        """The source's timezone as a tzinfo."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole newsdesk.toml, validated, with paths made absolute."""

    path: Path
    site: SiteConfig
    store: StoreConfig
    fetch: FetchConfig
    sources: tuple[SourceConfig, ...]
    categories: dict[str, str] = field(default_factory=dict)  # outlet name -> slug
    filters: FilterConfig = field(default_factory=FilterConfig)  # [filters], for every source
    run: RunConfig = field(default_factory=lambda: RunConfig())  # [run]: the scheduler
    health: HealthConfig = field(default_factory=lambda: HealthConfig())  # [health]: warnings
    publish: PublishConfig = field(default_factory=lambda: PublishConfig())  # [publish]: where the site goes

    @property
    def root(self) -> Path:
        """The folder relative paths in the file are read against."""
        return self.path.parent

    def source(self, name: str) -> SourceConfig:
        """The source called `name`; raises ConfigError when there is none."""
        for src in self.sources:
            if src.name == name:
                return src
        raise ConfigError(f"{self.path}: no source named {name!r}")


# ---------------------------------------------------------------- locating keys


class _Lines:
    """Maps (table, key) to the line of the file that sets it, for messages."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
    _KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, str], int] = {}
        self.tables: dict[str, int] = {}
        counters: dict[str, int] = {}
        table = ""
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header:
                name = header.group(2).strip()
                if header.group(1) == "[[":
                    index = counters.get(name, -1) + 1
                    counters[name] = index
                    table = f"{name}[{index}]"
                elif "." in name and name.split(".")[0] in counters:
                    parent, rest = name.split(".", 1)
                    table = f"{parent}[{counters[parent]}].{rest}"
                else:
                    table = name
                self.tables.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                self.lines.setdefault((table, key.group(1).strip("\"'")), number)

    def line(self, table: str, key: str | None = None) -> int | None:
        """The line setting `key` in `table` (or the table's header), if known."""
        if key is not None and (table, key) in self.lines:
            return self.lines[(table, key)]
        if table in self.tables or "." not in table:
            return self.tables.get(table)
        # a key inside an inline table: point at the line that sets the table
        parent, last = table.rsplit(".", 1)
        return self.line(parent, last)


class _Checker:
    """Collects every problem in the file, so all are reported at once."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.where = _Lines(text)
        self.problems: list[str] = []

    def fail(self, table: str, key: str | None, message: str) -> None:
        line = self.where.line(table, key)
        place = f"{self.path}:{line}" if line else f"{self.path}"
        dotted = ".".join(p for p in (table, key) if p)
        self.problems.append(f"{place}: {dotted}: {message}")

    def table(self, data: dict[str, Any], table: str, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.fail(table, key, f"unknown key (expected one of {', '.join(allowed)})")

    def get(self, data: dict[str, Any], table: str, key: str, kind: type | tuple[type, ...],
            default: Any) -> Any:
        if key not in data:
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python, but never what an int setting means
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        elif float in kinds and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
            self.fail(table, key, f"expected {names}, got {_type_name(type(value))} {value!r}")
            return default
        return value

    def positive(self, data: dict[str, Any], table: str, key: str, kind: type, default: Any,
                 minimum: float = 1) -> Any:
        value = self.get(data, table, key, kind, default)
        if value < minimum:
            self.fail(table, key, f"must be at least {minimum}, got {value!r}")
            return default
        return value

    def url(self, table: str, key: str, value: str) -> None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(table, key, f"expected an http(s) URL, got {value!r}")

    def timezone(self, table: str, key: str, value: str) -> bool:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(table, key, f"unknown timezone {value!r} (e.g. Asia/Shanghai, UTC)")
            return False
        return True


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            dict: "a table", list: "an array"}.get(kind, kind.__name__)


def parse_interval(value: str | int | float) -> float:
    """'5m', '30s', '1h', '2d' or a number of seconds -> seconds; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _INTERVAL_RE.match(value)
        if not match:
            raise ValueError(value)
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(value)
    return seconds


# ---------------------------------------------------------------- loading


def load_config(path: Path | str) -> Config:
    """Read and validate a newsdesk.toml; raises ConfigError naming every problem."""
    path = Path(path).absolute()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (run `newsdesk init` to write one)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML text that lives at `path`; raises ConfigError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{match.group(1)}" if match else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"{where}: invalid TOML: {reason}") from None
    check = _Checker(path, text)
    check.table(data, "", ("site", "store", "fetch", "sources", "categories", "filters", "run", "health",
                           "publish"))
    root = path.parent
    site = _site(check, _section(check, data, "site"), root)
    store = _store(check, _section(check, data, "store"), root)
    fetch = _fetch(check, _section(check, data, "fetch"))
    sources = _sources(check, data.get("sources", []), site)
    categories = _categories(check, _section(check, data, "categories"))
    filters_data = _section(check, data, "filters")
    check.table(filters_data, "filters", ("include", "exclude"))
    filters = _filters(check, filters_data, "filters")
    run = _run(check, _section(check, data, "run"))
    health = _health(check, _section(check, data, "health"))
    publish = _publish(check, _section(check, data, "publish"), root)
    if check.problems:
        raise ConfigError(check.problems)
    return Config(path=path, site=site, store=store, fetch=fetch, sources=tuple(sources),
                  categories=categories, filters=filters, run=run, health=health, publish=publish)


def _section(check: _Checker, data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        check.fail("", name, f"expected a table [{name}], got {_type_name(type(value))}")
        return {}
    return value


def _site(check: _Checker, data: dict[str, Any], root: Path) -> SiteConfig:
    d = SiteConfig()
    check.table(data, "site", tuple(SiteConfig.__dataclass_fields__))
    base_url = check.get(data, "site", "base_url", str, d.base_url)
    check.url("site", "base_url", base_url)
    timezone = check.get(data, "site", "timezone", str, d.timezone)
    if not check.timezone("site", "timezone", timezone):
        timezone = d.timezone
    return SiteConfig(
        title=check.get(data, "site", "title", str, d.title),
        base_url=base_url.rstrip("/"),
        timezone=timezone,
        output=root / check.get(data, "site", "output", str, str(d.output)),
        live_days=check.positive(data, "site", "live_days", int, d.live_days),
        language=check.get(data, "site", "language", str, d.language),
        description=check.get(data, "site", "description", str, d.description),
        home_per_outlet=check.positive(data, "site", "home_per_outlet", int, d.home_per_outlet),
        home_latest=check.positive(data, "site", "home_latest", int, d.home_latest),
        feed_entries=check.positive(data, "site", "feed_entries", int, d.feed_entries),
        status_page=check.get(data, "site", "status_page", bool, d.status_page),
        search=check.get(data, "site", "search", bool, d.search),
        per_page=check.positive(data, "site", "per_page", int, d.per_page),
        theme=_theme(check, data, root),
        latest_poll_s=check.positive(data, "site", "latest_poll_s", int, d.latest_poll_s, minimum=0),
        workers=check.positive(data, "site", "workers", int, d.workers, minimum=0),
    )


def _theme(check: _Checker, data: dict[str, Any], root: Path) -> Path | None:
    """[site] theme: a folder (relative to the config file) that must exist."""
    name: str | None = check.get(data, "site", "theme", str, None)
    if name is None:
        return None
    folder = root / name
    if not folder.is_dir():
        check.fail("site", "theme", f"theme folder {str(folder)!r} does not exist")
        return None
    return folder


def _store(check: _Checker, data: dict[str, Any], root: Path) -> StoreConfig:
    check.table(data, "store", ("path",))
    return StoreConfig(path=root / check.get(data, "store", "path", str, ".newsdesk/newsdesk.db"))


_FETCH_KEYS = {"timeout": "timeout_s", "connect_timeout": "connect_timeout_s", "backoff": "backoff_s"}


def _fetch(check: _Checker, data: dict[str, Any]) -> FetchConfig:
    d = FetchConfig()
    allowed = ("concurrency", "per_host", "timeout", "connect_timeout", "retries", "backoff",
               "max_bytes", "max_redirects", "user_agent", "allow_private")
    check.table(data, "fetch", allowed)
    return FetchConfig(
        concurrency=check.positive(data, "fetch", "concurrency", int, d.concurrency),
        per_host=check.positive(data, "fetch", "per_host", int, d.per_host),
        timeout_s=float(check.positive(data, "fetch", "timeout", float, d.timeout_s, 0.001)),
        connect_timeout_s=float(check.positive(data, "fetch", "connect_timeout", float,
                                               d.connect_timeout_s, 0.001)),
        retries=check.positive(data, "fetch", "retries", int, d.retries, 0),
        backoff_s=float(check.positive(data, "fetch", "backoff", float, d.backoff_s, 0)),
        max_bytes=check.positive(data, "fetch", "max_bytes", int, d.max_bytes, 1024),
        max_redirects=check.positive(data, "fetch", "max_redirects", int, d.max_redirects, 0),
        user_agent=check.get(data, "fetch", "user_agent", str, d.user_agent),
        allow_private=check.get(data, "fetch", "allow_private", bool, d.allow_private),
    )


_SOURCE_KEYS = ("name", "kind", "url", "category", "interval", "fulltext", "timezone", "preset",
                "items", "fields", "fulltext_url", "fulltext_field", "share_url", "encoding",
                "enabled", "include", "exclude")


def _sources(check: _Checker, raw: Any, site: SiteConfig) -> list[SourceConfig]:
    if not isinstance(raw, list):
        check.fail("", "sources", "expected [[sources]] tables")
        return []
    sources: list[SourceConfig] = []
    seen: dict[str, int] = {}
    for index, data in enumerate(raw):
        table = f"sources[{index}]"
        if not isinstance(data, dict):
            check.fail(table, None, "expected a table")
            continue
        check.table(data, table, _SOURCE_KEYS)
        name = check.get(data, table, "name", str, "")
        if not name.strip():
            check.fail(table, "name", "every source needs a non-empty name")
        elif name in seen:
            check.fail(table, "name", f"duplicate source name {name!r} (also sources[{seen[name]}])")
        else:
            seen[name] = index
        kind = check.get(data, table, "kind", str, "feed")
        if kind not in KINDS:
            check.fail(table, "kind", f"expected feed, json or html, got {kind!r}")
        url = check.get(data, table, "url", str, "")
        if not url:
            check.fail(table, "url", "every source needs a url")
        else:
            check.url(table, "url", url)
        category = check.get(data, table, "category", str, None)
        if category is not None and not _SLUG_RE.match(category):
            check.fail(table, "category", f"only letters, digits and '-' allowed, got {category!r}")
            category = None
        interval = check.get(data, table, "interval", (str, int, float), "5m")
        try:
            interval_s = parse_interval(interval)
        except ValueError:
            check.fail(table, "interval", f"expected a duration like '5m', '30s', '1h', got {interval!r}")
            interval_s = 300.0
        timezone = check.get(data, table, "timezone", str, site.timezone)
        if not check.timezone(table, "timezone", timezone):
            timezone = site.timezone
        preset = check.get(data, table, "preset", str, None)
        if preset is not None and preset not in PRESETS:
            check.fail(table, "preset", f"expected one of {', '.join(PRESETS)}, got {preset!r}")
            preset = None
        fields = _fields(check, data.get("fields", {}), f"{table}.fields")
        if kind == "json" and preset is None and "title" not in fields:
            check.fail(table, "fields", "a json source needs a preset or fields.title")
        for key in ("fulltext_url", "share_url"):
            template = check.get(data, table, key, str, None)
            if template is not None:
                check.url(table, key, template.replace("{id}", "0"))
        encoding = check.get(data, table, "encoding", str, None)
        if encoding is not None:
            import codecs

            try:
                codecs.lookup(encoding)
            except LookupError:
                check.fail(table, "encoding", f"unknown encoding {encoding!r}")
                encoding = None
        sources.append(SourceConfig(
            name=name, kind=kind, url=url, category=category, interval_s=interval_s,
            fulltext=check.get(data, table, "fulltext", bool, False), timezone=timezone,
            preset=preset, items=check.get(data, table, "items", str, None), fields=fields,
            fulltext_url=check.get(data, table, "fulltext_url", str, None),
            fulltext_field=check.get(data, table, "fulltext_field", str, None),
            share_url=check.get(data, table, "share_url", str, None), encoding=encoding,
            enabled=check.get(data, table, "enabled", bool, True),
            filters=_filters(check, data, table),
        ))
    return sources


def _fields(check: _Checker, raw: Any, table: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        check.fail(table, None, "expected a table of field names")
        return {}
    check.table(raw, table, FIELD_NAMES)
    return {k: v for k in FIELD_NAMES if isinstance(v := check.get(raw, table, k, str, None), str)}


def _categories(check: _Checker, raw: dict[str, Any]) -> dict[str, str]:
    result: dict[str, str] = {}
    for outlet, slug in raw.items():
        if not isinstance(slug, str) or not _SLUG_RE.match(slug):
            check.fail("categories", outlet, f"expected a slug of letters, digits and '-', got {slug!r}")
        else:
            result[outlet] = slug
    return result


def _filters(check: _Checker, data: dict[str, Any], table: str) -> FilterConfig:
    """The `include` and `exclude` tables of [filters] or of one source."""
    return FilterConfig(include=_filter_rules(check, data.get("include", {}), f"{table}.include"),
                        exclude=_filter_rules(check, data.get("exclude", {}), f"{table}.exclude"))


def _filter_rules(check: _Checker, raw: Any, table: str) -> tuple[FilterRule, ...]:
    if not isinstance(raw, dict):
        check.fail(table, None, "expected a table like { title = [\"广告\", \"re:^直播\"] }")
        return ()
    check.table(raw, table, FILTER_FIELDS)
    rules: list[FilterRule] = []
    for name in FILTER_FIELDS:
        value = raw.get(name)
        if value is None:
            continue
        patterns = [value] if isinstance(value, str) else value
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            check.fail(table, name, "expected a string or an array of strings (keywords, or \"re:\" + a regex)")
            continue
        for pattern in patterns:
            regex = pattern.startswith(REGEX_PREFIX)
            text = pattern[len(REGEX_PREFIX):] if regex else pattern
            if not text.strip():
                check.fail(table, name, "an empty keyword or regex would match everything")
                continue
            if regex:
                try:
                    re.compile(text)
                except re.error as exc:
                    check.fail(table, name, f"bad regular expression {text!r}: {exc}")
                    continue
            rules.append(FilterRule(field=name, pattern=text, regex=regex))
    return tuple(rules)


# ---------------------------------------------------------------- [run], [health], [publish]

PUBLISH_TARGETS = ("folder", "git", "command")
KEEP_HISTORY = ("full", "squash")
LOG_FORMATS = ("plain", "json")


@dataclass(frozen=True, slots=True)
class RunConfig:
    """[run]: how `newsdesk run` spreads and backs off polls, and how it logs."""

    jitter: float = 0.1  # up to this fraction of a source's interval is added to each wait
    backoff_max_s: float = 3600.0  # a failing source waits interval * 2^failures, at most this
    log: str = "plain"  # plain | json (one JSON object per line on stderr)


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """[health]: when a failing source earns a warning."""

    failing_warn_after_s: float = 3600.0


@dataclass(frozen=True, slots=True)
class PublishConfig:
    """[publish]: where a built site goes after each build that changed it."""

    target: str = "folder"  # folder | git | command
    path: Path | None = None  # folder target: a symlink switched atomically to each release
    repo: Path = Path(".newsdesk/publish.git")  # git target: the local repository
    branch: str = "gh-pages"
    remote: str | None = None  # may hold ${ENV_VAR}s, expanded when pushing and never logged
    keep_history: str = "full"  # full | squash (one commit on an orphan branch)
    command: str | None = None  # run after every publish, with NEWSDESK_OUTPUT set
    command_timeout_s: float = 600.0


def _duration(check: _Checker, data: dict[str, Any], table: str, key: str, default: float) -> float:
    value = check.get(data, table, key, (str, int, float), None)
    if value is None:
        return default
    try:
        return parse_interval(value)
    except ValueError:
        check.fail(table, key, f"expected a duration like '5m', '30s', '1h', got {value!r}")
        return default


def _run(check: _Checker, data: dict[str, Any]) -> RunConfig:
    d = RunConfig()
    check.table(data, "run", ("jitter", "backoff_max", "log"))
    jitter = float(check.get(data, "run", "jitter", float, d.jitter))
    if not 0 <= jitter <= 1:
        check.fail("run", "jitter", f"expected a fraction from 0 to 1, got {jitter!r}")
        jitter = d.jitter
    log = check.get(data, "run", "log", str, d.log)
    if log not in LOG_FORMATS:
        check.fail("run", "log", f"expected plain or json, got {log!r}")
        log = d.log
    return RunConfig(jitter=jitter, backoff_max_s=_duration(check, data, "run", "backoff_max", d.backoff_max_s),
                     log=log)


def _health(check: _Checker, data: dict[str, Any]) -> HealthConfig:
    check.table(data, "health", ("failing_warn_after",))
    return HealthConfig(failing_warn_after_s=_duration(check, data, "health", "failing_warn_after",
                                                       HealthConfig().failing_warn_after_s))


_BRANCH_RE = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+(?<![./])$")


def _publish(check: _Checker, data: dict[str, Any], root: Path) -> PublishConfig:
    d = PublishConfig()
    check.table(data, "publish", ("target", "path", "repo", "branch", "remote", "keep_history", "command",
                                  "command_timeout"))
    target = check.get(data, "publish", "target", str, d.target)
    if target not in PUBLISH_TARGETS:
        check.fail("publish", "target", f"expected folder, git or command, got {target!r}")
        target = d.target
    branch = check.get(data, "publish", "branch", str, d.branch)
    if not _BRANCH_RE.match(branch):
        check.fail("publish", "branch", f"not a usable branch name: {branch!r}")
        branch = d.branch
    keep = check.get(data, "publish", "keep_history", str, d.keep_history)
    if keep not in KEEP_HISTORY:
        check.fail("publish", "keep_history", f"expected full or squash, got {keep!r}")
        keep = d.keep_history
    command = check.get(data, "publish", "command", str, None)
    if target == "command" and not (command or "").strip():
        check.fail("publish", "command", "target = \"command\" needs a command to run")
    path = check.get(data, "publish", "path", str, None)
    return PublishConfig(
        target=target, path=root / path if path else None,
        repo=root / check.get(data, "publish", "repo", str, str(d.repo)), branch=branch,
        remote=check.get(data, "publish", "remote", str, None), keep_history=keep, command=command,
        command_timeout_s=_duration(check, data, "publish", "command_timeout", d.command_timeout_s))
