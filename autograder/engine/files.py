"""Reading what students submitted as plain files only: no link is followed, nothing but a
regular file is opened, and no read is unbounded.

Folders and uploads unpacked from archives can hold symbolic links (to the instructor's source
notebooks, a classmate's submission, /proc/self/mem), named pipes that block a reader forever,
or device files. Every path below SUBMITTED is opened one component at a time relative to its
parent's descriptor with O_NOFOLLOW, and checked with fstat on the descriptor it will read.
"""
import os
import stat
from pathlib import Path


class Refused(Exception):
    """A submitted path that is not a plain file or folder; the message says what it is."""


def kind(mode):
    """What a file of st_mode `mode` is, in words."""
    for test, words in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                        (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder"),
                        (stat.S_ISREG, "a file")):
        if test(mode):
            return words
    return "not a regular file"


def _open_at(dir_fd, name, folder):
    """Open `name` in the folder `dir_fd` without following a link; fd of a folder or file."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        raise Refused(f"{name} cannot be read ({exc.strerror})") from None
    wanted = stat.S_ISDIR if folder else stat.S_ISREG
    if not wanted(st.st_mode):
        raise Refused(f"{name} is {kind(st.st_mode)}, not a plain {'folder' if folder else 'file'}"
                      f"; links and special files are never followed or read")
    try:
        fd = os.open(name, flags | (os.O_DIRECTORY if folder else 0), dir_fd=dir_fd)
    except OSError as exc:
        raise Refused(f"{name} cannot be read ({exc.strerror})") from None
    if not wanted(os.fstat(fd).st_mode):  # replaced between the two calls
        os.close(fd)
        raise Refused(f"{name} changed while it was being read")
    return fd


def open_below(root, relative, folder=False):
    """A descriptor of `root`/`relative`, where no component of `relative` may be a link or a
    special file (`root` itself is the instructor's and may be one). Raises Refused."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        parts = Path(relative).parts
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            new = _open_at(fd, name, folder or not last)
            os.close(fd)
            fd = new
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_fd(fd, limit, name):
    """At most `limit` bytes from `fd` (closed afterwards); Refused if there are more."""
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise Refused(f"{name} is {size >> 20} MiB, more than the {limit >> 20} MiB allowed")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise Refused(f"{name} is more than the {limit >> 20} MiB allowed")
        return data
    finally:
        os.close(fd)


def read_below(root, relative, limit):
    """The bytes of the plain file `root`/`relative` (see open_below), at most `limit`."""
    return read_fd(open_below(root, relative), limit, Path(relative).name)


def lkind(path):
    """What `path` is, without following it: "a folder", "a file", "a symbolic link", ..."""
    try:
        return kind(os.lstat(path).st_mode)
    except OSError as exc:
        return f"unreadable ({exc.strerror})"


def plain_files(root, relative):
    """(relative path, refusal or None) of every entry below the plain folder root/relative,
    without following links; folders that are links or special are listed as refused and not
    entered."""
    top = open_below(root, relative, folder=True)
    out = []
    try:
        for folder, dirs, files, dir_fd in os.fwalk(".", dir_fd=top, follow_symlinks=False):
            # fwalk lists a link to a folder among the folders (without entering it)
            modes = {name: os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
                     for name in dirs + files}
            dirs[:] = sorted(name for name in dirs if stat.S_ISDIR(modes[name]))
            for name in sorted(set(modes) - set(dirs)):
                rel = os.path.normpath(os.path.join(folder, name))
                out.append((rel, None if stat.S_ISREG(modes[name]) else kind(modes[name])))
    finally:
        os.close(top)
    return out
