"""Run the user's publish command (rsync, an object-storage upload...) after each publish."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from newsdesk.errors import PublishError
from newsdesk.publish import PublishReport
from newsdesk.publish.secrets import redact

log = logging.getLogger(__name__)


def run_command(command: str, output: Path, timeout_s: float) -> PublishReport:
    """Run `command` through the shell with NEWSDESK_OUTPUT set to the site folder; raises PublishError."""
    env = {**os.environ, "NEWSDESK_OUTPUT": str(output.absolute())}
    try:
        done = subprocess.run(["/bin/sh", "-c", command], cwd=output.absolute().parent, env=env,
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PublishError(f"publish command did not finish within {timeout_s:g} s") from exc
    except OSError as exc:
        raise PublishError(f"publish command could not start: {exc.strerror or exc}") from exc
    # the command's own output may echo a URL with a token in it
    for line in redact(done.stdout + done.stderr).splitlines():
        log.info("publish command: %s", line)
    if done.returncode != 0:
        last = redact(done.stderr.strip() or done.stdout.strip()).splitlines()
        reason = last[-1] if last else "no output"
        raise PublishError(f"publish command exited with {done.returncode}: {reason}")
    return PublishReport("command", True, "publish command done")
