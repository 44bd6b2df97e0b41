"""The context dataclass of every page template: templates only present what Python decided."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from newsdesk.models import SafeHtml


def digest(*parts: object) -> str:
    """A short stable hash of `parts` (their reprs): what a manifest compares between builds."""
    h = hashlib.blake2b(digest_size=10)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


class _Shipped:
    """Base of the contexts article pages send to worker processes, by the thousand: pickled as their
    class and field values, which takes half the time of the frozen dataclass default."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return type(self), tuple(map(self.__getattribute__, type(self).__slots__))


@dataclass(frozen=True, slots=True)
class Chrome(_Shipped):
    """What every page shares: the site's name, language and fixed links."""

    site_title: str
    language: str
    description: str
    home_href: str
    feed_href: str
    json_feed_href: str
    css_href: str
    archive_href: str
    latest_href: str
    live_js_href: str
    poll_s: int  # 0: no live-update polling
    search_box: bool  # whether the _search_box.html partial exists


@dataclass(frozen=True, slots=True)
class ListItem:
    """One article in a list: its title, page link, outlet and time."""

    title: str
    href: str
    outlet: str
    outlet_href: str
    time_text: str
    time_iso: str


@dataclass(frozen=True, slots=True)
class AlsoReport(_Shipped):
    """Another outlet's report of the same story: its page here, else the outlet's own page."""

    outlet: str
    title: str
    href: str | None  # a page of this site, or an http(s) link to the outlet, or None


@dataclass(frozen=True, slots=True)
class NavLink(_Shipped):
    """A labelled link (pager, previous/next article, neighbouring day)."""

    title: str
    href: str


@dataclass(frozen=True, slots=True)
class OutletLink:
    """A link to one outlet page with its article count."""

    title: str
    href: str
    count: int


@dataclass(frozen=True, slots=True)
class OutletSection:
    """An outlet's block on the home page: its latest articles and a link to the rest."""

    outlet: OutletLink
    items: tuple[ListItem, ...]


@dataclass(frozen=True, slots=True)
class HomePage:
    """index.html: the latest articles across outlets, then a section per outlet."""

    chrome: Chrome
    title: str
    latest: tuple[ListItem, ...]
    sections: tuple[OutletSection, ...]
    archive_href: str


@dataclass(frozen=True, slots=True)
class PageNumber:
    """One numbered page in an outlet's pager."""

    number: int
    href: str
    current: bool  # the newest page: its articles are the entry page's, so it links there


@dataclass(frozen=True, slots=True)
class OutletPage:
    """category/<slug>.html (newest articles) or one numbered, stable page of an outlet."""

    chrome: Chrome
    title: str
    outlet: str
    heading: str
    items: tuple[ListItem, ...]
    newer: NavLink | None
    older: NavLink | None
    numbers: tuple[PageNumber, ...]  # the full pager, on the entry page only
    feed_href: str
    json_feed_href: str
    entry_href: str


@dataclass(frozen=True, slots=True)
class NewestPage:
    """category/<slug>/page/<N>.html while N is the newest page: it sends readers to the entry page."""

    chrome: Chrome
    title: str
    outlet: str
    entry_href: str


@dataclass(frozen=True, slots=True)
class DayPage:
    """archive/YYYY/MM/DD.html: every article published that day in the site's timezone."""

    chrome: Chrome
    title: str
    items: tuple[ListItem, ...]
    earlier: NavLink | None
    later: NavLink | None


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One cell of a month grid: a day number, linked when articles were published that day."""

    day: int  # 0 for padding cells outside the month
    href: str | None
    count: int


@dataclass(frozen=True, slots=True)
class CalendarMonth:
    """One month of the archive as weeks of seven days, Monday first."""

    label: str
    anchor: str
    count: int
    weeks: tuple[tuple[CalendarDay, ...], ...]


@dataclass(frozen=True, slots=True)
class ArchiveIndexPage:
    """archive/index.html: a calendar of every day with articles, newest month first."""

    chrome: Chrome
    title: str
    months: tuple[CalendarMonth, ...]
    total: int


@dataclass(frozen=True, slots=True)
class ArticleNav(_Shipped):
    """What an article page shows besides the article itself, decided while planning.

    Anything an article page shows must come from the article (covered by its
    revision) or from here (hashed into its manifest key).
    """

    path: str
    outlet_title: str
    outlet_href: str
    day_href: str
    older: NavLink | None
    newer: NavLink | None
    also: tuple[AlsoReport, ...] = ()  # other outlets' reports of the same story (dedupe.py)


@dataclass(frozen=True, slots=True)
class ArticlePage(_Shipped):
    """One article's page."""

    chrome: Chrome
    title: str
    outlet: str
    nav: ArticleNav
    time_text: str
    time_iso: str
    author: str | None
    lead: str | None
    body_html: SafeHtml  # sanitized by clean; the one value templates mark safe
    original: str | None  # the outlet's page, only when an http(s) URL


@dataclass(frozen=True, slots=True)
class NotFoundPage:
    """404.html: a way back from a missing page: search, archive, outlets."""

    chrome: Chrome
    title: str
    outlets: tuple[OutletLink, ...]
