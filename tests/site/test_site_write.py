"""write_atomic, the build manifest and stale-file removal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsdesk.errors import OutputError
from newsdesk.site import write
from newsdesk.site.write import MANIFEST, EarlyFlush, WriteBatch, read_legacy_manifest, remove_stale, write_atomic


def test_write_atomic_creates_folders_and_reports_a_write(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "page.html"
    assert write_atomic(target, "页面".encode()) is True
    assert target.read_bytes() == "页面".encode()
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]  # no temp file left


def test_identical_bytes_leave_the_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    write_atomic(target, b"same")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    inode = target.stat().st_ino
    assert write_atomic(target, b"same") is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert target.stat().st_ino == inode


def test_changed_bytes_replace_the_file(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    write_atomic(target, b"old")
    assert write_atomic(target, b"new!") is True
    assert target.read_bytes() == b"new!"


def test_short_writes_are_continued_and_durable_writes_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write, synced = os.write, []
    monkeypatch.setattr(write.os, "write", lambda fd, data: real_write(fd, bytes(data[:7])))  # 7 bytes a call
    monkeypatch.setattr(write.os, "fsync", lambda fd: synced.append(fd))
    data = "一页新闻，比七个字节长得多。".encode() * 50
    target = tmp_path / "page.html"
    assert write_atomic(target, data) is True
    assert target.read_bytes() == data
    assert len(synced) == 1
    assert write_atomic(tmp_path / "other.html", data, durable=False) is True
    assert len(synced) == 1


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "page.html"
    write_atomic(target, b"old page")

    def full_disk(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, "write", full_disk)
    with pytest.raises(OutputError, match=r"page\.html: cannot write: No space left on device"):
        write_atomic(target, b"new page")
    assert target.read_bytes() == b"old page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_a_batch_puts_its_files_in_place_only_when_published(tmp_path: Path) -> None:
    old, same = tmp_path / "old.html", tmp_path / "same.html"
    write_atomic(old, b"old page")
    write_atomic(same, b"same page")
    batch = WriteBatch()
    assert batch.write(old, b"new page") is True
    assert batch.write(tmp_path / "day" / "new.html", b"another") is True  # a new folder is made
    assert batch.write(same, b"same page") is False
    assert old.read_bytes() == b"old page"  # nothing moved yet: the new bytes wait in temp files
    assert not (tmp_path / "day" / "new.html").exists()
    batch.publish()
    assert old.read_bytes() == b"new page"
    assert (tmp_path / "day" / "new.html").read_bytes() == b"another"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["new.html", "old.html", "same.html"]


def test_a_large_batch_replaces_pages_a_fifo_and_a_link_without_following_or_waiting(tmp_path: Path) -> None:
    pages = [tmp_path / f"p{n}.html" for n in range(40)]  # enough for publish() to free them in threads
    for page in pages:
        write_atomic(page, b"old")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.html"
    outside.write_text("not the site's")
    os.symlink(outside, pages[0].with_name("linked.html"))
    os.mkfifo(tmp_path / "fifo.html")  # opening it to read would wait for a writer
    batch = WriteBatch()
    for page in [*pages, tmp_path / "linked.html", tmp_path / "fifo.html"]:
        assert batch.write(page, page.name.encode()) is True
    batch.publish()
    for page in [*pages, tmp_path / "linked.html", tmp_path / "fifo.html"]:
        assert page.is_file() and not page.is_symlink() and page.read_bytes() == page.name.encode()
    assert outside.read_text() == "not the site's"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_discarded_batch_leaves_the_old_files_and_no_temp(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    write_atomic(page, b"old page")
    batch = WriteBatch()
    batch.write(page, b"new page")
    batch.write(tmp_path / "other.html", b"other")
    batch.discard()
    batch.publish()  # nothing left to publish
    assert page.read_bytes() == b"old page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_a_batch_block_publishes_on_success_and_discards_on_failure(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    with WriteBatch() as batch:
        batch.write(page, b"first")
        assert not page.exists()
    assert page.read_bytes() == b"first"
    with pytest.raises(RuntimeError), WriteBatch() as batch:
        batch.write(page, b"second")
        raise RuntimeError("rendering failed")
    assert page.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_a_failed_publish_is_an_output_error_and_drops_the_rest(tmp_path: Path) -> None:
    first, blocked, last = tmp_path / "a.html", tmp_path / "b.html", tmp_path / "c.html"
    batch = WriteBatch()
    for path in (first, blocked, last):
        batch.write(path, path.name.encode())
    blocked.mkdir()  # a folder took the page's place after it was written
    (blocked / "keep.txt").write_text("user file")
    with pytest.raises(OutputError, match=r"b\.html: cannot write"):
        batch.publish()
    assert first.read_bytes() == b"a.html"
    assert not last.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]
    assert (blocked / "keep.txt").read_text() == "user file"


def test_a_folder_in_the_way_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "page.html").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        write_atomic(tmp_path / "page.html", b"x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_folder_is_an_output_error_and_leaves_no_temp(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            write_atomic(folder / "page.html", b"x")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_legacy_manifests_of_both_formats_and_bad_ones(tmp_path: Path) -> None:
    assert read_legacy_manifest(tmp_path) == set()
    (tmp_path / MANIFEST).write_text('{"version": 1, "files": ["b.html", "a/c.html"]}')
    assert read_legacy_manifest(tmp_path) == {"a/c.html", "b.html"}
    (tmp_path / MANIFEST).write_text('{"version": 2, "files": [], "inputs": {"x.html": "k1", "y/z.html": "k2"}}')
    assert read_legacy_manifest(tmp_path) == {"x.html", "y/z.html"}
    (tmp_path / MANIFEST).write_text("{not json")
    assert read_legacy_manifest(tmp_path) == set()
    (tmp_path / MANIFEST).write_text('{"files": "x"}')
    assert read_legacy_manifest(tmp_path) == set()


def test_remove_stale_never_leaves_the_output(tmp_path: Path) -> None:
    output = tmp_path / "public"
    (output / "x" / "y").mkdir(parents=True)
    (output / "x" / "y" / "old.html").write_text("old")
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    removed = remove_stale(output, {"x/y/old.html", "../precious.txt", "/etc/hostname", "gone.html"})
    assert removed == 1
    assert outside.read_text() == "keep"
    assert not (output / "x").exists()  # emptied folders go too
    assert output.is_dir()


def test_remove_stale_leaves_a_folder_that_was_listed_as_a_file(tmp_path: Path) -> None:
    (tmp_path / "now-a-folder").mkdir()
    (tmp_path / "now-a-folder" / "user.txt").write_text("mine")
    assert remove_stale(tmp_path, {"now-a-folder"}) == 0
    assert (tmp_path / "now-a-folder" / "user.txt").exists()


def test_output_folder_refuses_a_symlinked_folder_that_leads_outside(tmp_path: Path) -> None:
    from newsdesk.errors import OutputError
    from newsdesk.site.write import OutputFolder

    output, outside = tmp_path / "public", tmp_path / "elsewhere"
    (output / "cat" / "2024").mkdir(parents=True)
    outside.mkdir()
    (output / "cat" / "2024" / "01").symlink_to(outside)  # planted deep in the tree
    (output / "inner").symlink_to(output / "cat")  # a link that stays inside is fine
    folder = OutputFolder(output)
    assert folder.resolve("cat/2024/02/x.html") == output / "cat" / "2024" / "02" / "x.html"
    with pytest.raises(OutputError, match="escapes"):
        folder.resolve("cat/2024/01/x.html")
    assert folder.resolve("inner/2024/y.html") == (output / "cat" / "2024" / "y.html")
    (output / "top").symlink_to(outside)  # at the top of the tree, where an outlet's folder is
    with pytest.raises(OutputError, match="escapes"):
        folder.resolve("top/2024/01/z.html")
    with pytest.raises(OutputError, match="unsafe"):
        folder.resolve("/etc/cron.d/x")
    # an output folder reached through a link: paths come out under its real place
    (tmp_path / "site").symlink_to(output)
    assert OutputFolder(tmp_path / "site").resolve("new/a.html") == output / "new" / "a.html"


def test_early_flush_syncs_while_running_and_not_after_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    calls: list[int] = []
    synced = threading.Event()

    def sync() -> None:
        calls.append(1)
        synced.set()

    monkeypatch.setattr(write.os, "sync", sync)
    flusher = EarlyFlush(pause_s=0.01).start()
    assert synced.wait(5)
    flusher.stop()
    after = len(calls)
    threading.Event().wait(0.05)
    assert len(calls) == after >= 1
