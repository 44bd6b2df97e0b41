"""The one exception tree; each class carries the exit code the CLI uses."""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base of every error newsdesk raises on purpose."""

    exit_code = 1


class ConfigError(NewsdeskError):
    """The configuration (or the command line) is wrong; names file, line and key."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(NewsdeskError):
    """A command was called with arguments that cannot work."""

    exit_code = 2


class SourceError(NewsdeskError):
    """One source failed; the run goes on."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source, self.reason = source, reason


class FetchError(SourceError):
    """The outlet could not be fetched (network, HTTP status, limits)."""


class ParseError(SourceError):
    """The outlet answered, but its body is not what the source expects."""


class StoreError(NewsdeskError):
    """The store cannot be opened, read or written."""


class OutputError(NewsdeskError):
    """An output path is unsafe or claimed twice, or the output cannot be written."""


class LockedError(NewsdeskError):
    """Another newsdesk process holds the lock this work needs."""


class PublishError(NewsdeskError):
    """The built site could not be published (git, the publish command, the release folder)."""
