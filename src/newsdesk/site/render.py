"""Jinja2 environment (built-in templates under an optional theme), static files, article rendering."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
import jinja2.bccache

from newsdesk.errors import OutputError
from newsdesk.site.pages import ArticlePage
from newsdesk.site.write import OutputFolder, WriteBatch

SEARCH_BOX = "_search_box.html"


class CodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates kept in the build state, so a build that renders a few pages
    does not compile every template first (~70 ms); Jinja checks each against its source."""

    def __init__(self, load: Callable[[str], bytes | None], dump: Callable[[str, bytes], None]) -> None:
        self._load, self._dump = load, dump

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._load(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._dump(bucket.key, bucket.bytecode_to_string())


def environment(theme: Path | None = None, cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """Templates from `theme/templates` first, then the built-in ones (a theme overrides any file)."""
    builtin = jinja2.PackageLoader("newsdesk.site", "templates")
    loader: jinja2.BaseLoader = builtin
    if theme is not None:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(theme / "templates")), builtin])
    return jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # a build's templates do not change under it: no stat per page
        bytecode_cache=cache,
    )


def has_template(env: jinja2.Environment, name: str) -> bool:
    """Whether the environment can load `name` (its source, without compiling it)."""
    assert env.loader is not None
    try:
        env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return False
    return True


def template_sources(env: jinja2.Environment) -> list[tuple[str, str]]:
    """Every template's name and source as the environment resolves it (theme first)."""
    assert env.loader is not None
    return [(name, env.loader.get_source(env, name)[0]) for name in sorted(set(env.list_templates()))]


def compile_templates(env: jinja2.Environment, names: Iterable[str]) -> None:
    """Load (and so compile, or take from the bytecode cache) these templates now; raises OutputError."""
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateError as exc:
            raise OutputError(f"template {name}: {exc}") from exc


def render(env: jinja2.Environment, template: str, context: object) -> bytes:
    """One page's bytes; raises OutputError for a theme template that fails."""
    return render_text(env, template, context).encode("utf-8")


def render_text(env: jinja2.Environment, template: str, context: object) -> str:
    """A template rendered with `page=context`; raises OutputError for a theme template that fails."""
    try:
        return env.get_template(template).render(page=context)
    except jinja2.TemplateError as exc:
        raise OutputError(f"template {template}: {exc}") from exc


def static_files(theme: Path | None) -> Iterator[tuple[str, bytes]]:
    """Files shipped in site/static/, each replaced by a theme's static/ file of the same name."""
    files: dict[str, bytes] = {}
    folder = resources.files("newsdesk.site").joinpath("static")
    for entry in folder.iterdir():
        if entry.is_file() and not entry.name.startswith("."):
            files[entry.name] = entry.read_bytes()
    if theme is not None and (theme / "static").is_dir():
        for path in (theme / "static").iterdir():
            if path.is_file() and not path.name.startswith("."):
                files[path.name] = path.read_bytes()
    for name in sorted(files):
        yield f"static/{name}", files[name]


@dataclass(frozen=True, slots=True)
class ArticleJob:
    """A chunk of article pages for one worker process to render and write."""

    output: Path
    theme: Path | None
    pages: tuple[ArticlePage, ...]
    templates: str = ""  # a digest of the templates: an edited theme gets a fresh environment


# per process: templates compile once, not per chunk (keyed by their digest, as environments never re-read files)
_WORKER_ENVS: dict[tuple[Path | None, str], jinja2.Environment] = {}
_WORKER_FOLDERS: dict[Path, OutputFolder] = {}  # per process: each day folder is resolved once


def render_articles(job: ArticleJob) -> tuple[int, int]:
    """Render and write a chunk of article pages; returns (written, unchanged). Raises OutputError."""
    env = _WORKER_ENVS.get((job.theme, job.templates))
    if env is None:
        env = _WORKER_ENVS[(job.theme, job.templates)] = environment(job.theme)
    folder = _WORKER_FOLDERS.get(job.output)
    if folder is None:
        folder = _WORKER_FOLDERS[job.output] = OutputFolder(job.output)
    written = unchanged = 0
    # not fsynced one by one: the build flushes once before its manifest records the pages
    with WriteBatch() as batch:
        for page in job.pages:
            if batch.write(folder.resolve(page.nav.path), render(env, "article.html", page)):
                written += 1
            else:
                unchanged += 1
    return written, unchanged
