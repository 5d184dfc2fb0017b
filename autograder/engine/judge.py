"""The trusted judgement: run a student's graded functions in the sandbox, compare outside it.

A notebook's grading spec comes from the instructor's side only: the release notebook (what the
student received: which cells exist, their nbgrader metadata) and the source notebook (whose test
cells name the cases: `check("rnn_step", rnn_step)` runs the public cases of data/reference/,
`check_hidden("rnn_step", rnn_step, "<packed>")` the hidden ones with their reference values).

    spec = load_spec(source_nb_path, release_nb_path)
    nb, notes = assemble(student_nb, spec)    # release's cells and metadata, the student's answers
    result = run_notebook(nb, folder)         # autograder.engine.sandbox
    verdicts = judge(spec, result)            # one Verdict per graded test cell

`assemble` rebuilds the notebook nbgrader-style, trusting nothing the student's metadata claims:
test and read-only cells are restored from the release (tampered, deleted, moved, retyped or
duplicated ones included); each graded function's cell is the student's cell carrying that
grade_id (or, if its metadata was stripped, the cell defining the function), with the release's
metadata and type. The public test cells run as they would under nbgrader (that is the in-kernel
result). A last cell, the harness, re-executes each graded function's cell on its own, calls the
function on every case's *inputs* (never the reference outputs, which stay in this process) and
writes the results as base64 `.npy` (np.save, allow_pickle=False) to its own channel, a file the
sandbox binds for it (RunResult.channel), so no output of the student's can push them out. `judge` parses them as plain
arrays and compares them here with `tfcourse.checks.compare`. Student code can change what its own
kernel prints, but not the reference values, the comparison, or anything another kernel does.
"""
import ast
import base64
import copy
import importlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from nbgrader.utils import determine_grade, is_grade, is_locked, is_solution

from tfcourse.checks import NUMPY_WARNING, CheckFailed, warning_report

MARKER = "\u00a7autograder-result "   # the harness's result line (last one wins)
STARTED = "\u00a7autograder-start "   # the harness says which function it is about to run
TIMED = "\u00a7autograder-timed "     # a timed cell's result: its number, then the result
CALL_SECONDS = 10  # most for one call of a graded function on one case (honest ones: < 1 s)
MAX_RESULT_BYTES = 16 << 20
CHECKS = "tfcourse.checks"            # the default module of check/check_hidden


class InstructorError(Exception):
    """Something on the instructor's side is broken; the message says what to fix."""


@dataclass
class TestCell:
    """A graded test cell of the release and the cases that decide it, (name, case, module)
    in order. A cell with no cases of its own (a property relating several functions) is
    `derived`: it passes when every function it names passes all of that function's cases."""
    grade_id: str
    points: float
    cases: list
    functions: list
    derived: bool = False
    public: int = 0          # the first `public` cases are the ones the release's cell runs


@dataclass
class Spec:
    """What grading one notebook needs, all from the instructor's side."""
    assignment: str
    notebook: str
    release: nbformat.NotebookNode
    functions: list          # grade_ids of the graded functions' cells, in release order
    tests: list              # TestCell, in release order
    release_dir: Path
    boxed: dict = field(default_factory=dict, repr=False)  # job key -> box(its inputs)


@dataclass
class Verdict:
    """The judgement of one test cell: trusted score and why, and what the kernel said."""
    grade_id: str
    score: float
    max_score: float
    status: str              # "passed", or "failed: <reason a person can act on>"
    kernel_score: float | None = None
    kernel_status: str = ""
    kernel_agrees: bool = True  # the kernel's verdict is what the judge says of the same cases


def _nbgrader(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell):
    gid = _nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def _parse(source):
    """The AST of a cell's code, IPython syntax (%magics, !shell) turned into Python first
    (only where it is not plain Python: IPython's tokenizer takes seconds over the megabytes of
    a test cell's packed hidden cases, which Python parses in a blink)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager
        return ast.parse(TransformerManager().transform_cell(source))


def _imports(source):
    """{alias: (module, name)} for `from tfcourse.checks* import check, check_hidden as ...`."""
    try:
        tree = _parse(source)
    except SyntaxError:
        return {}
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(CHECKS):
            for alias in node.names:
                if alias.name in ("check", "check_hidden"):
                    found[alias.asname or alias.name] = (node.module, alias.name)
    return found


def _calls(source, imported):
    """(function, name, packed, module) for each check(...) / check_hidden(...) call in a test
    cell; `imported` says where the notebook took its check functions from."""
    try:
        tree = _parse(source)
    except SyntaxError as exc:
        raise InstructorError(f"a test cell is not valid Python ({exc})") from None
    names = {"check": (CHECKS, "check"), "check_hidden": (CHECKS, "check_hidden"),
             **imported, **_imports(source)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", None)
        if func not in names:
            continue
        module, func = names[func]
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if not args or not isinstance(args[0], str):
            continue
        if func == "check_hidden" and (len(args) != 3 or not isinstance(args[2], str)):
            raise InstructorError(f"check_hidden({args[0]!r}, ...) must get its packed cases "
                                  f"as a string literal")
        found.append((func, args[0], args[2] if func == "check_hidden" else None, module))
    return found


def _names(source):
    try:
        return {n.id for n in ast.walk(_parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def load_spec(source_path, release_path, assignment=None):
    """Read the grading spec of one notebook from its source and release versions."""
    source_path, release_path = Path(source_path), Path(release_path)
    for path in (source_path, release_path):
        if not path.is_file():
            raise InstructorError(f"{path} does not exist: build the course first "
                                  f"(python -m autograder build)")
    source = nbformat.read(source_path, as_version=4)
    release = nbformat.read(release_path, as_version=4)
    source_cells = {_grade_id(c): c for c in source.cells if _grade_id(c)}
    imported = {}
    for cell in source.cells:
        if cell.cell_type == "code":
            imported.update(_imports(cell.source))
    functions, tests = [], []
    for cell in release.cells:
        gid = _grade_id(cell)
        if gid is None:
            continue
        if gid not in source_cells:
            raise InstructorError(f"{release_path}: cell {gid!r} is not in the source notebook "
                                  f"{source_path}; rebuild the course")
        if is_solution(cell) and cell.cell_type == "code" and gid.isidentifier():
            functions.append(gid)
        elif is_grade(cell) and not is_solution(cell) and cell.cell_type == "code":
            tests.append(_test_cell(gid, cell, source_cells[gid], source_path, imported))
    judged_functions = {name for t in tests for name, _c, _m in t.cases}
    for test in tests:
        if test.derived:
            test.functions = [f for f in functions if f in _names(source_cells[test.grade_id].source)]
            lacking = [f for f in test.functions if f not in judged_functions]
            if not test.functions or lacking:
                raise InstructorError(
                    f"{source_path}: test cell {test.grade_id!r} calls neither check(...) nor "
                    f"check_hidden(...) and names no graded function that another test cell "
                    f"checks{' (' + ', '.join(lacking) + ' has no cases)' if lacking else ''}, "
                    f"so the grader cannot judge it outside the student's kernel")
    for test in tests:
        unknown = [f for f in test.functions if f not in functions]
        if unknown:
            raise InstructorError(f"{source_path}: test cell {test.grade_id!r} checks "
                                  f"{', '.join(unknown)}, which no solution cell of the notebook "
                                  f"defines (its grade_id must be the function's name)")
    return Spec(assignment or release_path.parent.name, release_path.stem, release, functions,
                tests, release_path.parent)


def _test_cell(gid, release_cell, source_cell, source_path, imported):
    cases, functions = [], []
    calls = _calls(source_cell.source, imported)
    # the release's cell runs the visible calls only: those come first, hidden ones after
    calls.sort(key=lambda call: call[0] == "check_hidden")
    public = 0
    for func, name, packed, module in calls:
        try:
            checks = importlib.import_module(module)
            found = (checks.load_reference(name)["cases"] if func == "check"
                     else checks.unpack(packed))
        except Exception as exc:
            raise InstructorError(f"{source_path}: test cell {gid!r}: cannot load the cases of "
                                  f"{func}({name!r}) from {module}: {exc}") from None
        if func == "check" and name in getattr(checks, "PROPERTIES", {}):
            # the notebook's check runs these before the cases: the grader judges them too
            found = [{"label": "the property checks the notebook runs", "properties": True},
                     *found]
        cases += [(name, case, module) for case in found]
        public += len(found) if func == "check" else 0
        if name not in functions:
            functions.append(name)
    points = float(_nbgrader(release_cell).get("points", 0))
    return TestCell(gid, points, cases, functions, derived=not cases, public=public)


# ----------------------------------------------------------------------------- assembling

def _defines(source, name):
    """True if `source` defines function `name` at top level."""
    try:
        tree = _parse(source)
    except SyntaxError:
        return re.search(rf"^def\s+{re.escape(name)}\s*\(", source, re.M) is not None
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


def _plain(cell):
    """A student's cell that the release does not know: kept as code or text, never graded."""
    kind = cell.get("cell_type") if cell.get("cell_type") in ("code", "markdown", "raw") else "raw"
    source = _text(cell.get("source", ""))
    if kind == "code":
        return nbformat.v4.new_code_cell(source)
    return (nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_raw_cell)(source)


def _text(source):
    """A cell's source as text: a string, or the text items of a list (others ignored)."""
    if isinstance(source, list):
        return "".join(item for item in source if isinstance(item, str))
    return source if isinstance(source, str) else ""


def _release_copy(cell, source=None):
    new = copy.deepcopy(cell)
    if source is not None:
        new.source = source
    if new.cell_type == "code":
        new.outputs, new.execution_count = [], None
    return new


def assemble(student, spec):
    """Return (notebook to run, notes) from the student's notebook (a dict) and the spec.

    notes are sentences about what the student's file did that grading undid: test cells
    restored, cells missing, metadata that did not match the release.
    """
    release = {_grade_id(c): c for c in spec.release.cells if _grade_id(c)}
    order = [_grade_id(c) for c in spec.release.cells if _grade_id(c)]
    student_cells = [c for c in (student.get("cells", []) if isinstance(student, dict) else [])
                     if isinstance(c, dict)]
    # A graded function's cell copied in JupyterLab keeps its metadata: the last copy is the
    # definition in effect when the notebook (and the grader's final cell) ran, so it is graded.
    last = {_grade_id(c): k for k, c in enumerate(student_cells)
            if _grade_id(c) in release and is_solution(release[_grade_id(c)])}
    placed, cells, notes = {}, [], []
    for k, cell in enumerate(student_cells):
        gid = _grade_id(cell)
        source = _text(cell.get("source", ""))
        if gid in last and k != last[gid]:
            cells.append(_plain(cell))  # an earlier copy: runs as it did, is not graded
        elif gid in release and gid not in placed:
            ref = release[gid]
            if is_solution(ref):
                new = _release_copy(ref, source)
            else:
                new = _release_copy(ref)
                if source != ref.source or cell.get("cell_type") != ref.cell_type:
                    notes.append(f"cell {gid!r} was changed; the original was restored")
            if _nbgrader(cell) != _nbgrader(ref) and is_grade(ref):
                notes.append(f"the nbgrader metadata of cell {gid!r} was changed; ignored")
            placed[gid] = len(cells)
            cells.append(new)
        else:
            if gid in release:
                notes.append(f"cell {gid!r} appears more than once; only the first one counts")
            cells.append(_plain(cell))
    for i, gid in enumerate(order):
        if gid in placed:
            continue
        ref = release[gid]
        if is_solution(ref) and gid in spec.functions:
            # Metadata stripped or cell retyped: the last plain code cell defining the function.
            hits = [k for k, c in enumerate(cells) if c.cell_type == "code"
                    and not _grade_id(c) and _defines(c.source, gid)]
            if hits:
                cells[hits[-1]] = _release_copy(ref, cells[hits[-1]].source)
                placed[gid] = hits[-1]
                notes.append(f"the cell defining {gid} had lost its nbgrader metadata; "
                             f"graded it anyway")
                continue
            notes.append(f"no cell defines {gid} (the cell was deleted?)")
        elif is_grade(ref) or is_locked(ref):
            notes.append(f"cell {gid!r} was missing; the original was restored")
        prev = [placed[g] for g in order[:i] if g in placed]
        at = prev[-1] + 1 if prev else 0  # after the cell the release puts before it
        cells.insert(at, _release_copy(ref))
        placed = {g: (k + 1 if k >= at else k) for g, k in placed.items()}
        placed[gid] = at
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(spec.release.metadata))
    return grader_cells(spec, nb), notes


def graded_source(nb, name):
    """The source of the cell that carries graded function `name` in an assembled notebook."""
    for cell in nb.cells:
        if _grade_id(cell) == name and is_solution(cell):
            return cell.source
    return None


def _inputs(case):
    """The part of a case the sandbox may see: its inputs, never its expected outputs."""
    if case.get("properties"):
        return {"properties": True}
    if "spec" in case:
        return {"spec": case["spec"]}
    timed = {"timed": True} if case.get("timed") else {}  # run in a cell the grader times
    return {"args": case.get("args", []), "kwargs": case.get("kwargs", {}), **timed}


_KEYS = {}  # id(case) -> (case, module, name, its job key); the case is kept so its id is not reused
_KEYS_HELD = 20000  # cases remembered at most (all of a course's hidden cases fit many times)


def _job_key(name, case, module):
    """The job that answers a case: the function and the inputs the sandbox sees, as text
    (equal inputs in two cells are one job). Remembered per case: the judge needs a case's key
    several times per notebook, and encoding a large case (05's run to megabytes) takes
    milliseconds each time. A case is the instructor's, never changed once loaded."""
    hit = _KEYS.get(id(case))
    if hit is not None and hit[0] is case and hit[1] == module and hit[2] == name:
        return hit[3]
    key = json.dumps([module, name, _inputs(case)], sort_keys=True)
    if len(_KEYS) >= _KEYS_HELD:
        _KEYS.clear()
    _KEYS[id(case)] = (case, module, name, key)
    return key


def jobs(spec):
    """Every distinct (key, module, function, inputs) the grader must run, in a fixed order."""
    seen, out = set(), []
    for test in spec.tests:
        for name, case, module in test.cases:
            key = _job_key(name, case, module)
            if key not in seen:
                seen.add(key)
                out.append((key, module, name, _inputs(case)))
    return out


def _split(spec):
    """(the jobs the harness runs, the timed ones: each in a cell of its own, after it)."""
    every = jobs(spec)
    return ([j for j in every if not j[3].get("timed")], [j for j in every if j[3].get("timed")])


HARNESS = r'''
def _autograder_harness(SOURCES, JOBS, MARKER, STARTED, TIMED, CALL_SECONDS):
    import base64, importlib, io, json, os, signal, sys
    import numpy as np
    from tfcourse.checks import CheckFailed, call, warnings_collected

    # The result goes to the grader's own channel, a file outside the cell's output, so that
    # no amount of the student's output can push it out; what the graded functions print
    # while the grader calls them is dropped.
    channel = open(os.environ["AUTOGRADER_RESULT"], "w")

    class Sink:
        def write(self, text):
            return len(text)

        def flush(self):
            pass
    shown = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = Sink()

    def pack(value, depth=0):
        # plain data only: arrays as .npy without pickle, containers as JSON
        if depth > 12:
            raise ValueError("nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return {"plain": value if not isinstance(value, str) else value[:10000]}
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return {"record": type(value).__name__, "fields": [str(f) for f in value._fields],
                    "items": [pack(v, depth + 1) for v in value]}
        if isinstance(value, (tuple, list)):
            kind = "tuple" if isinstance(value, tuple) else "list"
            return {kind: [pack(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            return {"dict": [[str(k), pack(v, depth + 1)] for k, v in value.items()]}
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            array = np.asarray(value, dtype=np.float64)
        buf = io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        return {"npy": base64.b64encode(buf.getvalue()).decode("ascii")}

    def inputs_of(module, name, inputs):
        checks = importlib.import_module(module)
        if hasattr(checks, "case_args"):
            return checks.case_args(name, inputs)
        return ([checks.decode(a) for a in inputs.get("args", [])],
                {k: checks.decode(v) for k, v in inputs.get("kwargs", {}).items()})

    # A function that does not return (an endless loop) costs its own cases only: it is stopped
    # after CALL_SECONDS and not called again. BaseException, so `except Exception` keeps looping.
    class TooLong(BaseException):
        pass

    def stop(signum, frame):
        raise TooLong()
    signal.signal(signal.SIGALRM, stop)
    endless = set()

    base = dict(globals())
    functions, results = {}, []
    for name, source in SOURCES.items():
        namespace = dict(base)
        try:
            signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
            try:
                exec(compile(source, "<" + name + ">", "exec"), namespace)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            functions[name] = namespace.get(name)
        except TooLong:
            functions[name] = TimeoutError("it did not finish within " + str(CALL_SECONDS) + " s")
        except BaseException as error:
            functions[name] = error
    def run_job(module, name, inputs):
        # {"value": packed result} or {"error": what went wrong}, for one call on one case
        func = functions.get(name)
        if func is None:
            return {"error": "there is no cell defining " + name}
        if isinstance(func, BaseException):
            return {"error": "running the cell that defines " + name + " raised " +
                    type(func).__name__ + ": " + str(func)[:300]}
        checks = importlib.import_module(module)
        if inputs.get("properties"):  # the visible cell's property checks, as the notebook runs them
            run = lambda: (checks.PROPERTIES[name](func), None)  # noqa: E731
        else:
            try:
                args, kwargs = inputs_of(module, name, inputs)
            except BaseException as error:
                return {"error": "the grader could not build this case's inputs in the "
                        "kernel (" + type(error).__name__ + ": " + str(error)[:200] + ")"}
            # what the notebook's check sees of a call besides its result (the model's calls
            # under its profiler, the draws from rng) goes with the result, for the judge too
            observe = getattr(checks, "observed_call", None)
            run = lambda: (observe(name, func, args, kwargs) if observe else  # noqa: E731
                           (call(name, func, args, kwargs), None))
        if name in endless:
            return {"error": name + " was not called again: an earlier case did not "
                    "return within " + str(CALL_SECONDS) + " s"}
        try:
            signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
            try:
                with warnings_collected() as warned:  # reported with the result, judged outside
                    value, seen = run()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except CheckFailed as failed:
            return {"error": str(failed)[:600]}
        except TooLong:
            endless.add(name)
            return {"error": name + " did not return within " + str(CALL_SECONDS) +
                    " s on this case: is there a loop that never ends?"}
        except BaseException as error:
            return {"error": name + " failed: " + type(error).__name__ + ": " + str(error)[:300]}
        try:
            return {"value": pack(value), **({} if seen is None else {"seen": pack(seen)}),
                    **({"warning": warned[0][:600]} if warned else {})}
        except BaseException as error:
            return {"error": name + " returned something that is not made of arrays "
                    "of numbers (" + type(error).__name__ + ": " + str(error)[:200] + ")"}

    current = None
    for module, name, inputs in JOBS:
        if name != current:
            current = name
            channel.write(STARTED + name + "\n")
            channel.flush()
        results.append(run_job(module, name, inputs))
    sys.stdout, sys.stderr = shown
    channel.write(MARKER + base64.b64encode(json.dumps(results).encode()).decode() + "\n")
    channel.close()

    def unbox(data, arrays):
        # the case's JSON with each {"array": {"npy": key}} holding the array itself (judge.box)
        if isinstance(data, list):
            return [unbox(v, arrays) for v in data]
        if not isinstance(data, dict):
            return data
        out = {k: unbox(v, arrays) for k, v in data.items()}
        if isinstance(data.get("array"), dict) and "npy" in data["array"]:
            out["array"] = arrays[data["array"]["npy"]]
        return out

    def timed(number, module, name):
        # A timed case, in a cell of its own that the grader times from outside the sandbox:
        # its inputs appear in the inbox when the cell is sent, its result is appended to the
        # channel, where the grader reads it when the cell ends.
        sys.stdout = sys.stderr = Sink()
        try:
            box = os.path.join(os.environ["AUTOGRADER_INBOX"], str(number))
            with open(box + ".json") as skeleton:
                inputs = json.load(skeleton)
            with np.load(box + ".npz", allow_pickle=False) as stored:
                inputs = unbox(inputs, {key: stored[key] for key in stored.files})
            entry = run_job(module, name, inputs)
        except BaseException as error:
            entry = {"error": "the grader could not read this case's inputs in the kernel (" +
                     type(error).__name__ + ")"}
        finally:
            sys.stdout, sys.stderr = shown
        with open(os.environ["AUTOGRADER_RESULT"], "a") as out:
            out.write(TIMED + str(number) + " " +
                      base64.b64encode(json.dumps(entry).encode()).decode() + "\n")
    return timed
'''


def harness_cell(spec, nb, seconds=CALL_SECONDS):
    """The harness: run each graded function on the inputs of every untimed job; define
    `_autograder_timed`, which the timed cells after it call."""
    sources = {name: graded_source(nb, name) for name in spec.functions}
    sources = {k: v for k, v in sources.items() if v is not None}
    job_list = [[module, name, inputs] for _key, module, name, inputs in _split(spec)[0]]
    code = (HARNESS + f"\n_autograder_timed = _autograder_harness("
            f"json.loads({json.dumps(json.dumps(sources))}), "
            f"json.loads({json.dumps(json.dumps(job_list))}), {MARKER!r}, {STARTED!r}, "
            f"{TIMED!r}, {seconds!r})\n")
    cell = nbformat.v4.new_code_cell("import json\n" + code)
    cell.metadata["autograder"] = {"harness": True}
    return cell


def box(inputs):
    """(JSON text, base64 of an .npz) holding a case's inputs: each {"array": [...]} of the case
    becomes {"array": {"npy": key}}, its values an array of the .npz (read without pickle), so
    that a timed case's large inputs cost the kernel a file read, not a parse of lists of floats.
    Equal arrays (the decoder's parameters, in every step's cache) are stored once."""
    arrays, keys = {}, {}

    def walk(data):
        if isinstance(data, list):
            return [walk(v) for v in data]
        if not isinstance(data, dict):
            return data
        out = {k: walk(v) for k, v in data.items() if k != "array"}
        if isinstance(data.get("array"), list):
            text = json.dumps(data["array"])
            if text not in keys:
                keys[text] = f"a{len(keys)}"
                arrays[keys[text]] = np.array(data["array"], dtype=data.get("dtype", np.float64))
            out["array"] = {"npy": keys[text]}
        elif "array" in data:
            out["array"] = walk(data["array"])
        return out
    skeleton = json.dumps(walk(inputs))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return skeleton, base64.b64encode(buffer.getvalue()).decode("ascii")


def grader_cells(spec, nb, seconds=CALL_SECONDS, answers=None):
    """Append the harness (grading the functions of `answers`, default `nb`) and one cell per
    timed job to `nb`, and say in the notebook's own
    metadata (the release's, never the student's) which cells the sandbox must time.

    A timed case's inputs reach the kernel only when its cell is sent, so everything computed
    from them is computed between that moment and the kernel's answer; the grader measures that
    on its own clock (sandbox.RunResult.timed)."""
    nb.cells.append(harness_cell(spec, nb if answers is None else answers, seconds))
    timed = []
    for number, (key, module, name, inputs) in enumerate(_split(spec)[1]):
        # the inputs stay in the cell's metadata, which the kernel never sees: the sandbox puts
        # them in its inbox the moment it sends the cell (sandbox._timed)
        cell = nbformat.v4.new_code_cell(f"_autograder_timed({number}, {module!r}, {name!r})\n")
        if key not in spec.boxed:
            spec.boxed[key] = box(inputs)
        skeleton, arrays = spec.boxed[key]
        cell.metadata["autograder"] = {"harness": True, "timed": True, "inputs": skeleton,
                                       "arrays": arrays}
        timed.append(len(nb.cells))
        nb.cells.append(cell)
    nb.metadata["autograder"] = {"timed": timed}
    return nb


# ----------------------------------------------------------------------------- judging

class _Budget:
    """Counts the parts of one result so that no result can make the judge do unbounded work."""
    def __init__(self, limit=100000):
        self.left = limit

    def take(self):
        self.left -= 1
        if self.left < 0:
            raise ValueError("too many parts")


def _record(typename, fields, items):
    """A tuple with named fields, like the NamedTuple the student returned (no exec, no import)."""
    if not (typename.isidentifier() and all(isinstance(f, str) and f.isidentifier()
                                            for f in fields) and len(fields) == len(items)):
        raise ValueError("malformed record")
    attrs = {f: property(lambda self, i=i: self[i]) for i, f in enumerate(fields)}
    cls = type(typename, (tuple,), {"_fields": tuple(fields), "_asdict":
                                    lambda self: dict(zip(self._fields, self)), **attrs})
    return cls(items)


def _unpack_value(data, depth=0, budget=None):
    """A harness result as plain data: numeric arrays (exact dtype), floats, tuples, lists,
    dicts, named records, None, bools and strings. ValueError for anything else."""
    budget = budget or _Budget()
    budget.take()
    if depth > 12 or not isinstance(data, dict) or len(data) > 3:
        raise ValueError("malformed result")
    if "plain" in data and (data["plain"] is None or isinstance(data["plain"], (bool, str))):
        return data["plain"]
    if isinstance(data.get("tuple"), list):
        return tuple(_unpack_value(v, depth + 1, budget) for v in data["tuple"])
    if isinstance(data.get("list"), list):
        return [_unpack_value(v, depth + 1, budget) for v in data["list"]]
    if isinstance(data.get("dict"), list):
        return {str(k): _unpack_value(v, depth + 1, budget) for k, v in data["dict"]}
    if isinstance(data.get("record"), str) and isinstance(data.get("items"), list):
        return _record(data["record"], data.get("fields") or [],
                       [_unpack_value(v, depth + 1, budget) for v in data["items"]])
    if isinstance(data.get("npy"), str):
        array = np.load(io.BytesIO(base64.b64decode(data["npy"])), allow_pickle=False)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"not an array of numbers (dtype {array.dtype})")
        return float(array) if array.ndim == 0 else array
    raise ValueError("malformed result")


def harness_results(channel, expected=None):
    """(results list or None, last function started) from what the harness wrote to its
    channel (bytes, RunResult.channel).

    None unless there is exactly one well-formed result line (with `expected` entries): code
    that writes a second, forged line, or anything unreadable, makes the result void (the
    grader then runs the graded functions again in a clean kernel), never chosen.
    """
    if not isinstance(channel, bytes) or len(channel) > MAX_RESULT_BYTES:
        return None, None
    started, payloads = None, []
    for line in channel.decode("utf-8", "replace").splitlines():
        if line.startswith(STARTED):
            started = line[len(STARTED):].strip()[:200]
        elif line.startswith(MARKER):
            payloads.append(line[len(MARKER):])
    if len(payloads) != 1:
        return None, started
    try:
        results = json.loads(base64.b64decode(payloads[0], validate=True))
    except Exception:  # malformed, or nested deeper than the parser goes: void, never fatal
        return None, started
    if not isinstance(results, list) or (expected is not None and len(results) != expected):
        return None, started
    return results, started


def _kernel_verdict(cell, finished=True):
    """nbgrader's in-kernel score of an executed test cell (None if it never ran to its end:
    a cell the run stopped in has its count and no error, which nbgrader reads as a pass)."""
    if cell is None or cell.get("execution_count") is None or not finished:
        return None, "did not run"
    score, _ = determine_grade(cell)
    return float(score or 0.0), "passed" if score else "failed"


def judged(result, spec):
    """(harness results or None, the function it last started) of a RunResult."""
    return harness_results(result.channel, len(_split(spec)[0]))


# The wall clock a timed case may take, measured by the grader outside the sandbox from the
# moment it sends the case's cell (the only way its inputs reach the kernel) to the moment the
# kernel has answered and the grader has read the result. The reference's analytic passes take
# at most 1/20 of it, finite differences at least 50 times it (scripts/timed_cases.py measures
# both). The sandbox stops such a cell after TIMED_STOP.
TIMED_SECONDS = 2.0
TIMED_STOP = 3 * TIMED_SECONDS


class _Slow(str):
    """A timed case's verdict, written by the grader (never parsed from the kernel's output)."""


def timed_result(timed, number, name):
    """The result of timed job `number` from what the sandbox measured of its cell
    (RunResult.timed: cell number -> (seconds on the grader's clock, the channel then))."""
    seconds, channel = timed.get(number, (None, None))
    if seconds is None:
        return {"error": f"the grader could not run {name}'s timed case (an earlier cell "
                         f"stopped the notebook)"}
    if seconds > TIMED_SECONDS:
        return {"error": _Slow(
            f"{name} took more than {TIMED_SECONDS:g} s on this case, timed by the grader (the "
            f"analytic backward pass needs milliseconds). Finite differences need two forward "
            f"passes per parameter: they check a gradient, they do not compute one. Apply the "
            f"chain rule to what the cache holds.")}
    lines = [line[len(TIMED):] for line in (channel or b"").decode("utf-8", "replace").splitlines()
             if line.startswith(TIMED)]
    found = [rest.split(" ", 1)[1] for rest in lines if rest.split(" ", 1)[0] == str(number)
             and " " in rest]
    try:
        if len(found) != 1:
            raise ValueError("not exactly one result")
        entry = json.loads(base64.b64decode(found[0], validate=True))
        if not isinstance(entry, dict):
            raise ValueError("not a result")
        return entry
    except Exception:
        return {"error": f"{name}'s timed case gave no single, well-formed result by the time "
                         f"its cell ended"}


def _all_results(spec, harness, run):
    """Every job's result in jobs(spec) order: the harness's, and the timed cells' from `run`."""
    if harness is None:
        return None
    untimed, timed = iter(harness), 0
    out = []
    for _key, _module, name, inputs in jobs(spec):
        if inputs.get("timed"):
            out.append(timed_result(run.timed, timed, name))
            timed += 1
        else:
            out.append(next(untimed))
    return out


# In the clean run each cell before the harness gets CALL_SECONDS: a release example that calls
# a student's endless loop (or a loop left in a solution cell) must not use up the notebook's time
# and cost every other function its grade.
GUARD = r'''
def _autograder_guarded(source, seconds):
    import signal

    class TooLong(BaseException):
        pass

    def stop(signum, frame):
        raise TooLong(f"this cell did not finish within {seconds} s in the grader's clean run")
    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        get_ipython().run_cell(source)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
'''


def call_seconds(timeout):
    """The time one call (or one cell of the clean run) gets in a notebook of `timeout` s."""
    return min(CALL_SECONDS, max(5.0, timeout / 4))


def judge_only(nb, spec, seconds=CALL_SECONDS):
    """A notebook for a second, clean run: the release's own code cells (its imports and
    examples, as released) and the graded functions' cells of `nb`, each stopped after
    `seconds`, then the harness.
    Used when the full notebook died or timed out before the harness could run."""
    cells = [nbformat.v4.new_code_cell(GUARD)]
    for ref in spec.release.cells:
        gid = _grade_id(ref)
        if ref.cell_type != "code":
            continue
        if gid in spec.functions:
            source = graded_source(nb, gid)
            source = source if source is not None else ref.source
        elif gid is None and not _nbgrader(ref):
            source = ref.source
        else:
            continue
        cells.append(_release_copy(ref, f"_autograder_guarded({source!r}, {seconds!r})"))
    out = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(spec.release.metadata))
    return grader_cells(spec, out, seconds, answers=nb)


def judge(spec, result, retry=None):
    """One Verdict per test cell of `spec`, from a sandbox RunResult of assemble()'s notebook.

    `retry` is the RunResult of judge_only()'s notebook when the first run gave no harness
    result; the trusted judgement then comes from it, the in-kernel one still from `result`.
    """
    results, started = judged(result, spec)
    source = result
    if results is None and retry is not None:
        results, started = judged(retry, spec)
        source = retry
    results = _all_results(spec, results, source)
    index = {key: i for i, (key, *_rest) in enumerate(jobs(spec))}
    by_id = {_grade_id(c): (c, result.stopped_at is None or i < result.stopped_at)
             for i, c in enumerate(result.nb.cells) if _grade_id(c)}
    own, statuses = {}, {}  # function -> first problem over all its cases (None: all passed)
    for test in spec.tests:
        if not test.derived:
            status = _judge_cases(test.cases, results, index, source, started, test.public)
            statuses[test.grade_id] = status
            for name in test.functions:
                if own.get(name) is None:
                    own[name] = None if status == "passed" else status
    verdicts = []
    for test in spec.tests:
        kernel_score, kernel_status = _kernel_verdict(*by_id.get(test.grade_id, (None,)))
        if test.derived:
            bad = [own[f] for f in test.functions if own.get(f) is not None]
            names, one = " and ".join(test.functions), len(test.functions) == 1
            # the notebook's relations can hold for a wrong answer (a loss that ignores -100
            # only, on data padded with -100): say why the point is lost all the same
            status = "passed" if not bad else (
                f"failed: this cell relates {', '.join(test.functions)}, and the grader gives its "
                f"points only when {names} also pass{'es' if one else ''} all of "
                f"{'its' if one else 'their'} own cases: the relations the notebook checks can "
                f"hold for a wrong answer (they may have passed in your notebook). The grader's "
                f"own cases found: {bad[0].removeprefix('failed: ')}")
            # its kernel run judged the relations, not the cases: a pass there beside the
            # grader's failure is what the status explains; a failure beside a pass is not
            seen = None
        else:
            status = statuses[test.grade_id]
            # what the kernel ran: the visible cases (hidden ones never enter the sandbox); a
            # hidden cell's release runs no case, only graded_here, which fails on the stub alone
            seen = (_judge_cases(test.cases[:test.public], results, index, source, started,
                                 diagnose=False) if test.public else None)
        agrees = kernel_score is None or (
            (kernel_score == test.points) == (seen == "passed") if seen is not None
            else kernel_score == test.points or status != "passed")
        verdicts.append(Verdict(test.grade_id, test.points if status == "passed" else 0.0,
                                test.points, status, kernel_score, kernel_status, agrees))
    return verdicts


def _matched(checks, name, module, cases, results, index):
    """The mistakes that reproduce the answer of `name` on every case of the cell it answered
    (checks.matching_mutants): matching is on behaviour, never on one case."""
    own, values = [], []
    for other, case, mod in cases:
        if other == name and mod == module and not case.get("properties"):
            got = results[index[_job_key(other, case, mod)]]
            try:
                value = _unpack_value(got["value"]) if isinstance(got, dict) and "value" in got \
                    else None
            except Exception:  # unreadable: that case is not evidence either way
                value = None
            own.append(case)
            values.append(value)
    try:
        return checks.matching_mutants(name, own, values)
    except Exception:
        return []


def _withheld(error):
    """What the status of a hidden case says of an error: the harness's own words, never the
    text of what the student's code raised or returned (it could carry the case's inputs out)."""
    if isinstance(error, _Slow):  # the grader's own words, with the grader's own numbers
        return str(error)
    text = str(error)
    warned = re.match(r"(\w+) raised a (\w+) while it ran \((.*?)\)\. A warning", text)
    if warned:  # numpy's own words name the operation; any other warning text is withheld
        shown = warned[3] if re.fullmatch(NUMPY_WARNING, warned[3]) else \
            "its message is not shown for a hidden case"
        return warning_report(warned[1], warned[2], shown)
    raised = re.match(r"(\w+) failed: (\w+)", text)
    if raised:
        return (f"{raised[1]} raised {raised[2]} (the message is not shown for a hidden case; "
                f"the same error on a public case shows it)")
    return re.split(r"[:(]", text, maxsplit=1)[0].strip()[:200]


def _judge_cases(cases, results, index, result, started, public=None, diagnose=True):
    """"passed", or "failed: <the first failing case and what is wrong with it>".

    Cases after the first `public` ones (all of them if None) are hidden: their message names
    what is wrong but no number derived from their expected output (compare(hidden=True)).
    `diagnose`: name the mistakes that reproduce a wrong answer (False when only whether the
    cases pass matters)."""
    if results is None:
        if result.failure:
            where = f" while running {started} on the grader's cases" if started else ""
            return f"failed: not graded: {result.failure}{where}"
        return "failed: not graded: the grader's final cell gave no single, well-formed result " \
               "(the notebook changed how its cells run or what they print)"
    for number, (name, case, module) in enumerate(cases, 1):
        hidden = public is not None and number > public
        i = index[_job_key(name, case, module)]
        got = results[i] if isinstance(results[i], dict) else {}
        label = case.get("label", f"case {number}")
        where = f"{name}, case {number} of {len(cases)} ({label})"
        if "error" in got:
            return f"failed: {where}: {_withheld(got['error']) if hidden else str(got['error'])[:600]}"
        if case.get("properties"):  # public: its own words, as the notebook shows them
            if isinstance(got.get("warning"), str):
                return f"failed: {where}: {got['warning'][:600]}"
            continue
        try:
            value = _unpack_value(got.get("value"))
            checks = importlib.import_module(module)
            # matched=[]: whether it is wrong first; a wrong one's mistakes are named from all
            # the cases below, not from this one case (the default), which would be work lost
            everywhere = hasattr(checks, "matching_mutants")
            problem = checks.compare(name, case, value, hidden=hidden,
                                     matched=[] if everywhere or not diagnose else None)
            if problem and everywhere and diagnose:  # name it on all the cases
                problem = checks.compare(name, case, value, hidden=hidden, matched=_matched(
                    checks, name, module, cases, results, index))
            seen = _unpack_value(got["seen"]) if "seen" in got else None
            if not problem and hasattr(checks, "observed_problem"):  # as the notebook's check
                problem = checks.observed_problem(name, case, seen)
            elif problem and hasattr(checks, "observed_note"):  # said after it, as the notebook does
                note = checks.observed_note(name, case, seen)
                problem += f"\n  {note}" if note else ""
        except CheckFailed as exc:  # a pair that is not a pair, a number that is an array
            problem = str(exc)
        except Exception as exc:  # malformed or wrong-kind output: never trusted
            problem = f"its result could not be read as numbers ({type(exc).__name__}: {exc})"
        warning = got.get("warning")
        if isinstance(warning, str):  # a right result that warned fails too
            warning = _withheld(warning) if hidden else warning[:600]
            problem = f"{problem}\n  {warning}" if problem else warning
        if problem:
            return f"failed: {where}: {problem}"[:1200]
    return "passed"
