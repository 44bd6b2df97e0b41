"""`import jekyll` writes the store, so it waits for no one: it is refused while another command holds it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsdesk.cli import main
from newsdesk.lock import hold_lock
from newsdesk.store import open_store

MIRROR = Path(__file__).resolve().parents[1] / "jekyll" / "fixtures" / "mirror"


def test_import_is_refused_while_the_store_is_held_and_works_after(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "newsdesk.toml"
    config.write_text('[site]\ntitle = "x"\n', encoding="utf-8")
    mirror = shutil.copytree(MIRROR, tmp_path / "mirror")
    store_path = tmp_path / ".newsdesk" / "newsdesk.db"
    store_path.parent.mkdir()
    with hold_lock(store_path, "build"):
        assert main(["--config", str(config), "import", "jekyll", str(mirror)]) == 1
    assert "in use by pid" in capsys.readouterr().err
    assert main(["--config", str(config), "import", "jekyll", str(mirror)]) == 0
    with open_store(store_path) as store:
        assert store.count_articles() > 0
