"""Publish a built site: leave it in place, switch a release folder, commit it to a git branch, run a command."""

from __future__ import annotations

from dataclasses import dataclass

from newsdesk.config import Config
from newsdesk.publish.secrets import redact

__all__ = ["PublishReport", "publish", "redact"]


@dataclass(frozen=True, slots=True)
class PublishReport:
    """What one publish did: which target, whether anything went out, and a line for the log."""

    target: str
    changed: bool  # a new release, commit or command run happened
    detail: str  # one line, credentials removed


def publish(config: Config, news: tuple[int, int] | None = None) -> list[PublishReport]:
    """Publish [site] output to the [publish] target, then run the command if one is set; raises PublishError.

    `news` is (new, updated) articles since the last publish, for the git commit message.
    """
    settings = config.publish
    output = config.site.output
    reports: list[PublishReport] = []
    if settings.target == "folder":
        if settings.path is not None:
            from newsdesk.publish.folder import publish_folder

            reports.append(publish_folder(output, settings.path))
        else:
            reports.append(PublishReport("folder", False, f"site is served from {output}"))
    elif settings.target == "git":
        from newsdesk.publish.git import publish_git

        reports.append(publish_git(output, settings, news))
    if settings.command:
        from newsdesk.publish.command import run_command

        reports.append(run_command(settings.command, output, settings.command_timeout_s))
    return reports
