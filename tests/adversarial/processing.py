"""Submissions that attack the grader's own processing of student data (issue 12, classes 1, 3
and 6), built like tests/adversarial/__init__.py: each Attack writes one student's folder of
notebook 01 and states the exact score and flags. tests/test_grade_robust.py grades them.

    stop the run    output metadata that broke nbconvert's template, a notebook that is a pipe
    links, devices  a notebook or folder that is a link (to the instructor's source, a
                    classmate, autograded/, /proc/self/mem), a pipe, a device; linked extras
    false blame     2.2 MB of honest log, a duplicated solution cell whose later copy is the
                    fix, odd markdown, a widget, a harness result spoiled by student code, a
                    kernel message the client cannot read, files that would shadow the release
"""
import copy
import json
import os
import stat

import nbformat

from tests.adversarial import (ASSIGNMENT, FUNCTIONS, WRONG, Attack, _appended, _early, _save,
                               answered, code, index_of, notebook)

# ----------------------------------------------------------------------------- class 1

BAD_METADATA = ('display({"text/html": "<b>hi</b>", "text/plain": "hi"}, raw=True, '
                'metadata={"text/html": "x"})')


# ----------------------------------------------------------------------------- class 3

def _link_to(target):
    """A notebook that is a symbolic link to `target(ctx)`."""
    def make(ctx, folder):
        os.symlink(target(ctx), folder / f"{ASSIGNMENT}.ipynb")
    return make


def _source_notebook(ctx):
    return ctx.course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _classmate(ctx):
    return ctx.submitted / "honest_reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _autograded(ctx):
    return ctx.course / "autograded" / "honest_reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _fifo(ctx, folder):
    os.mkfifo(folder / f"{ASSIGNMENT}.ipynb")


def _device(ctx, folder):
    os.mknod(folder / f"{ASSIGNMENT}.ipynb", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # null


def _linked_folder(ctx, folder):
    folder.rmdir()
    os.symlink(ctx.submitted / "honest_reference" / ASSIGNMENT, folder)


def _linked_extras(ctx, folder):
    nb = answered(ctx)
    nb.cells.append(code(EXTRAS_PROBE))
    _save(nb, folder)
    (folder / "solution.py").symlink_to(ctx.repo / "solutions" / "cells.py")
    (folder / "mem").symlink_to("/proc/self/mem")
    (folder / "answers").symlink_to(ctx.course / "source" / ASSIGNMENT)
    os.mkfifo(folder / "pipe.txt")
    (folder / "notes.txt").write_text("mine")


EXTRAS_PROBE = """import os
print("LINKS GIVEN:", [n for n in ("solution.py", "mem", "answers", "pipe.txt")
                       if os.path.lexists(n)], "NOTES GIVEN:", os.path.isfile("notes.txt"))"""


# ----------------------------------------------------------------------------- class 6

HONEST_LOG = """for step in range(40000):
    print(f"step {step:6d}  loss {1 / (step + 1):.6f}  lr 0.001  grad-norm 1.000000")"""


def _chatty_solution(ctx):
    """The reference rnn_step that prints a training-style log line at every call."""
    source = ctx.reference["rnn_step"]
    return source.replace("def rnn_step(x, h_prev, params):",
                          "def rnn_step(x, h_prev, params):\n    print('rnn_step ' + '.' * 20000)",
                          1)


def _honest_log(ctx):
    nb = answered(ctx, rnn_step=_chatty_solution(ctx))
    nb.cells.append(code(HONEST_LOG))
    return nb


def _duplicate_fixed(ctx):
    """rnn_step first wrong, then copied in JupyterLab (metadata kept) and fixed below it."""
    nb = answered(ctx, rnn_step=WRONG["rnn_step"])
    i = index_of(nb, "rnn_step")
    fixed = copy.deepcopy(nb.cells[i])
    fixed.source = ctx.reference["rnn_step"]
    nb.cells.insert(i + 1, fixed)
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{k}"
    return nb


def _odd_markdown(ctx, folder):
    """A markdown cell whose source list holds a number and a null (written as JSON: nbformat
    would not write it)."""
    data = json.loads(nbformat.writes(answered(ctx)))
    data["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "id": "odd",
                             "source": ["# Notes\n", 3, None]})
    (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(data))


WIDGET = """import ipywidgets
ipywidgets.IntSlider(value=3, description="hidden size")"""

PATCH_JSON = """import json, base64
json.dumps = lambda *args, **kwargs: "not json"
base64.b64encode = lambda data: b"!!!"
"""

DEEP_RESULT = """import base64, os
def _spoil(result):
    with open(os.environ["AUTOGRADER_RESULT"], "w") as f:
        f.write("\\u00a7autograder-result " + base64.b64encode(b"[" * 200000).decode() + "\\n")
get_ipython().events.register("post_run_cell", _spoil)"""

BAD_MESSAGE = """k = get_ipython().kernel
k.session.send(k.iopub_socket, "stream", {"no": "name"}, parent=k.get_parent("shell"),
               ident=k._topic("stream"))"""


def _shadowing(ctx, folder):
    """Honest notebook beside a stale course checkout and a numpy.py of their own."""
    _save(answered(ctx), folder)
    for package in ("given", "tfcourse"):
        (folder / package).mkdir()
        (folder / package / "__init__.py").write_text("raise ImportError('the student copy')\n")
    (folder / "numpy.py").write_text("raise ImportError('the student copy')\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "given.cpython-311.pyc").write_bytes(b"\0" * 32)
    (folder / "helpers.py").write_text("HELP = 1\n")


def _later_given(ctx, folder):
    """Each graded function calls a later release's given.py, copied beside the notebook."""
    wrappers = {name: f"import given\ndef {name}(*args, **kwargs):\n"
                      f"    return given.{name}(*args, **kwargs)\n" for name in FUNCTIONS}
    _save(answered(ctx, **wrappers), folder)
    later = ctx.course / "source" / "02_teacher_forcing" / "given.py"
    (folder / "given.py").write_bytes(later.read_bytes())


ATTACKS = [
    Attack("honest_reference", "honest", notebook(answered)),
    # 1: one notebook must never stop the run
    Attack("feedback_breaker", "stop the run", _appended(BAD_METADATA)),
    Attack("pipe_notebook", "stop the run", _fifo, failed=FUNCTIONS, flags=("refused",)),
    # 3: submissions are plain files
    Attack("link_to_source", "links", _link_to(_source_notebook), failed=FUNCTIONS,
           flags=("refused",)),
    Attack("link_to_classmate", "links", _link_to(_classmate), failed=FUNCTIONS,
           flags=("refused",)),
    Attack("link_to_autograded", "links", _link_to(_autograded), failed=FUNCTIONS,
           flags=("refused",)),
    Attack("link_to_proc_mem", "links", _link_to(lambda ctx: "/proc/self/mem"),
           failed=FUNCTIONS, flags=("refused",)),
    Attack("device_notebook", "links", _device, failed=FUNCTIONS, flags=("refused",)),
    Attack("linked_folder", "links", _linked_folder, failed=FUNCTIONS, flags=("refused",)),
    Attack("linked_extras", "links", _linked_extras, outputs=("LINKS GIVEN: [] NOTES GIVEN: True",)),
    # 6: no false blame
    Attack("honest_big_log", "false blame", notebook(_honest_log), flags=("output-truncated",)),
    Attack("duplicate_fixed", "false blame", notebook(_duplicate_fixed)),
    Attack("odd_markdown", "false blame", _odd_markdown),
    Attack("widget", "false blame", _appended(WIDGET)),
    Attack("patched_json", "spoiled result", _appended(PATCH_JSON), flags=("kernel-failed",)),
    Attack("deep_result", "spoiled result", _early(DEEP_RESULT), flags=("tampered",)),
    # the capped client drops a malformed message; the patched json above is the protocol error
    Attack("bad_message", "spoiled result", _appended(BAD_MESSAGE)),
    Attack("shadowing_files", "release wins", _shadowing),
    Attack("later_given", "release wins", _later_given, failed=FUNCTIONS),
]
