"""Keep credentials out of logs, messages and the site: expand ${VAR}s late, redact early."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from newsdesk.errors import PublishError

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"


def expand(template: str) -> tuple[str, list[str]]:
    """Fill ${NAME}s from the environment; returns the text and the values filled in (all secrets).

    Raises PublishError naming (only) the variable when one is not set.
    """
    values: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = os.environ.get(name)
        if value is None:
            raise PublishError(f"environment variable {name} is not set (needed by [publish] remote)")
        values.append(value)
        return value

    return _VARIABLE.sub(fill, template), values


def secrets_of(url: str) -> list[str]:
    """The parts of a URL that must never be shown: its user:password, and each half."""
    found: list[str] = []
    for match in _USERINFO.finditer(url):
        userinfo = match.group("userinfo")
        found.append(userinfo)
        found.extend(part for part in userinfo.split(":") if part)
    return found


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with URL credentials and every given secret (4 characters or more) masked."""
    # longest first, so a token is not half-masked by one of its own prefixes
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
