"""The sandbox: what a kernel can see, reach and use. Scenarios run in parallel, one kernel each."""
import asyncio
import os
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.engine import cgroup, sandbox
from autograder.engine.sandbox import Limits, run_notebook, sandbox_status

REPO = Path(__file__).resolve().parents[1]

PROBE = f"""\
import os, socket
def can_read(path):
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, 'rb').read(1)
        return True
    except OSError:
        return False
def can_write(path):
    try:
        with open(path, 'w') as f:
            f.write('x')
        return True
    except OSError:
        return False
def can_connect(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False
hidden = [p for p in {[str(REPO / p) for p in ("solutions", "autograder", "build", ".git",
                                               "tests", "README.md")]!r} if can_read(p)]
print("VISIBLE", hidden)
print("UID", os.getuid())
print("WRITE", can_write("here.txt"), can_write("/tmp/scratch.txt"),
      can_write("/submission/x"), can_write("/usr/x"), can_write({str(REPO / "x")!r}))
print("NET", can_connect("1.1.1.1", 53), can_connect("127.0.0.1", 22))
print("GIVEN", open("given.py").read().strip(), os.path.exists("ipython_config.py"),
      os.path.lexists("link.py"))
import numpy, tfcourse
print("PYTHON ok")
try:
    import torch
    print("TORCH", hasattr(torch, "tensor"))
except ImportError:
    print("TORCH False")
"""

SCENARIOS = {
    "probe": ([PROBE], Limits(timeout=60)),
    "memory": (["hog = bytearray(8 << 30)", "print('still alive')"], Limits(timeout=60)),
    "time": (["print('started')", "while True:\n    pass", "print('never')"], Limits(timeout=6)),
    "kill": (["import os\nos.kill(os.getpid(), 9)", "print('never')"], Limits(timeout=60)),
    "output": (["print('y' * 100000)", "print('after')"], Limits(timeout=60, output=20000)),
    "fork": (["import os, time\nn = 0\ntry:\n    for _ in range(500):\n        if os.fork() == 0:\n"
              "            time.sleep(1)\n            os._exit(0)\n        n += 1\nexcept OSError:\n"
              "    print('LIMITED', n)\nfor _ in range(n):\n    os.wait()"],
             Limits(timeout=60, processes=40)),
    "file": (["open('big', 'wb').write(b'x' * (4 << 20))"], Limits(timeout=60, file_size=1 << 20)),
    # four processes of 700 MB each: every one within its own 2 GiB rlimit, 2.8 GB together
    "together": (["import os, time\npids = []\nfor _ in range(4):\n    pid = os.fork()\n"
                  "    if pid == 0:\n        block = b'x' * (700 << 20)\n        time.sleep(20)\n"
                  "        os._exit(0)\n    pids.append(pid)\nfor pid in pids:\n    os.waitpid(pid, 0)",
                  "print('after')"], Limits(timeout=60, memory=2 << 30)),
    "start-up": (["import matplotlib.pyplot, numpy, tfcourse.checks\n"
                  "print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmPeak')])"],
                 Limits(timeout=60)),
}


def _notebook(sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    (folder / "given.py").write_text("GIVEN = 42\n")
    (folder / "ipython_config.py").write_text("c.InteractiveShellApp.exec_lines = ['1/0']\n")
    (folder / "link.py").symlink_to(REPO / "solutions" / "cells.py")
    with ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        futures = {name: pool.submit(run_notebook, _notebook(src), folder, limits)
                   for name, (src, limits) in SCENARIOS.items()}
        return {name: f.result() for name, f in futures.items()}


def text(result, index):
    return "".join(o.get("text", "") for o in result.nb.cells[index].outputs)


def test_bubblewrap_is_available():
    assert sandbox_status() is None, sandbox_status()


def test_the_kernel_sees_nothing_of_the_instructor_side(runs):
    out = text(runs["probe"], 0)
    assert runs["probe"].failure is None and not runs["probe"].errors, out
    assert "VISIBLE []" in out and "PYTHON ok" in out


def test_the_kernel_cannot_use_a_library_that_differentiates_for_it(runs):
    """The test install puts torch in the venv the grader runs from; an attacker passed notebook
    05's backward passes with torch's autograd. In the sandbox its folder is empty."""
    import importlib.util
    out = text(runs["probe"], 0)
    assert "TORCH False" in out, out
    if importlib.util.find_spec("torch") is not None:  # then the sandbox is what hides it
        assert any(p.endswith("/torch") for p in sandbox._differentiators())


def test_the_kernel_runs_as_an_unprivileged_user(runs):
    uid = int(text(runs["probe"], 0).split("UID ")[1].split()[0])
    # as root (CI) each kernel gets a uid of its own; otherwise it keeps the grader's
    assert uid >= sandbox.FIRST_UID if os.geteuid() == 0 else uid == os.geteuid()


def test_the_kernel_writes_only_in_its_scratch_space(runs):
    assert "WRITE True True False False False" in text(runs["probe"], 0)


def test_the_kernel_has_no_network(runs):
    assert "NET False False" in text(runs["probe"], 0)


def test_the_kernel_gets_the_submission_but_no_kernel_config_and_no_links(runs):
    assert "GIVEN GIVEN = 42 False False" in text(runs["probe"], 0)


def test_memory_is_limited_and_the_kernel_survives(runs):
    result = runs["memory"]
    assert "MemoryError" in result.errors[0]
    assert text(result, 1) == "still alive\n" and result.failure is None


def test_wall_clock_is_limited(runs):
    result = runs["time"]
    assert text(result, 0) == "started\n"
    assert "time limit" in result.failure and "cell 2" in result.failure
    assert text(result, 2) == "" and result.seconds < 6 + 20


def test_a_kernel_that_kills_itself_is_reported(runs):
    assert "kernel died in cell 1" in runs["kill"].failure


def test_output_is_capped(runs):
    result = runs["output"]
    assert result.truncated
    assert "output limit reached" in text(result, 0) + text(result, 1)
    assert "y" * 100000 not in text(result, 0)


@pytest.mark.skipif(os.geteuid() != 0, reason="the process limit needs a uid of the kernel's own")
def test_processes_are_limited(runs):
    # stdout only: Python 3.12+ also warns on stderr that fork() in a threaded process may deadlock
    out = "".join(o.get("text", "") for o in runs["fork"].nb.cells[0].outputs if o.get("name") == "stdout")
    forked = re.fullmatch(r"LIMITED (\d+)\n", out)
    assert forked and int(forked[1]) < 40, out


def test_the_address_space_limit_leaves_most_of_it_to_the_student_after_the_kernels_start_up(runs):
    """A kernel's own start-up with what the notebooks import counts against Limits.memory
    (RLIMIT_AS): measured 0.96 GB on Python 3.11 and 3.13 alike; it must stay under half."""
    peak_kb = int(re.findall(r"\d+", text(runs["start-up"], 0))[0])
    assert peak_kb * 1024 < Limits().memory / 2, f"VmPeak {peak_kb} kB"


@pytest.mark.skipif(cgroup.status() is not None, reason=f"no memory cgroup: {cgroup.status()}")
def test_the_memory_limit_holds_for_all_of_a_notebooks_processes_together(runs):
    result = runs["together"]
    assert result.grouped and "all its processes together" in result.failure
    assert 0 < result.peak_memory <= 2 << 30


def test_file_size_is_limited(runs):
    assert "File too large" in runs["file"].errors[0]


def test_without_bubblewrap_the_limits_still_apply_and_it_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "BWRAP", None)
    assert "bubblewrap" in sandbox_status() and "apt-get install" in sandbox_status()
    result = run_notebook(_notebook(["hog = bytearray(8 << 30)", "import sys\nprint(sys.version)"]),
                          tmp_path)
    assert not result.sandboxed
    # the grader's own Python, not another one of the same minor version that its uid can reach
    assert "MemoryError" in result.errors[0] and text(result, 1) == sys.version + "\n"


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="Limits.timeout: expected a positive number, got 0"):
        Limits(timeout=0)


def test_a_caller_with_a_running_event_loop_can_run_a_notebook(tmp_path):
    """As Playwright's sync API or a notebook leaves one running in the calling thread."""
    async def inside_a_loop():
        return run_notebook(_notebook(["print(6 * 7)"]), tmp_path)
    with ThreadPoolExecutor(1) as thread:  # a thread of its own: this one may have a loop already
        result = thread.submit(asyncio.run, inside_a_loop()).result()
    assert result.failure is None and text(result, 0) == "42\n"


def test_a_kernels_log_is_read_from_its_end_only(tmp_path):
    log = tmp_path / "kernel.log"
    log.write_bytes(b"x" * (8 << 20) + b"the reason it died")
    tail = sandbox._tail(log)
    assert len(tail) == 1500 and tail.endswith("the reason it died")
    assert sandbox._tail(tmp_path / "missing.log") == ""


def test_no_other_user_can_read_a_submission_while_it_is_graded(tmp_path):
    """A shared grading host's other users (students among them) must not read the copy of a
    submission, or a timed case's hidden inputs, in the folder of the notebook being graded."""
    marker = f"marker-{os.getpid()}-{id(tmp_path)}.txt"
    (tmp_path / marker).write_text("a student's work\n")
    with ThreadPoolExecutor(1) as thread:
        running = thread.submit(run_notebook, _notebook(["import time\ntime.sleep(8)"]), tmp_path,
                                Limits(timeout=60))
        found = []
        while not found and not running.done():
            found = list(Path(tempfile.gettempdir()).glob(f"autograder-*/submission/{marker}"))
        assert found, "the run's folder was never seen"
        folder = found[0].parents[1]
        mode = folder.stat().st_mode
        assert mode & 0o007 == 0, f"{folder} is open to other users: {oct(mode)}"
        if os.geteuid() == 0:  # the kernel's own uid gets in through the folder's group
            assert folder.stat().st_gid >= sandbox.FIRST_UID and mode & 0o050 == 0o050
        assert running.result().failure is None
