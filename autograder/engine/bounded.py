"""Run one step of the grader's own work on student data under a time and memory limit.

    text = bounded(render, notebook, seconds=30, memory=1 << 30)   # None if it did not finish

The step runs in a forked child of the worker (cheap: the libraries are already imported) with
an address-space limit of `memory` bytes above what the worker already maps, and is killed when
`seconds` run out. It returns a string, or None when it failed, ran out of time or memory: the
caller falls back to something plain. Where fork does not exist (Windows) the step runs in
process, unbounded, and says so in `BOUNDED`.
"""
import os
import resource
import signal
import tempfile
import time

BOUNDED = hasattr(os, "fork")


def _mapped_bytes():
    """The address space this process maps now (Linux), or 0 if unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def bounded(func, *args, seconds=30.0, memory=1 << 30):
    """`func(*args)` (a str) computed in a child process under the limits, or None."""
    if not BOUNDED:
        try:
            return func(*args)
        except Exception:
            return None
    with tempfile.TemporaryFile() as out:
        limit = _mapped_bytes() + memory
        pid = os.fork()
        if pid == 0:  # the child: compute, write, exit without running the parent's cleanup
            status = 1
            try:
                if limit > memory:
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                out.write(func(*args).encode("utf-8", "replace"))
                out.flush()
                status = 0
            finally:
                os._exit(status)
        deadline = time.monotonic() + seconds
        delay = 0.001
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            return None
        out.seek(0)
        return out.read().decode("utf-8", "replace")
