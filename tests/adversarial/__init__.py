"""Adversarial submissions of notebook 01, one or more per threat class of the grader (issue 6).

Each Attack writes one student's assignment folder from the release (so it follows the real
course) and states exactly what grading must give it: which graded functions lose their test
cells' points and which flags summary.csv shows. tests/test_grade.py grades them all in one run.

    ctx = Context(release, reference, repo, course, submitted, out)
    for attack in ATTACKS:
        attack.write(ctx, ctx.submitted / attack.student / ASSIGNMENT)
"""
import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ASSIGNMENT = "01_recurrent_cells"
FUNCTIONS = ("rnn_step", "lstm_step", "gru_step")
WRONG = {
    "rnn_step": "import numpy as np\n\ndef rnn_step(x, h_prev, params):\n    return np.zeros_like(h_prev)\n",
    "lstm_step": "import numpy as np\n\ndef lstm_step(x, h_prev, c_prev, params):\n"
                 "    return np.zeros_like(h_prev), np.zeros_like(c_prev)\n",
    "gru_step": "import numpy as np\n\ndef gru_step(x, h_prev, params):\n    return h_prev * 0.5\n",
}


@dataclass
class Context:
    release: nbformat.NotebookNode   # the release notebook of ASSIGNMENT
    reference: dict                  # function -> the source notebook's solution cell
    repo: Path
    course: Path
    submitted: Path
    out: Path
    probe: Path                      # a host folder the attacks try to write into


def write_class(course, root, repo, attacks):
    """A Context for the built `course` under `root`, with every attack's folder written."""
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    reference = {grade_id(c): c.source for c in source.cells if grade_id(c) in FUNCTIONS}
    ctx = Context(release, reference, repo, course, root / "submitted", root / "out",
                  root / "probe")
    ctx.probe.mkdir()
    for attack in attacks:
        attack.write(ctx, ctx.submitted / attack.student / ASSIGNMENT)
    return ctx


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answered(ctx, **sources):
    """The release notebook with every solution cell answered: the reference, or `sources`."""
    nb = copy.deepcopy(ctx.release)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in FUNCTIONS:
            cell.source = sources.get(gid, ctx.reference[gid])
    return nb


def index_of(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)


def code(source):
    return nbformat.v4.new_code_cell(source)


@dataclass
class Attack:
    student: str
    threat: str
    make: object                  # (ctx, folder) -> None: writes the submission
    failed: tuple = ()            # functions whose test cells must score 0
    flags: tuple = ()             # summary.csv flags, exactly
    outputs: tuple = ()           # text the executed notebook must show (proof of the attempt)

    def write(self, ctx, folder):
        folder.mkdir(parents=True, exist_ok=True)
        self.make(ctx, folder)


def _save(nb, folder, name=ASSIGNMENT):
    nbformat.write(nb, folder / f"{name}.ipynb")


def notebook(builder):
    """Turn `builder(ctx) -> notebook` into a make() that saves it under the expected name."""
    return lambda ctx, folder: _save(builder(ctx), folder)


def _appended(*sources, **answers):
    """The answered notebook with `sources` as extra cells at its end."""
    def build(ctx):
        nb = answered(ctx, **answers)
        nb.cells += [code(s) for s in sources]
        return nb
    return notebook(build)


def _early(*sources, **answers):
    """The answered notebook with `sources` as extra cells before the first exercise."""
    def build(ctx):
        nb = answered(ctx, **answers)
        at = index_of(nb, FUNCTIONS[0])
        nb.cells[at:at] = [code(s) for s in sources]
        return nb
    return notebook(build)


# ----------------------------------------------------------------------------- cells and metadata

def _tamper_tests(ctx):
    nb = answered(ctx, lstm_step=WRONG["lstm_step"])
    for gid in ("lstm_step_visible", "lstm_step_hidden"):
        nb.cells[index_of(nb, gid)].source = "print('all tests passed')"
    return nb


def _tamper_metadata(ctx):
    nb = answered(ctx, lstm_step=WRONG["lstm_step"])
    for gid in ("lstm_step_visible", "lstm_step_hidden"):
        meta = nb.cells[index_of(nb, gid)].metadata.nbgrader
        meta.update(points=100, grade=False, locked=False)
    # and claim the wrong lstm cell is a test cell worth nothing
    nb.cells[index_of(nb, "lstm_step")].metadata.nbgrader.update(solution=False, grade=True,
                                                                  points=0)
    return nb


def _delete_tests(ctx):
    nb = answered(ctx)
    nb.cells = [c for c in nb.cells if not (grade_id(c) or "").endswith(("_visible", "_hidden"))]
    return nb


def _move_solutions(ctx):
    nb = answered(ctx)
    solutions = [c for c in nb.cells if grade_id(c) in FUNCTIONS]
    nb.cells = [c for c in nb.cells if grade_id(c) not in FUNCTIONS] + solutions
    return nb


def _duplicate(ctx):
    nb = answered(ctx)
    for gid in ("rnn_step", "lstm_step_visible"):
        i = index_of(nb, gid)
        nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))
    for cell in nb.cells:  # nbformat wants unique cell ids
        cell["id"] = os.urandom(4).hex()
    return nb


def _retype(ctx):
    nb = answered(ctx)
    i = index_of(nb, "rnn_step")
    nb.cells[i] = nbformat.v4.new_markdown_cell(nb.cells[i].source, metadata=nb.cells[i].metadata)
    j = index_of(nb, "gru_step_visible")
    nb.cells[j] = nbformat.v4.new_raw_cell(nb.cells[j].source, metadata=nb.cells[j].metadata)
    return nb


def _strip_metadata(ctx):
    nb = answered(ctx)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


# ----------------------------------------------------------------------------- changing the kernel

SKIP_CHECKS = """\
ip = get_ipython()
ip.input_transformers_post.append(
    lambda lines: ["pass\\n"] if "check" in "".join(lines) else lines)
"""

PATCH_CHECKS = """\
import numpy as np, tfcourse.checks
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
tfcourse.checks.compare = lambda *args, **kwargs: None
tfcourse.checks.check = lambda *args, **kwargs: print("matches")
"""

HIDE_ERRORS = """\
import sys
get_ipython().showtraceback = lambda *args, **kwargs: None
sys.stderr = sys.stdout
"""

FAKES = """\
import numpy as np

class Fake:
    shape, dtype, ndim = (4,), np.dtype("float64"), 1
    def __eq__(self, other): return True
    def __array__(self, *args, **kwargs): raise TypeError("no")
    def __len__(self): return 4
    def __getitem__(self, i): return self
    def __float__(self): return 0.0

class Always(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(other), bool)

def rnn_step(x, h_prev, params):
    return Fake()

def lstm_step(x, h_prev, c_prev, params):
    return Fake(), Fake()

def gru_step(x, h_prev, params):
    return np.zeros_like(h_prev).view(Always)
"""


def _fakes(ctx):
    nb = answered(ctx, **WRONG)
    for name in FUNCTIONS:
        nb.cells[index_of(nb, name)].source = FAKES
    return nb


def _forge(ctx):
    marker = "\u00a7autograder-result "
    probe = ctx.probe / "unpickled"
    source = f"""\
import base64, io, json, os, pickle
import numpy as np

class Boom:
    def __reduce__(self):
        return (os.system, ("touch {probe}",))

buf = io.BytesIO()
np.save(buf, np.array([Boom()], dtype=object), allow_pickle=True)
bad = base64.b64encode(buf.getvalue()).decode()
payload = [{{"value": {{"npy": bad}}}}] * 200
line = {marker!r} + base64.b64encode(json.dumps(payload).encode()).decode()
def forge(result):  # on the output, and in the harness's own channel after the harness
    print(line)
    with open(os.environ["AUTOGRADER_RESULT"], "a") as channel:
        channel.write(line + "\\n")
get_ipython().events.register("post_run_cell", forge)
"""
    nb = answered(ctx, **WRONG)
    nb.cells.append(code(source))
    return nb


# ----------------------------------------------------------------------------- reaching out

def _reader(ctx):
    targets = [ctx.repo / "solutions" / "cells.py", ctx.repo / "autograder" / "cases.py",
               ctx.course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
               ctx.course / "gradebook.db", ctx.submitted / "honest_reference" / ASSIGNMENT,
               ctx.out, ctx.repo / "build", ctx.repo / ".git", Path.home() / ".bashrc",
               Path("/proc/1/environ")]
    source = f"""\
import os
readable = []
for path in {[str(t) for t in targets]!r}:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(100)
        readable.append(path)
    except OSError:
        pass
print("READABLE:", readable)
try:
    exec(open({str(ctx.repo / 'solutions' / 'cells.py')!r}).read())
except OSError:
    import numpy as np
    def rnn_step(x, h_prev, params):
        return np.zeros_like(h_prev)
"""
    nb = answered(ctx)
    nb.cells[index_of(nb, "rnn_step")].source = source
    return nb


def _writer(ctx):
    targets = [ctx.probe / "written", ctx.course / "written", ctx.course / "gradebook.db",
               ctx.submitted / "honest_reference" / ASSIGNMENT / "written", ctx.out / "written",
               ctx.repo / "written", Path("/etc/written"), Path("/usr/written")]
    source = f"""\
wrote = []
for path in {[str(t) for t in targets]!r}:
    try:
        with open(path, "ab") as f:
            f.write(b"x")
        wrote.append(path)
    except OSError:
        pass
print("WROTE:", wrote)
"""
    nb = answered(ctx)
    nb.cells.append(code(source))
    return nb


NETWORK = """\
import socket, urllib.request
reached = []
for host, port in [("1.1.1.1", 53), ("8.8.8.8", 443), ("127.0.0.1", 22), ("pypi.org", 443)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        reached.append(host)
    except OSError:
        pass
print("REACHED:", reached)
if reached:
    exec(NETWORK_ANSWER)
"""


def _network(ctx):
    nb = answered(ctx, rnn_step=WRONG["rnn_step"])
    nb.cells.append(code(f"NETWORK_ANSWER = {ctx.reference['rnn_step']!r}\n" + NETWORK))
    return nb


# ----------------------------------------------------------------------------- exhausting

FORK_BOMB = """\
import os, time
children = 0
try:
    for _ in range(1000):
        pid = os.fork()
        if pid == 0:
            time.sleep(1)
            os._exit(0)
        children += 1
except OSError as error:
    print("FORK STOPPED after", children, "children:", type(error).__name__)
for _ in range(children):
    os.wait()
"""


def _kill_in_solution(ctx):
    nb = answered(ctx)
    cell = nb.cells[index_of(nb, "rnn_step")]
    cell.source = "import os\nos._exit(1)\n" + cell.source
    return nb


# ----------------------------------------------------------------------------- files

def _bytes(data):
    def make(ctx, folder):
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(data)
    return make


def _missing(ctx, folder):
    (folder / "README.txt").write_text("I forgot to upload it")


def _renamed(ctx, folder):
    _save(answered(ctx), folder, f"{ASSIGNMENT}-Copy1")


def _extra_files(ctx, folder):
    _save(answered(ctx), folder)
    _save(answered(ctx, **WRONG), folder, "scratch")
    (folder / "notes.txt").write_text("draft")
    (folder / "ipython_config.py").write_text("c.InteractiveShellApp.exec_lines = ['1/0']")
    (folder / "answers.py").symlink_to(ctx.repo / "solutions" / "cells.py")


ATTACKS = [
    # honest sample class
    Attack("honest_reference", "honest", notebook(answered)),
    Attack("honest_empty", "honest", notebook(lambda ctx: copy.deepcopy(ctx.release)),
           failed=FUNCTIONS),
    Attack("honest_mistakes", "honest", notebook(lambda ctx: answered(ctx, lstm_step=WRONG["lstm_step"])),
           failed=("lstm_step",)),
    # tampering with test cells or their metadata; deleting, moving, duplicating, retyping cells
    Attack("tamper_test_cells", "tampering", notebook(_tamper_tests), failed=("lstm_step",),
           flags=("tampered",)),
    Attack("tamper_metadata", "tampering", notebook(_tamper_metadata), failed=("lstm_step",),
           flags=("tampered",)),
    Attack("delete_tests", "cells", notebook(_delete_tests), flags=("tampered",)),
    Attack("move_solutions_last", "cells", notebook(_move_solutions),
           flags=tuple(f"disagrees:{f}_{k}" for f in FUNCTIONS for k in ("visible", "hidden"))),
    Attack("duplicate_cells", "cells", notebook(_duplicate), flags=("tampered",)),
    Attack("retype_cells", "cells", notebook(_retype), flags=("tampered",)),
    Attack("strip_metadata", "cells", notebook(_strip_metadata), flags=("tampered",)),
    # changing how later cells run, patching checks and builtins, faking objects (a hidden
    # cell's release runs no case, so only the visible cell's pass can be a disagreement)
    Attack("skip_test_cells", "later cells", _early(SKIP_CHECKS, rnn_step=WRONG["rnn_step"]),
           failed=("rnn_step",),
           flags=("tampered", "disagrees:rnn_step_visible")),
    Attack("patch_checks", "patching", _early(PATCH_CHECKS, **WRONG), failed=FUNCTIONS,
           flags=tuple(f"disagrees:{f}_visible" for f in FUNCTIONS)),
    Attack("hide_errors", "patching", _early(HIDE_ERRORS, **WRONG), failed=FUNCTIONS,
           flags=tuple(f"disagrees:{f}_visible" for f in FUNCTIONS)),
    # the ndarray subclass whose == is always True fools the in-kernel check, not the judge
    Attack("fake_objects", "fakes", notebook(_fakes), failed=FUNCTIONS,
           flags=("disagrees:gru_step_visible",)),
    Attack("forge_result", "fakes", notebook(_forge), failed=FUNCTIONS, flags=("tampered",)),
    # reading, writing, network
    Attack("read_instructor_files", "reading", notebook(_reader), failed=("rnn_step",),
           outputs=("READABLE: []",)),
    Attack("write_outside", "writing", notebook(_writer), outputs=("WROTE: []",)),
    Attack("network", "network", notebook(_network), failed=("rnn_step",),
           outputs=("REACHED: []",)),
    # exhausting time, memory, output, processes; killing the kernel
    Attack("exhaust_memory", "exhausting", _appended("hog = bytearray(64 << 30)")),
    Attack("exhaust_output", "exhausting", _appended("print('x' * (8 << 20))"),
           flags=("output-truncated",)),
    Attack("exhaust_processes", "exhausting", _appended(FORK_BOMB), outputs=("FORK STOPPED",)),
    Attack("exhaust_time", "exhausting", _appended("while True:\n    pass"), flags=("timeout",)),
    # not an attack: an honest endless loop in one function costs that function, is a timeout,
    # and is no disagreement (the test cell the run stopped in never finished)
    Attack("loop_in_solution", "exhausting", notebook(lambda ctx: answered(
        ctx, rnn_step="def rnn_step(x, h_prev, params):\n    while True:\n        pass\n")),
        failed=("rnn_step",), flags=("timeout",)),
    Attack("kill_kernel", "killing", _appended("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
           flags=("kernel-died",)),
    Attack("kill_in_solution", "killing", notebook(_kill_in_solution), failed=FUNCTIONS,
           flags=("kernel-died",)),
    # corrupt, non-notebook, missing, extra, renamed
    Attack("corrupt_json", "files", _bytes(b'{"cells": [ {"cell_type": "code", '),
           failed=FUNCTIONS, flags=("unreadable",)),
    Attack("binary_file", "files", _bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
           failed=FUNCTIONS, flags=("unreadable",)),
    Attack("json_not_notebook", "files", _bytes(json.dumps({"hello": "world"}).encode()),
           failed=FUNCTIONS, flags=("unreadable",)),
    Attack("missing_notebook", "files", _missing, failed=FUNCTIONS, flags=("missing",)),
    Attack("renamed_notebook", "files", _renamed, flags=("renamed",)),
    Attack("extra_files", "files", _extra_files),
]
