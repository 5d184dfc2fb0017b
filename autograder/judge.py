"""The trusted judgement: run a student's graded functions in the sandbox, compare outside it.

A notebook's grading spec comes from the instructor's side only: the release notebook (what the
student received: which cells exist, their nbgrader metadata) and the source notebook (whose test
cells name the cases: `check("rnn_step", rnn_step)` runs the public cases of data/reference/,
`check_hidden("rnn_step", rnn_step, "<packed>")` the hidden ones with their reference values).

    spec = load_spec(source_nb_path, release_nb_path)
    nb, notes = assemble(student_nb, spec)    # release's cells and metadata, the student's answers
    result = run_notebook(nb, folder)         # autograder.sandbox
    verdicts = judge(spec, result)            # one Verdict per graded test cell

`assemble` rebuilds the notebook nbgrader-style, trusting nothing the student's metadata claims:
test and read-only cells are restored from the release (tampered, deleted, moved, retyped or
duplicated ones included); each graded function's cell is the student's cell carrying that
grade_id (or, if its metadata was stripped, the cell defining the function), with the release's
metadata and type. The public test cells run as they would under nbgrader (that is the in-kernel
result). A last cell, the harness, re-executes each graded function's cell on its own, calls the
function on every case's *inputs* (never the reference outputs, which stay in this process) and
prints the results as base64 `.npy` (np.save, allow_pickle=False). `judge` parses them as plain
arrays and compares them here with `tfcourse.checks.compare`. Student code can change what its own
kernel prints, but not the reference values, the comparison, or anything another kernel does.
"""
import ast
import base64
import copy
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from nbgrader.utils import determine_grade, is_grade, is_locked, is_solution

from tfcourse.checks import compare, load_reference, unpack

MARKER = "\u00a7autograder-result "   # the harness's result line (last one wins)
STARTED = "\u00a7autograder-start "   # the harness says which function it is about to run
MAX_RESULT_BYTES = 16 << 20


class InstructorError(Exception):
    """Something on the instructor's side is broken; the message says what to fix."""


@dataclass
class TestCell:
    """A graded test cell of the release and the cases that decide it (name, case) in order."""
    grade_id: str
    points: float
    cases: list
    functions: list


@dataclass
class Spec:
    """What grading one notebook needs, all from the instructor's side."""
    assignment: str
    notebook: str
    release: nbformat.NotebookNode
    functions: list          # grade_ids of the graded functions' cells, in release order
    tests: list              # TestCell, in release order
    release_dir: Path


@dataclass
class Verdict:
    """The judgement of one test cell: trusted score and why, and what the kernel said."""
    grade_id: str
    score: float
    max_score: float
    status: str              # "passed", or "failed: <reason a person can act on>"
    kernel_score: float | None = None
    kernel_status: str = ""


def _nbgrader(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell):
    gid = _nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def _calls(source):
    """(function, name, packed) for each check(...) / check_hidden(...) call in a test cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise InstructorError(f"a test cell is not valid Python ({exc})") from None
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", None)
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if func == "check" and args and isinstance(args[0], str):
            found.append((func, args[0], None))
        elif func == "check_hidden" and len(args) == 3 and isinstance(args[2], str):
            found.append((func, args[0], args[2]))
    return found


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
            tests.append(_test_cell(gid, cell, source_cells[gid], source_path))
    for test in tests:
        unknown = [f for f in test.functions if f not in functions]
        if unknown:
            raise InstructorError(f"{source_path}: test cell {test.grade_id!r} checks "
                                  f"{', '.join(unknown)}, which no solution cell of the notebook "
                                  f"defines (its grade_id must be the function's name)")
    return Spec(assignment or release_path.parent.name, release_path.stem, release, functions,
                tests, release_path.parent)


def _test_cell(gid, release_cell, source_cell, source_path):
    cases, functions = [], []
    for func, name, packed in _calls(source_cell.source):
        try:
            found = (load_reference(name)["cases"] if func == "check" else unpack(packed))
        except Exception as exc:
            raise InstructorError(f"{source_path}: test cell {gid!r}: cannot load the cases of "
                                  f"{func}({name!r}): {exc}") from None
        cases += [(name, case) for case in found]
        if name not in functions:
            functions.append(name)
    if not cases:
        raise InstructorError(f"{source_path}: test cell {gid!r} calls neither check(...) nor "
                              f"check_hidden(...), so the grader cannot judge it outside the "
                              f"student's kernel; make it call tfcourse.checks")
    points = float(_nbgrader(release_cell).get("points", 0))
    return TestCell(gid, points, cases, functions)


# ----------------------------------------------------------------------------- assembling

def _defines(source, name):
    """True if `source` defines function `name` at top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.search(rf"^def\s+{re.escape(name)}\s*\(", source, re.M) is not None
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


def _plain(cell):
    """A student's cell that the release does not know: kept as code or text, never graded."""
    kind = cell.get("cell_type") if cell.get("cell_type") in ("code", "markdown", "raw") else "raw"
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    if kind == "code":
        return nbformat.v4.new_code_cell(source)
    return (nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_raw_cell)(source)


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
    placed, cells, notes = {}, [], []
    for cell in student.get("cells", []) if isinstance(student, dict) else []:
        if not isinstance(cell, dict):
            continue
        gid = _grade_id(cell)
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if gid in release and gid not in placed:
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
        at = max(prev) + 1 if prev else 0
        cells.insert(at, _release_copy(ref))
        placed = {g: (k + 1 if k >= at else k) for g, k in placed.items()}
        placed[gid] = at
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(spec.release.metadata))
    nb.cells.append(harness_cell(spec, nb))
    return nb, notes


def graded_source(nb, name):
    """The source of the cell that carries graded function `name` in an assembled notebook."""
    for cell in nb.cells:
        if _grade_id(cell) == name and is_solution(cell):
            return cell.source
    return None


def _inputs(case):
    """The part of a case the sandbox may see: its inputs, never its expected outputs."""
    if "spec" in case:
        return {"spec": case["spec"]}
    return {"args": case.get("args", []), "kwargs": case.get("kwargs", {})}


def jobs(spec):
    """Every distinct (function, inputs) the harness must run, in a fixed order."""
    seen, out = set(), []
    for test in spec.tests:
        for name, case in test.cases:
            key = json.dumps([name, _inputs(case)], sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append((key, name, _inputs(case)))
    return out


HARNESS = r'''
def _autograder_harness(SOURCES, JOBS, MARKER, STARTED):
    import base64, io, json, sys
    import numpy as np
    from tfcourse.checks import CheckFailed, call, case_args

    def pack(value):
        if isinstance(value, (tuple, list)):
            return {"tuple": [pack(v) for v in value]}
        buf = io.BytesIO()
        array = np.asarray(value, dtype=np.float64)
        np.save(buf, array, allow_pickle=False)
        return {"npy": base64.b64encode(buf.getvalue()).decode("ascii")}

    base = dict(globals())
    functions, results = {}, []
    for name, source in SOURCES.items():
        namespace = dict(base)
        try:
            exec(compile(source, "<" + name + ">", "exec"), namespace)
            functions[name] = namespace.get(name)
        except BaseException as error:
            functions[name] = error
    current = None
    for name, inputs in JOBS:
        if name != current:
            current = name
            print(STARTED + name, flush=True)
        func = functions.get(name)
        if func is None:
            results.append({"error": "there is no cell defining " + name})
            continue
        if isinstance(func, BaseException):
            results.append({"error": "running the cell that defines " + name + " raised " +
                            type(func).__name__ + ": " + str(func)[:300]})
            continue
        try:
            args, kwargs = case_args(name, inputs)
            results.append({"value": pack(call(name, func, args, kwargs))})
        except CheckFailed as failed:
            results.append({"error": str(failed)[:600]})
        except BaseException as error:
            results.append({"error": name + " returned something that is not an array of "
                            "numbers (" + type(error).__name__ + ": " + str(error)[:200] + ")"})
    sys.stdout.write(MARKER + base64.b64encode(json.dumps(results).encode()).decode() + "\n")
    sys.stdout.flush()
'''


def harness_cell(spec, nb):
    """The last cell of the assembled notebook: run each graded function on every job's inputs."""
    sources = {name: graded_source(nb, name) for name in spec.functions}
    sources = {k: v for k, v in sources.items() if v is not None}
    job_list = [[name, inputs] for _key, name, inputs in jobs(spec)]
    code = (HARNESS + f"\n_autograder_harness(json.loads({json.dumps(json.dumps(sources))}), "
            f"json.loads({json.dumps(json.dumps(job_list))}), {MARKER!r}, {STARTED!r})\n")
    cell = nbformat.v4.new_code_cell("import json\n" + code)
    cell.metadata["autograder"] = {"harness": True}
    return cell


# ----------------------------------------------------------------------------- judging

def _unpack_value(data):
    """A harness result as plain float64 arrays; ValueError for anything else."""
    if isinstance(data, dict) and "tuple" in data and isinstance(data["tuple"], list):
        return tuple(_unpack_value(v) for v in data["tuple"][:16])
    if isinstance(data, dict) and isinstance(data.get("npy"), str):
        array = np.load(io.BytesIO(base64.b64decode(data["npy"])), allow_pickle=False)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"not an array of numbers (dtype {array.dtype})")
        array = array.astype(np.float64)
        return float(array) if array.ndim == 0 else array
    raise ValueError("malformed result")


def harness_results(cell):
    """(results list or None, last function started) from the harness cell's outputs."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    started, payload = None, None
    for line in text.splitlines():
        if line.startswith(STARTED):
            started = line[len(STARTED):].strip()
        elif line.startswith(MARKER) and len(line) < MAX_RESULT_BYTES:
            payload = line[len(MARKER):]
    if payload is None:
        return None, started
    try:
        results = json.loads(base64.b64decode(payload))
    except (ValueError, TypeError):
        return None, started
    return (results if isinstance(results, list) else None), started


def _kernel_verdict(cell):
    """nbgrader's in-kernel score of an executed test cell (0 if it never ran)."""
    if cell is None or cell.get("execution_count") is None:
        return 0.0, "did not run"
    score, _ = determine_grade(cell)
    return float(score or 0.0), "passed" if score else "failed"


def judge(spec, result):
    """One Verdict per test cell of `spec`, from a sandbox RunResult of assemble()'s notebook."""
    nb = result.nb
    harness = nb.cells[-1] if nb.cells and nb.cells[-1].metadata.get("autograder") else None
    results, started = harness_results(harness) if harness is not None else (None, None)
    index = {key: i for i, (key, _n, _c) in enumerate(jobs(spec))}
    by_id = {_grade_id(c): c for c in nb.cells if _grade_id(c)}
    verdicts = []
    for test in spec.tests:
        kernel_score, kernel_status = _kernel_verdict(by_id.get(test.grade_id))
        status = _judge_test(test, results, index, result, started)
        verdicts.append(Verdict(test.grade_id, test.points if status == "passed" else 0.0,
                                test.points, status, kernel_score, kernel_status))
    return verdicts


def _judge_test(test, results, index, result, started):
    if results is None:
        if result.failure:
            where = f" while running {started} on the grader's cases" if started else ""
            return f"failed: not graded: {result.failure}{where}"
        return "failed: the grader's final cell produced no result (the notebook changed how " \
               "its cells run or what they print)"
    for number, (name, case) in enumerate(test.cases, 1):
        key = json.dumps([name, _inputs(case)], sort_keys=True)
        i = index[key]
        got = results[i] if i < len(results) and isinstance(results[i], dict) else {}
        label = case.get("label", f"case {number}")
        where = f"{name}, case {number} of {len(test.cases)} ({label})"
        if "error" in got:
            return f"failed: {where}: {str(got['error'])[:600]}"
        try:
            value = _unpack_value(got.get("value"))
            problem = compare(name, case, value)
        except Exception as exc:  # malformed or wrong-kind output: never trusted
            problem = f"its result could not be read as numbers ({type(exc).__name__}: {exc})"
        if problem:
            return f"failed: {where}: {problem}"[:1200]
    return "passed"
