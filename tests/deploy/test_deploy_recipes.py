"""The recipes in deploy/: each checked as far as this machine allows."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from livewire import LiveFeed, article_pages, write_config
from loopback import Outlet

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent
UNITS = ("newsdesk.service", "newsdesk-once.service", "newsdesk-once.timer")


def _newsdesk_executable() -> str:
    found = shutil.which("newsdesk") or str(Path(sys.executable).with_name("newsdesk"))
    if not Path(found).is_file():
        pytest.skip("the newsdesk console script is not installed")
    return found


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    executable = _newsdesk_executable()
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        # verify checks that ExecStart exists: point it at this machine's newsdesk
        (tmp_path / name).write_text(text.replace("/usr/local/bin/newsdesk", executable), encoding="utf-8")
    done = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in UNITS)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_systemd_units_run_the_documented_commands() -> None:
    service = (DEPLOY / "systemd" / "newsdesk.service").read_text(encoding="utf-8")
    once = (DEPLOY / "systemd" / "newsdesk-once.service").read_text(encoding="utf-8")
    timer = (DEPLOY / "systemd" / "newsdesk-once.timer").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=\S+newsdesk --config \S+ run$", service, re.M)
    assert re.search(r"^ExecStart=\S+newsdesk --config \S+ run --once$", once, re.M)
    assert "KillSignal=SIGTERM" in service and "Type=oneshot" in once
    assert "OnUnitActiveSec=5min" in timer


def _cron_command() -> tuple[str, str]:
    lines = [ln for ln in (DEPLOY / "cron.txt").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    return " ".join(fields[:5]), fields[5]


def _workflow() -> dict[str, object]:
    data = yaml.safe_load((DEPLOY / "github" / "newsdesk.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_workflow_runs_once_and_deploys_pages_without_committing() -> None:
    workflow = _workflow()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert triggers["schedule"][0]["cron"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    assert uses.index("actions/upload-pages-artifact") < uses.index("actions/deploy-pages")
    assert re.search(r"newsdesk .*run --once", runs)
    # generated files go out as a Pages artifact, never as commits
    assert "git commit" not in runs and "git push" not in runs
    assert workflow["permissions"]["contents"] == "read"
    upload = steps[uses.index("actions/upload-pages-artifact")]
    assert upload["with"]["path"] == "public"


def test_workflow_and_cron_commands_work_here(tmp_path: Path, outlet: Outlet) -> None:
    """Run the workflow's cycle step and the cron line's command against a loopback outlet."""
    feed = LiveFeed(outlet, "/wire.xml", "wire")
    feed.publish(3)
    write_config(tmp_path, [feed])
    (step,) = [s["run"] for s in _workflow()["jobs"]["update"]["steps"] if "run --once" in s.get("run", "")]
    executable = _newsdesk_executable()
    done = subprocess.run([executable, *shlex.split(step)[1:]], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(article_pages(tmp_path / "public")) == 3
    for line in done.stderr.splitlines():  # --log-json: every log line is one JSON object
        assert {"time", "level", "logger", "message"} <= json.loads(line).keys()

    schedule, command = _cron_command()
    assert schedule == "*/5 * * * *"
    feed.publish(1)
    local = (command.replace("/srv/newsdesk", str(tmp_path)).replace("/usr/local/bin/newsdesk", executable))
    done = subprocess.run(["/bin/sh", "-c", local], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (tmp_path / "newsdesk.log").read_text(encoding="utf-8")
    assert len(article_pages(tmp_path / "public")) == 4


def test_dockerfile_copies_what_exists_and_runs_newsdesk() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), source
    assert 'ENTRYPOINT ["newsdesk"' in text and 'CMD ["run"]' in text


@pytest.mark.slow
def test_docker_image_builds() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed here")
    probe = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("the Docker daemon is not available here: " + (probe.stderr.strip().splitlines() or ["?"])[-1])
    done = subprocess.run([docker, "build", "-q", "-t", "newsdesk-test", "-f", str(DEPLOY / "Dockerfile"), str(ROOT)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    ran = subprocess.run([docker, "run", "--rm", "newsdesk-test", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 0 and "newsdesk" in ran.stdout
