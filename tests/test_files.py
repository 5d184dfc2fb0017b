"""Reading submitted files: never through a link, never from a special file, never unbounded."""
import os
import stat

import pytest

from autograder.engine.files import Refused, plain_files, read_below


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "submitted"
    folder = root / "alice" / "01"
    folder.mkdir(parents=True)
    (folder / "nb.ipynb").write_bytes(b"{}")
    (tmp_path / "secret.txt").write_text("solution")
    return root, folder


def test_a_plain_file_is_read(tree):
    root, _ = tree
    assert read_below(root, "alice/01/nb.ipynb", 100) == b"{}"


@pytest.mark.parametrize("make, says", [
    (lambda f, t: (f / "x").symlink_to(t / "secret.txt"), "is a symbolic link"),
    (lambda f, t: (f / "x").symlink_to("/proc/self/mem"), "is a symbolic link"),
    (lambda f, t: os.mkfifo(f / "x"), "is a named pipe"),
    (lambda f, t: os.mknod(f / "x", 0o600 | stat.S_IFCHR, os.makedev(1, 3)), "is a device"),
    (lambda f, t: (f / "x").mkdir(), "is a folder"),
])
def test_anything_but_a_plain_file_is_refused_saying_what_it_is(tree, tmp_path, make, says):
    root, folder = tree
    make(folder, tmp_path)
    with pytest.raises(Refused, match=says):
        read_below(root, "alice/01/x", 100)


def test_a_linked_folder_on_the_way_is_refused(tree, tmp_path):
    root, folder = tree
    (root / "bob").symlink_to(root / "alice")
    with pytest.raises(Refused, match="bob is a symbolic link"):
        read_below(root, "bob/01/nb.ipynb", 100)


def test_a_file_over_the_limit_is_refused_unread(tree):
    root, folder = tree
    (folder / "big").write_bytes(b"x" * 101)
    with pytest.raises(Refused, match="more than"):
        read_below(root, "alice/01/big", 100)


def test_listing_never_enters_a_linked_folder_and_names_what_each_entry_is(tree, tmp_path):
    root, folder = tree
    (folder / "sub").mkdir()
    (folder / "sub" / "a.txt").write_text("a")
    (folder / "solutions").symlink_to(tmp_path)
    os.mkfifo(folder / "pipe")
    assert plain_files(root, "alice/01") == [
        ("nb.ipynb", None), ("pipe", "a named pipe"), ("solutions", "a symbolic link"),
        ("sub/a.txt", None)]
