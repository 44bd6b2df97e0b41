"""What each JSON list API looks like: a table of presets, merged with a source's own settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from newsdesk.config import SourceConfig

# Where full-text answers keep the body when a source does not say: East Money's
# GetNewsText.do answers with `text` or `content`, sometimes wrapped in `data`.
DEFAULT_FULLTEXT_FIELDS = ("text", "content")


@dataclass(frozen=True, slots=True)
class Preset:
    """How to read one list API: where the items are and which field means what."""

    items: str  # dotted path to the list; "" when the answer itself is the list
    fields: Mapping[str, str]  # our name (config.FIELD_NAMES) -> the API's field, dotted paths allowed
    outlet: str | None = None  # fixed outlet, or None to use the item's own `outlet` field
    category: str | None = None  # fixed category slug for every item of the source
    fulltext_field: str = DEFAULT_FULLTEXT_FIELDS[0]  # field of the full-text answer holding the body
    fulltext_fallbacks: tuple[str, ...] = DEFAULT_FULLTEXT_FIELDS[1:]  # tried after fulltext_field
    strip_lead_prefix: bool = False  # drop a leading 【…】 from the digest (lead and summary)

    @property
    def fulltext_fields(self) -> tuple[str, ...]:
        """Every field tried in a full-text answer, in order."""
        return (self.fulltext_field, *self.fulltext_fallbacks)


def _fields(**names: str) -> Mapping[str, str]:
    return MappingProxyType(dict(names))


PRESETS: Mapping[str, Preset] = MappingProxyType({
    # 7x24 rolling news: `id` names the post, `infoCode` fetches the text;
    # the digest repeats the title as a 【…】 prefix, which the old mirror cut off
    "eastmoney-rolling": Preset(
        items="records",
        fields=_fields(id="id", title="title", published="showtime", url="url_w",
                       lead="digest", summary="digest", fulltext_key="infoCode"),
        outlet="东财滚动",
        category="emnews",
        strip_lead_prefix=True,
    ),
    # one outlet's feed relayed by East Money: each item names its own outlet in `from`
    "eastmoney-media": Preset(
        items="nodeList",
        fields=_fields(id="infocode", title="title", published="showtime", url="url",
                       outlet="from", fulltext_key="infocode"),
    ),
    # market news: outlet in `medianame`, time in `datetime`
    "eastmoney-market": Preset(
        items="record",
        fields=_fields(id="infoCode", title="title", published="datetime", url="url",
                       outlet="medianame", fulltext_key="infoCode"),
    ),
})


def resolve(source: SourceConfig) -> Preset:
    """The source's preset with its own items/fields/fulltext_field laid over it.

    A json source without a preset gets one built from its configuration alone.
    A source's own `fulltext_field` replaces the preset's fallbacks: it was asked for by name.
    """
    base = PRESETS[source.preset] if source.preset is not None else Preset(items="", fields=_fields())
    merged = replace(base, fields=MappingProxyType({**base.fields, **source.fields}))
    if source.items is not None:
        merged = replace(merged, items=source.items)
    if source.fulltext_field is not None:
        merged = replace(merged, fulltext_field=source.fulltext_field, fulltext_fallbacks=())
    return merged


def preset_category(source: SourceConfig) -> str | None:
    """The category every item of the source goes to: the source's own, else its preset's, else None."""
    if source.category is not None:
        return source.category
    return PRESETS[source.preset].category if source.preset is not None else None
