"""Every command has --help text and a README entry; init writes a config that loads."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from newsdesk.cli import build_parser, main
from newsdesk.config import load_config

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix} {name}".strip()
                nested = _commands(sub, full)
                found += nested or [(full, sub)]
    return found


COMMANDS = _commands(build_parser())


def test_the_contract_commands_exist() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"init", "fetch", "build", "update", "serve", "demo", "status", "export jekyll",
            "import jekyll"} <= names


@pytest.mark.parametrize(("name", "sub"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_and_a_readme_entry(name: str, sub: argparse.ArgumentParser,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*name.split(), "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert sub.description, f"{name} has no description"
    assert " ".join(sub.description.split()[:3]) in " ".join(text.split())
    readme = README.read_text(encoding="utf-8")
    assert re.search(rf"`newsdesk {re.escape(name)}\b", readme), f"README has no entry for {name}"


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["frobnicate"])
    assert done.value.code == 2


def test_init_writes_a_config_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "site")]) == 0
    config = load_config(tmp_path / "site" / "newsdesk.toml")
    assert config.sources and config.site.output == tmp_path / "site" / "public"
    assert main(["init", str(tmp_path / "site")]) == 2  # refuses to overwrite
    assert "exists already" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "site"), "--force"]) == 0


def test_missing_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "none.toml"), "fetch"]) == 2
    assert "newsdesk init" in capsys.readouterr().err
