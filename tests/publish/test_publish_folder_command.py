"""The folder target (release snapshots behind one symlink) and the publish command."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from newsdesk.config import Config, parse_config
from newsdesk.errors import PublishError
from newsdesk.publish import publish, redact
from newsdesk.publish.secrets import secrets_of
from newsdesk.site.write import write_atomic


def _config(root: Path, publish_table: str) -> Config:
    (root / "public").mkdir(exist_ok=True)
    (root / "public" / "index.html").write_text("v1", encoding="utf-8")
    text = (f'[site]\noutput = "public"\n[publish]\n{publish_table}\n'
            '[[sources]]\nname = "wire"\nurl = "http://127.0.0.1/wire.xml"\n')
    return parse_config(text, root / "newsdesk.toml")


def test_default_folder_target_publishes_in_place(tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    (report,) = publish(config)
    assert report.target == "folder" and not report.changed


def test_release_folder_switches_the_symlink_and_keeps_two(tmp_path: Path) -> None:
    config = _config(tmp_path, 'path = "www"')
    (tmp_path / "public" / ".newsdesk-manifest.json").write_text("{}", encoding="utf-8")
    seen = []
    for version in range(4):
        write_atomic(tmp_path / "public" / "index.html", f"v{version}".encode())  # as the build writes
        (report,) = publish(config)
        assert report.changed
        www = tmp_path / "www"
        assert www.is_symlink() and (www / "index.html").read_text(encoding="utf-8") == f"v{version}"
        assert not (www / ".newsdesk-manifest.json").exists()
        seen.append(os.readlink(www))
    assert len(set(seen)) == 4
    releases = sorted(p.name for p in (tmp_path / ".www.releases").iterdir())
    assert len(releases) == 2 and Path(seen[-1]).name == releases[-1]
    # the build replaces files by rename, so an old release keeps its own bytes
    assert (tmp_path / ".www.releases" / releases[0] / "index.html").read_text(encoding="utf-8") == "v2"


def test_release_folder_refuses_to_replace_a_real_folder(tmp_path: Path) -> None:
    config = _config(tmp_path, 'path = "www"')
    (tmp_path / "www").mkdir()
    with pytest.raises(PublishError, match="not a symlink newsdesk made"):
        publish(config)


def test_command_runs_with_the_output_folder(tmp_path: Path) -> None:
    config = _config(tmp_path, 'target = "command"\ncommand = "cp \\"$NEWSDESK_OUTPUT/index.html\\" copied.html"')
    (report,) = publish(config)
    assert report.changed
    assert (tmp_path / "copied.html").read_text(encoding="utf-8") == "v1"


def test_command_after_the_folder_target(tmp_path: Path) -> None:
    config = _config(tmp_path, 'command = "touch ran"')
    assert [r.target for r in publish(config)] == ["folder", "command"]
    assert (tmp_path / "ran").exists()


def test_failing_command_is_an_error_with_credentials_masked(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    command = "echo uploading to https://deploy:hunter2-secret@example.com/site; echo denied for https://deploy:hunter2-secret@example.com >&2; exit 3"
    config = _config(tmp_path, f'target = "command"\ncommand = "{command}"')
    with pytest.raises(PublishError) as failed:
        publish(config)
    assert "exited with 3" in str(failed.value)
    assert "hunter2" not in str(failed.value) and "hunter2" not in caplog.text
    assert "https://***@example.com" in str(failed.value)


def test_command_timeout(tmp_path: Path) -> None:
    config = _config(tmp_path, 'target = "command"\ncommand = "sleep 5"\ncommand_timeout = "0.3s"')
    with pytest.raises(PublishError, match="did not finish within 0.3 s"):
        publish(config)


@pytest.mark.parametrize(("text", "secrets", "expected"), [
    ("https://user:pw123456@host/x", [], "https://***@host/x"),
    ("push to https://tok3n-abc@github.com/o/r.git failed", [], "push to https://***@github.com/o/r.git failed"),
    ("token tok3n-abc leaked", ["tok3n-abc"], "token *** leaked"),
    ("short ab stays", ["ab"], "short ab stays"),
], ids=["user-password", "token-as-user", "bare-secret", "too-short-to-mask"])
def test_redact(text: str, secrets: list[str], expected: str) -> None:
    assert redact(text, secrets) == expected


def test_secrets_of_a_url() -> None:
    assert set(secrets_of("https://x-access-token:abc123@github.com/o/r")) == {"x-access-token:abc123",
                                                                                "x-access-token", "abc123"}


def test_publish_config_is_validated_with_file_line_and_key(tmp_path: Path) -> None:
    from newsdesk.errors import ConfigError

    text = '[publish]\ntarget = "ftp"\nkeep_history = "some"\nbranch = "-x"\n'
    with pytest.raises(ConfigError) as bad:
        parse_config(text, tmp_path / "newsdesk.toml")
    problems = bad.value.problems
    assert any(p.endswith(":2: publish.target: expected folder, git or command, got 'ftp'") for p in problems)
    assert any(":3: publish.keep_history:" in p for p in problems)
    assert any(":4: publish.branch:" in p for p in problems)
    with pytest.raises(ConfigError, match="publish.command: target = \"command\" needs a command"):
        parse_config('[publish]\ntarget = "command"\n', tmp_path / "newsdesk.toml")
