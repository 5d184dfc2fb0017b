"""One memory limit for everything a notebook runs: a cgroup of its own, where the machine allows.

    group = MemoryGroup.create(limit)     # None when this machine gives the grader no cgroup
    argv = group.enter_argv() + argv      # the kernel and all it starts are in the group
    ... group.oom_killed(), group.peak() ...
    group.remove()                        # kills what is left, removes the group

rlimits are per process: 64 processes of 3 GiB each are 192 GiB. A cgroup counts them together.
cgroup v2 (`memory.max`) is used when the grader's own cgroup delegates the memory controller;
cgroup v1's memory controller (`memory.limit_in_bytes`) otherwise, when its hierarchy is
writable (as root it usually is). `status()` says why neither is usable; the grader then prints
it loudly and only the per-process rlimits hold.

A grading worker (a pool process, never the main one) gets a group of its own too, of
WORKER_LIMIT: a kernel can make its worker buffer a message of endless parts (zmq limits the size
of each part, not their number); past the limit the kernel's OOM killer stops that worker, which
costs only the notebook it was grading.
"""
import itertools
import multiprocessing
import os
import signal
import time
from pathlib import Path

_NAMES = itertools.count()
# A worker's own memory: its peak while flooded (capped.WORKER_MEMORY, 640 MB), the feedback
# page's forked child (feedback.RENDER_MEMORY, 1 GiB) and room to spare.
WORKER_LIMIT = 2 << 30


def _own_groups():
    """{controller or '' (v2): path of this process's cgroup} from /proc/self/cgroup."""
    groups = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return groups
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                groups[controller] = parts[2]
    return groups


def _mounts():
    """[(mount point, fstype, super options)] of the cgroup filesystems."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) >= 5 and len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], rest[0], rest[2].split(",")))
    return found


def _parent():
    """(version, folder under which notebook groups are made) or (None, why not)."""
    groups = _own_groups()
    reasons = []
    for mount, fstype, options in _mounts():
        if fstype == "cgroup2" and "" in groups:
            folder = Path(mount + groups[""].rstrip("/"))
            control = folder / "cgroup.subtree_control"
            try:
                if "memory" in control.read_text().split() and os.access(folder, os.W_OK):
                    return 2, folder
            except OSError:
                pass
            reasons.append(f"cgroup v2 at {folder} does not delegate the memory controller")
        elif fstype == "cgroup" and "memory" in options and "memory" in groups:
            folder = Path(mount + groups["memory"].rstrip("/"))
            if (folder / "memory.limit_in_bytes").exists() and os.access(folder, os.W_OK):
                return 1, folder
            reasons.append(f"the cgroup v1 memory folder {folder} is not writable")
    return None, "; ".join(reasons) or "this machine has no cgroup memory controller"


_PARENT = None


def status():
    """None when notebooks get a memory cgroup, else a sentence saying why not."""
    global _PARENT
    if _PARENT is None:
        _PARENT = _parent()
    return None if _PARENT[0] else _PARENT[1]


class MemoryGroup:
    """A cgroup limiting the memory of every process in it together."""

    def __init__(self, version, folder):
        self.version, self.folder = version, folder

    @classmethod
    def create(cls, limit):
        """A new group limited to `limit` bytes (no swap), or None if not possible here."""
        if status():
            return None
        version, parent = _PARENT
        folder = parent / f"autograder-{os.getpid()}-{next(_NAMES)}"
        try:
            folder.mkdir()
            group = cls(version, folder)
            if version == 2:
                group._write("memory.max", limit)
                group._write("memory.swap.max", 0, optional=True)
            else:
                group._write("memory.limit_in_bytes", limit)
                group._write("memory.memsw.limit_in_bytes", limit, optional=True)
            return group
        except OSError:
            try:
                folder.rmdir()
            except OSError:
                pass
            return None

    def _write(self, name, value, optional=False):
        try:
            (self.folder / name).write_text(str(value))
        except OSError:
            if not optional:
                raise

    def _read(self, name):
        try:
            return (self.folder / name).read_text()
        except OSError:
            return ""

    def enter_argv(self):
        """A command prefix that moves itself into the group, then runs the rest."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.folder / "cgroup.procs")]

    def peak(self):
        """Most memory the group used at once, in bytes (0 if unknown)."""
        text = self._read("memory.peak" if self.version == 2 else "memory.max_usage_in_bytes")
        return int(text) if text.strip().isdigit() else 0

    def oom_killed(self):
        """True if the kernel's OOM killer stopped a process of the group."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        for line in self._read(name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
        return False

    def remove(self):
        """Kill every process still in the group and remove it."""
        for _ in range(50):
            pids = [int(p) for p in self._read("cgroup.procs").split() if p.isdigit()]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                self.folder.rmdir()
                return
            except OSError:
                time.sleep(0.02)


_CONFINED = []


def confine_worker(limit=WORKER_LIMIT):
    """Move this process, if it is a pool's worker, into a memory group of its own (once)."""
    if _CONFINED or multiprocessing.parent_process() is None or status():
        return
    version, parent = _PARENT  # notebooks' groups stay beside the worker's, not inside it
    group = MemoryGroup(version, parent / f"autograder-worker-{os.getppid()}-{os.getpid()}")
    try:
        group.folder.mkdir()
        group._write("memory.max" if version == 2 else "memory.limit_in_bytes", limit)
        group._write("cgroup.procs", os.getpid())
        _CONFINED.append(group)
    except OSError:
        pass


def remove_worker_groups():
    """Remove the groups of this process's workers, empty once the pool has finished."""
    if status():
        return
    for folder in _PARENT[1].glob(f"autograder-worker-{os.getpid()}-*"):
        try:
            folder.rmdir()
        except OSError:
            pass
