"""Run a notebook's cells in an IPython kernel that cannot reach the instructor's side.

    result = run_notebook(nb, submission_dir, Limits(timeout=60))
    result.nb            # the executed notebook (outputs capped at Limits.output bytes)
    result.errors        # {cell index: "NameError: name 'x' is not defined", ...}
    result.failure       # None, or why the run stopped early (timeout, kernel died, ...)

With bubblewrap (`bwrap`, Linux) each kernel sees:

    /usr /bin /lib* /etc          the system, read-only
    <python prefix> <venv>        the Python environment, read-only (same paths as outside)
    <src>/tfcourse, /course/data  the student-safe helpers and data, read-only
    /submission                   read-only copy of the submission (plus the release's files)
    /tmp                          a fresh tmpfs of Limits.scratch bytes; the kernel runs in
                                  /tmp/submission, a writable copy of /submission
    <ipc dir>                     the kernel's sockets; locked (root-owned, 0755) once it is up
    /autograder/result            one writable file: the grader's result channel (RunResult.channel)
    /autograder/inbox             read-only: a timed case's inputs, put there as its cell is sent

and nothing else: no repo, no solutions/, no autograder/, no build/, no other submission, no
network (--unshare-all), its own PID namespace (killing it kills everything it started). The
kernel runs as an unprivileged uid of its own (when the grader is root), so the per-user process
limit holds, under rlimits on address space, CPU time, file size, open files and processes; the
grader enforces the wall clock and caps the output it keeps.

Without bubblewrap the same limits apply (via prlimit) but the kernel can read whatever the
grader's user can: `sandbox_status()` says so and the grader prints it loudly.
"""
import asyncio
import atexit
import base64
import itertools
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder.engine.capped import MAX_MESSAGE, CappedClient, client_context
from autograder.engine.cgroup import MemoryGroup
from autograder.engine.files import Refused, open_below, read_fd
from autograder.engine.judge import TIMED_STOP

REPO = Path(__file__).resolve().parents[2]
BWRAP = shutil.which("bwrap")
PRLIMIT = shutil.which("prlimit")
SETPRIV = shutil.which("setpriv")
# Files a kernel would load as configuration or code before any cell runs; never copied in.
UNSAFE_NAMES = {"ipython_config.py", "ipython_kernel_config.py", "sitecustomize.py",
                "usercustomize.py", "ipykernel_launcher.py", "jupyter_config.py"}
CHANNEL = "/autograder/result"  # where the harness writes its result, inside the sandbox
CHANNEL_BYTES = 32 << 20        # read at most this much of it
INBOX = "/autograder/inbox"     # read-only: where a timed case's inputs appear (judge.TIMED)
FIRST_UID = 200000  # sandbox uids start here: one uid per kernel, so its process limit is its own
_RUNS = itertools.count()


@dataclass(frozen=True)
class Limits:
    """What one notebook run may use. Sizes in bytes, times in seconds."""
    timeout: float = 120.0        # wall clock for the whole notebook
    cpu: int = 120                # CPU seconds per process
    memory: int = 3 << 30         # memory of all its processes together (cgroup), and address
                                  # space per process (rlimit); the kernel's own start-up with
                                  # numpy, matplotlib and tfcourse takes 0.96 GB of it (VmPeak,
                                  # Python 3.11 and 3.13; tests/test_sandbox.py keeps it under half)
    processes: int = 64           # processes and threads of the sandbox's uid
    file_size: int = 64 << 20     # largest file it may write
    open_files: int = 256
    scratch: int = 256 << 20      # the tmpfs holding /tmp
    output: int = 2 << 20         # output kept, every kind of message counted (engine.capped)

    def __post_init__(self):
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"Limits.{name}: expected a positive number, got {value!r}")


@dataclass
class RunResult:
    """What came out of running a notebook: the executed notebook and what went wrong."""
    nb: nbformat.NotebookNode
    errors: dict = field(default_factory=dict)   # cell index -> "Ename: message"
    failure: str | None = None                   # why the run stopped before the last cell
    seconds: float = 0.0
    sandboxed: bool = True
    truncated: bool = False                      # output beyond Limits.output was dropped
    oversized: bool = False                      # stopped: a message over capped.MAX_MESSAGE
    grouped: bool = False                        # Limits.memory held for all its processes
    peak_memory: int = 0                         # their most memory at once (0: unknown)
    channel: bytes | None = None                 # what the notebook wrote to its result channel
    stopped_at: int | None = None                # index of the cell the run stopped in, if any
    timed: dict = field(default_factory=dict)    # timed cell number -> (seconds, channel bytes)


def sandbox_status():
    """Return None when kernels run in bubblewrap, else a sentence saying what is missing."""
    if sys.platform != "linux":
        return f"bubblewrap needs Linux; this is {sys.platform}"
    if BWRAP is None:
        return ("bubblewrap (bwrap) is not installed: install it with `apt-get install -y "
                "bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`")
    return None


def _rlimits(limits, nproc=True):
    """prlimit options for `limits` (the process limit only where it can hold)."""
    opts = [f"--as={limits.memory}", f"--cpu={limits.cpu}", f"--fsize={limits.file_size}",
            f"--nofile={limits.open_files}", "--core=0"]
    if nproc:
        opts.append(f"--nproc={limits.processes}")
    return opts


def _environment(home, channel, inbox):
    """The kernel's whole environment: nothing of the grader's leaks in."""
    env = {"AUTOGRADER_RESULT": channel, "AUTOGRADER_INBOX": inbox, "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
           "IPYTHONDIR": f"{home}/.ipython", "MPLCONFIGDIR": f"{home}/.matplotlib",
           "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    data = REPO / "data"
    if data.is_dir():
        env["TFCOURSE_DATA"] = "/course/data" if BWRAP else str(data)
    return env


def _python_roots():
    """Folders the kernel's Python needs, read-only: base install, venv, editable helpers."""
    roots = {Path(sys.base_prefix), Path(sys.prefix), Path(sysconfig.get_paths()["purelib"])}
    if (REPO / "src" / "tfcourse").is_dir():
        roots.add(REPO / "src" / "tfcourse")  # the editable install's .pth points at src/
    system = ("/usr", "/bin", "/lib", "/lib64", "/etc", "/sbin")
    return sorted(str(r) for r in roots if not str(r).startswith(system))


# Libraries that differentiate for you: a test install puts PyTorch in the grading venv, and a
# backward pass exercise is about computing the gradient by hand (an attacker passed notebook
# 05's timed cases with torch's autograd). Inside the sandbox their folders are empty.
DIFFERENTIATORS = ("torch", "functorch", "torchgen", "jax", "jaxlib", "autograd", "tensorflow",
                   "keras", "tinygrad", "mxnet", "theano", "micrograd", "chainer", "mlx")


def _differentiators():
    """The folders of DIFFERENTIATORS installed where the kernel's Python looks for packages."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    return sorted(str(purelib / name) for name in DIFFERENTIATORS if (purelib / name).is_dir())


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside bubblewrap (or under prlimit only)."""

    def __init__(self, *, sandbox_argv, uid, **kwargs):
        super().__init__(**kwargs)
        self._sandbox_argv = sandbox_argv
        self._uid = uid

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self._uid is not None:  # the kernel's uid must read its connection file
            os.chown(self.connection_file, self._uid, self._uid)

    def client(self, **kwargs):
        """A client whose sockets refuse oversized messages (autograder.engine.capped)."""
        self._client_context = client_context()
        return super().client(context=self._client_context, **kwargs)

    def format_kernel_cmd(self, extra_arguments=None):
        return [*self._sandbox_argv, sys.executable, "-m", "ipykernel_launcher",
                "-f", self.connection_file]


def _bwrap_argv(limits, submission, ipc_dir, uid, channel):
    """The command prefix that starts a kernel inside bubblewrap under `limits`.

    As root, bwrap keeps only CAP_SETUID/CAP_SETGID for setpriv, which drops to `uid` (and
    every capability) before anything of the student's runs.
    """
    argv = [PRLIMIT, *_rlimits(limits, nproc=uid is not None)] if PRLIMIT else []
    argv += [BWRAP, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
             "--hostname", "sandbox"]
    if uid is None:
        argv += ["--unshare-user"]
    else:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for path in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"):
        argv += ["--ro-bind-try", path, path]
    # The scratch tmpfs comes before the Python binds: bwrap mounts in order, and a clone (or
    # venv) that lives under /tmp must stay visible on top of the fresh /tmp, not under it.
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(limits.scratch),
             "--tmpfs", "/tmp"]
    made = set()
    for path in _python_roots():
        for parent in reversed(Path(path).parents[:-1]):  # bwrap would make them 0700
            if str(parent) not in made:
                made.add(str(parent))
                argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", path, path]
    for package in _differentiators():  # an empty folder: `import torch` finds nothing to run
        argv += ["--tmpfs", package]
    if (REPO / "data").is_dir():
        argv += ["--perms", "0755", "--dir", "/course", "--ro-bind", str(REPO / "data"),
                 "/course/data"]
    argv += ["--ro-bind", str(submission), "/submission",
             "--perms", "0755", "--dir", str(Path(CHANNEL).parent), "--bind", str(channel), CHANNEL,
             "--ro-bind", str(_inbox(Path(channel).parent)), INBOX]
    for parent in reversed(ipc_dir.parents[:-1]):  # the sockets keep their outside path
        argv += ["--perms", "0755", "--dir", str(parent)]
    argv += ["--bind", str(ipc_dir), str(ipc_dir), "--chdir", "/tmp"]
    for key, value in _environment("/tmp", CHANNEL, INBOX).items():
        argv += ["--setenv", key, value]
    argv += ["--"]
    if uid is not None:
        argv += [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs"]
    # The submission is copied into the tmpfs so the notebook may write beside itself.
    return argv + ["/bin/sh", "-c", 'cp -R /submission /tmp/submission && cd /tmp/submission '
                   '&& exec "$@"', "sh"]


def _plain_argv(limits, uid, channel):
    argv = [PRLIMIT, *_rlimits(limits, nproc=uid is not None)] if PRLIMIT else []
    if uid is not None and SETPRIV:
        argv += [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return argv + ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in _environment(
        ".", str(channel), str(_inbox(Path(channel).parent))).items())]


def _copy_submission(src, dest, uid):
    """Copy the submission folder `src` to `dest`, readable by `uid`, without symlinks or the
    files a kernel would run before the first cell."""
    def skipped(folder, names):  # links could point anywhere on the grader's machine
        return [n for n in names if n in UNSAFE_NAMES or os.path.islink(os.path.join(folder, n))]
    shutil.copytree(src, dest, symlinks=True, ignore=skipped)
    for folder, dirs, files in os.walk(dest):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    if uid is not None and not BWRAP:  # the kernel works in this copy directly
        for folder, dirs, files in os.walk(dest):
            for name in [folder, *(os.path.join(folder, f) for f in files)]:
                os.chown(name, uid, uid)


def run_notebook(nb, submission_dir, limits=Limits(), uid=None):
    """Run every code cell of `nb` in a fresh sandboxed kernel whose working folder holds a
    copy of `submission_dir`; return a RunResult. Never raises for anything the notebook does."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        return asyncio.run(_run(nb, Path(submission_dir), limits, uid))
    # Called from a running loop (a notebook, Playwright's sync API): a thread of its own.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(_run(nb, Path(submission_dir), limits, uid))).result()


def _sandbox_uid(uid):
    """The uid the kernel runs as: None (the grader's own) unless root can drop privileges."""
    if uid is not None:
        return uid
    if os.geteuid() != 0 or not SETPRIV:
        return None
    if not BWRAP and not _python_usable_by_others():
        return None  # without bwrap the kernel sees the real tree: Python must be reachable
    # unique among live kernels: the worker's pid and a per-process run counter
    return FIRST_UID + (os.getpid() << 8) + next(_RUNS) % 256


def _python_usable_by_others():
    """True if another uid can run this Python: its executable, the shared libpython it loads
    and its standard library. (A venv's copied executable may be reachable while pyenv's
    libpython under a 0700 /root is not: the kernel then dies at start, or loads another
    Python's libpython and standard library of the same minor version.)"""
    needed = [Path(sys.executable).resolve(), Path(sysconfig.get_paths()["stdlib"])]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        needed.append(Path(sysconfig.get_config_var("LIBDIR")))
    return all(_usable_by_others(path) for path in needed)


def _usable_by_others(path):
    """True if every folder above `path` lets other users through."""
    return all(os.stat(p).st_mode & 0o001 for p in path.parents)


def _inbox(tmp):
    """The folder of a notebook's run `tmp` where the grader puts a timed case's inputs."""
    return Path(tmp) / "inbox"


def _admit_only(folder, uid):
    """Let into a notebook's run `folder` the grader and the kernel's `uid` only: it holds a
    student's submission and, while a timed cell runs, hidden inputs, and other users of the
    machine (other students, on a shared grading host) must not read either."""
    if uid is None:  # the kernel runs as the grader
        os.chmod(folder, 0o700)
        return
    os.chown(folder, -1, uid)  # the kernel's gid is its uid (setpriv --regid)
    os.chmod(folder, 0o750)


async def _run(nb, submission_dir, limits, uid):
    nb = nbformat.from_dict(nb)
    uid = _sandbox_uid(uid)
    start = time.monotonic()
    deadline = start + limits.timeout
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        tmp = Path(tmp)
        _admit_only(tmp, uid)
        submission = tmp / "submission"
        _copy_submission(submission_dir, submission, uid)
        ipc_dir = tmp / "ipc"
        ipc_dir.mkdir(mode=0o700)
        if uid is not None:
            os.chown(ipc_dir, uid, uid)
        channel = tmp / "result"  # a file of its own: the only host path the kernel may write
        channel.touch(mode=0o600)
        _inbox(tmp).mkdir(mode=0o755)  # the grader's; the kernel may only read it
        if uid is not None:
            os.chown(channel, uid, uid)
        if BWRAP:
            argv, cwd = _bwrap_argv(limits, submission, ipc_dir, uid, channel), tmp
        else:
            argv, cwd = _plain_argv(limits, uid, channel), submission
        group = MemoryGroup.create(limits.memory)
        argv = (group.enter_argv() if group else []) + argv
        km = SandboxKernelManager(sandbox_argv=argv, uid=uid, transport="ipc", ip=str(ipc_dir / "k"),
                                  connection_file=str(ipc_dir / "kernel.json"))
        stop = {}  # a timed cell's own limit (judge.TIMED_STOP), on top of the notebook's
        client = CappedClient(nb, limits.output, km, allow_errors=True,
                               timeout_func=lambda cell: max(1.0, min(
                                   deadline - time.monotonic(), stop.get(id(cell), float("inf")))),
                               startup_timeout=max(5.0, min(60.0, limits.timeout)),
                               resources={"metadata": {"path": str(cwd)}},
                               record_timing=False, shutdown_kernel="immediate")
        result = RunResult(nb=nb, sandboxed=BWRAP is not None, grouped=group is not None)
        try:
            await asyncio.wait_for(_execute(client, km, ipc_dir, uid, limits, result, stop, tmp),
                                   timeout=limits.timeout + 15)
        except asyncio.TimeoutError:
            result.failure = f"the notebook did not finish within {limits.timeout:g} s"
        finally:
            atexit.unregister(client._cleanup_kernel)
            client.stop_watching()
            await _stop(km)
            out_of_memory = group is not None and group.oom_killed()
            if group:
                result.peak_memory = group.peak()
                group.remove()
        if out_of_memory:
            result.failure = (f"the kernel died: the notebook used more than "
                              f"{limits.memory / 2**30:g} GiB of memory, all its processes together")
        elif client.oversized:
            result.oversized = True
            result.failure = (f"the notebook was stopped: it sent one message (an output, a display "
                              f"update or a widget message) of more than {MAX_MESSAGE >> 20} MB, "
                              f"more than the grader reads, or closed its connection to the grader")
        result.truncated = client.truncated or client.oversized
        result.channel = _read_channel(tmp)
        result.seconds = time.monotonic() - start
        result.errors = cell_errors(nb)
        return result


def _read_channel(tmp):
    """The bytes the kernel left in its result channel, or None if it is not a plain file
    (a link or a pipe put in its place) or larger than CHANNEL_BYTES."""
    try:
        return read_fd(open_below(tmp, "result"), CHANNEL_BYTES, "the result channel")
    except (Refused, OSError):
        return None


async def _execute(client, km, ipc_dir, uid, limits, result, stop, tmp):
    """Start the kernel, lock its socket folder, run the cells; record why it stopped early."""
    index = -1
    meta = client.nb.metadata.get("autograder")
    timed = meta.get("timed", []) if isinstance(meta, dict) else []
    try:
        # The kernel process's own stdout/stderr (not the cells') go to a log, read on failure.
        with open(ipc_dir.parent / "kernel.log", "wb") as log:
            async with client.async_setup_kernel(stdout=log, stderr=log):
                if uid is not None:  # sockets exist now: the kernel may not add files beside them
                    os.chown(ipc_dir, 0, 0)
                    os.chmod(ipc_dir, 0o755)
                for index, cell in enumerate(client.nb.cells):
                    result.stopped_at = index  # until it finishes
                    if index in timed:
                        await _timed(client, cell, index, tmp, stop, result, timed.index(index))
                        continue
                    await client.async_execute_cell(cell, index, execution_count=index + 1)
                result.stopped_at = None
                client.stop_watching()  # the shutdown that follows drops the links too
    except CellTimeoutError:
        result.failure = (f"time limit: cell {index + 1} was still running when the notebook's "
                          f"{limits.timeout:g} s ran out")
    except DeadKernelError:
        result.failure = (f"the kernel died in cell {index + 1} (the code exited or killed it, or "
                          f"exceeded the memory, CPU-time or process limit)")
    except RuntimeError as exc:  # kernel failed to start or never got ready
        result.failure = f"the kernel could not start: {exc}\n{_tail(ipc_dir.parent / 'kernel.log')}"
    except Exception as exc:  # a message from the kernel the client could not handle
        result.failure = (f"the kernel sent a message the grader could not read in cell "
                          f"{index + 1} ({type(exc).__name__}: {str(exc)[:200]})")


async def _timed(client, cell, index, tmp, stop, result, number):
    """Run a timed cell (autograder.engine.judge.grader_cells) and record, on the grader's own
    clock, the seconds from sending it to having read the result channel after its answer: its
    inputs reach the kernel only with the cell, so whatever the kernel does (a frozen clock, a
    thread, a fork, an early answer) the result read was computed within them. A cell still
    running after judge.TIMED_STOP is interrupted (and fails, being over the limit)."""
    stop[id(cell)] = TIMED_STOP
    client.interrupt_on_timeout = True
    client.error_on_timeout = {"ename": "TimeoutError", "evalue": "stopped by the grader",
                               "traceback": []}
    inputs = cell.metadata["autograder"]
    skeleton, arrays = inputs["inputs"].encode(), base64.b64decode(inputs["arrays"])
    inbox = _inbox(tmp)
    started = time.monotonic()
    for suffix, data in ((".npz", arrays), (".json", skeleton)):  # the kernel opens .json first
        part = inbox / f".{number}{suffix}.part"
        part.write_bytes(data)
        part.chmod(0o644)
        part.replace(inbox / f"{number}{suffix}")
    try:
        await client.async_execute_cell(cell, index, execution_count=index + 1)
    finally:
        client.interrupt_on_timeout, client.error_on_timeout = False, {}
        stop.pop(id(cell), None)
    channel = _read_channel(tmp)
    seconds = time.monotonic() - started
    result.timed[number] = (seconds, channel)


def _tail(path, size=1500):
    """The last `size` bytes of a file as text (the kernel's log can be as big as it wrote)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, os.fstat(log.fileno()).st_size - size))
            return log.read(size).decode(errors="replace")
    except OSError:
        return ""


async def _stop(km):
    """Kill the kernel and everything in its sandbox."""
    try:
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
    except Exception:  # already gone
        pass
    try:
        await km._async_cleanup_resources()
    except Exception:
        pass
    context = getattr(km, "_client_context", None)
    if context is not None:
        context.destroy(linger=0)


def cell_errors(nb):
    """Return {cell index: "Ename: message"} for each code cell whose outputs hold an error."""
    errors = {}
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                errors[index] = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"[:500]
                break
    return errors
