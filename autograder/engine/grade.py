"""Grade a class: every submitted notebook in its own sandbox, in parallel, resumable.

    python -m autograder grade SUBMITTED --out OUT [--jobs N] [--timeout S] [--force]
    python -m autograder check NOTEBOOK

SUBMITTED has nbgrader's layout <student_id>/<assignment>/<notebook>.ipynb. For each student,
assignment and notebook the grader assembles the notebook from the release (autograder.engine.judge),
runs it in a fresh sandboxed kernel (autograder.engine.sandbox), judges the graded functions outside the
sandbox, and writes the result at once, atomically, to OUT/.results/ (so an interrupted run loses
nothing and the next one continues; --force regrades). Then it writes

    OUT/grades.csv     student_id, assignment, grade_id, score, max_score, status
    OUT/summary.csv    student_id, assignment, score, max_score, flags
    OUT/feedback/<student_id>/<assignment>/<notebook>.html
    OUT/grading.log    one line per notebook: time taken and outcome

and the scores into the course's nbgrader gradebook (with the executed notebooks under
<course>/autograded/), so formgrader shows them. Exit status 0 when grading finished, whatever
the students scored; 2 when the instructor's side is broken, with a message saying what to fix.
"""
import argparse
import csv
import functools
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import os
import pkgutil
import re
import shutil
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from tqdm import tqdm

from autograder.engine import cgroup, records
from autograder.engine.feedback import render_feedback
from autograder.engine.files import Refused, lkind, plain_files, read_below
from autograder.engine.sanitize import sanitize_notebook
from autograder.engine.judge import (InstructorError, Verdict, assemble, call_seconds,
                                     judge, judge_only, judged, load_spec)
from autograder.engine.judge import jobs as spec_jobs  # grade_class has a `jobs` of its own
from autograder.engine.sandbox import Limits, run_notebook, sandbox_status
from autograder.engine.store import atomic_write, fingerprint, result_path, stored_result
from autograder.instructor import check_course, check_grade_args

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "build" / "course"
GRADER_VERSION = "2"  # bump when grading changes, so stored results are regraded
MAX_NOTEBOOK = 50 << 20  # a submitted notebook bigger than this is refused unread
MAX_FILE = 20 << 20   # a submitted file bigger than this is not copied into the sandbox
MAX_FILES = (500, 100 << 20)  # nor files beyond the first 500, or beyond 100 MiB in all


@dataclass(frozen=True)
class Unit:
    """One notebook to grade: the student's file (None if missing) for an expected notebook."""
    student: str
    assignment: str
    notebook: str
    path: str | None
    note: str = ""
    refused: str = ""        # why the submission is not a plain file or folder, if it is not

    @property
    def key(self):
        return f"{self.student}/{self.assignment}/{self.notebook}"


class Course:
    """The instructor's nbgrader course folder: source/, release/ and the gradebook."""

    def __init__(self, path=COURSE, db_url=None):
        self.path = Path(path).resolve()
        self.db_url = db_url or f"sqlite:///{self.path / 'gradebook.db'}"
        release = self.path / "release"
        if not release.is_dir() or not (self.path / "source").is_dir():
            raise InstructorError(f"{self.path} has no release/ and source/ folders: build the "
                                  f"course there (python -m autograder build --course "
                                  f"{self.path}), or give the folder you built it in")
        self.notebooks = {a.name: sorted(p.stem for p in a.glob("*.ipynb"))
                          for a in sorted(release.iterdir()) if a.is_dir()}
        self.notebooks = {a: n for a, n in self.notebooks.items() if n}
        if not self.notebooks:
            raise InstructorError(f"{release} holds no assignment with notebooks: build the "
                                  f"course there (python -m autograder build --course "
                                  f"{self.path})")

    def spec(self, assignment, notebook):
        return load_spec(self.path / "source" / assignment / f"{notebook}.ipynb",
                         self.path / "release" / assignment / f"{notebook}.ipynb", assignment)

    def fingerprint(self, assignment, notebook):
        digest = hashlib.sha256(GRADER_VERSION.encode())
        for part in ("source", "release"):
            digest.update((self.path / part / assignment / f"{notebook}.ipynb").read_bytes())
        return digest.hexdigest()


# ----------------------------------------------------------------------------- what to grade

MAX_ID = 128  # characters of a student id


def is_student_id(name):
    """Whether a folder name can stand in tables, logs, the gradebook and a terminal as it is:
    printable text (no control characters, no escape codes, no undecodable bytes), not hidden,
    and not a formula when a spreadsheet opens the tables (=, +, -, @ first)."""
    return (0 < len(name) <= MAX_ID and name.isprintable()
            and not name.startswith((".", "=", "+", "-", "@")))


def shown(name):
    """A name the student chose, safe to print: as it is when printable, else escaped."""
    name = str(name)
    return name if name.isprintable() else ascii(name)


def discover(submitted, course, log):
    """The Units of a submissions folder; anything unexpected is logged, never fatal.

    No link is followed below `submitted`: a student or assignment folder that is a link, or a
    notebook that is a link or a special file, is a Unit refused with the reason."""
    submitted = Path(submitted)
    units = []
    for student in sorted(submitted.iterdir()):
        what = lkind(student)
        if what != "a folder":
            log(f"ignored {shown(student)}: {what}, not a student folder (links are never "
                f"followed)")
            continue
        if not is_student_id(student.name):
            log(f"ignored {shown(student)}: not a student id (printable text of at most "
                f"{MAX_ID} characters, not starting with '.', '=', '+', '-' or '@'); rename the "
                f"folder to grade it")
            continue
        for folder in sorted(student.iterdir()):
            if folder.name not in course.notebooks:
                log(f"ignored {shown(folder)}: not an assignment of the course "
                    f"({', '.join(course.notebooks)})")
                continue
            what = lkind(folder)
            if what != "a folder":
                why = (f"the assignment folder {folder.name} is {what}, not a plain folder "
                       f"(links are never followed): submit the files themselves")
                units += [Unit(student.name, folder.name, name, None, refused=why)
                          for name in course.notebooks[folder.name]]
                continue
            units += _units(student.name, folder, course.notebooks[folder.name], log)
    return units


def _units(student, folder, expected, log):
    found = {p.stem: p for p in folder.iterdir()
             if p.suffix == ".ipynb" and lkind(p) != "a folder"}
    extra = sorted(set(found) - set(expected))
    missing = [n for n in expected if n not in found]
    units = []
    for name in expected:
        if name in found:
            units.append(Unit(student, folder.name, name, str(found[name])))
        elif len(missing) == 1 and len(extra) == 1:  # renamed: the one unexpected notebook
            units.append(Unit(student, folder.name, name, str(found[extra[0]]),
                              f"renamed: graded {shown(extra[0])}.ipynb as {name}.ipynb"))
            extra = []
        else:
            units.append(Unit(student, folder.name, name, None))
    for name in extra:
        log(f"ignored {shown(folder / (name + '.ipynb'))}: not a notebook of {folder.name}")
    return units


# ----------------------------------------------------------------------------- one notebook

_SPECS = {}  # (course, assignment, notebook) -> (the files' stamp, the spec)


def _stamp(course, assignment, notebook):
    """Size and modification time of a notebook's source and release (None if one is missing)."""
    try:
        return tuple((s.st_size, s.st_mtime_ns) for s in (
            (course.path / part / assignment / f"{notebook}.ipynb").stat()
            for part in ("source", "release")))
    except OSError:
        return None


def _spec(course, assignment, notebook):
    """The notebook's grading spec, read once per process while its files stay the same: 05's
    takes a second or two (megabytes of hidden cases), and a worker forked after grade_class
    has read the specs (and encoded their job keys) inherits them."""
    key, stamp = (str(course.path), assignment, notebook), _stamp(course, assignment, notebook)
    if stamp is None or _SPECS.get(key, (None,))[0] != stamp:
        _SPECS[key] = (stamp, course.spec(assignment, notebook))
    return _SPECS[key][1]


def read_submission(unit):
    """(bytes, None) of the unit's notebook, (None, why it is refused), or (None, None) when it
    is missing. Read once, never through a link, at most MAX_NOTEBOOK bytes."""
    if unit.refused:
        return None, unit.refused
    if unit.path is None:
        return None, None
    path = Path(unit.path)
    root = path.parents[2]  # SUBMITTED/<student>/<assignment>/<notebook>
    try:
        return read_below(root, path.relative_to(root), MAX_NOTEBOOK), None
    except Refused as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"{path.name} cannot be read ({exc.strerror})"


def content(submission):
    """The bytes that decide a submission's result: the file, or why it was refused."""
    data, refused = submission
    return data if data is not None else f"refused: {refused or ''}".encode()


MAX_VALUES = 1_000_000  # JSON objects and arrays in one notebook: a parsed {} costs 64 bytes


def _parse_student(raw, name):
    """The student's notebook (bytes) as a dict, or raise ValueError saying why it is not one."""
    if raw.count(b"{") + raw.count(b"[") > MAX_VALUES:  # bounds what parsing it can cost
        raise ValueError(f"{name} holds more than {MAX_VALUES:,} JSON objects and lists, far more "
                         f"than a notebook has; download it again from JupyterLab (File > "
                         f"Download)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{name} is not a notebook (not valid JSON: {str(exc)[:200]}); "
                         f"download it again from JupyterLab (File > Download)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError(f"{name} is JSON but not a notebook (it has no list of "
                         f"cells); download it again from JupyterLab (File > Download)")
    if data.get("nbformat") == 4:
        return data
    try:
        return nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as exc:
        raise ValueError(f"{name} is not a notebook nbformat can read ({str(exc)[:200]}); "
                         f"download it again from JupyterLab (File > Download)") from None


@functools.lru_cache(maxsize=1)
def _importable():
    """Top-level names the kernel can import from its Python (standard library, installed
    packages, the course's helpers in src/ and `given`): a student's file or folder of one of
    these names would stand in for it."""
    paths = {sysconfig.get_paths()[k] for k in ("purelib", "platlib", "stdlib", "platstdlib")}
    paths.add(str(REPO / "src"))  # installed in editable mode: not a folder in site-packages
    names = {m.name for m in pkgutil.iter_modules(sorted(p for p in paths if os.path.isdir(p)))}
    return frozenset(names | set(sys.stdlib_module_names) | set(sys.builtin_module_names)
                     | {"given"})


def _shadows(parts, release_names):
    """Why the student's file at relative path `parts` may not reach the kernel, or None: it
    would be imported instead of a release file, the course's helpers or an installed module."""
    if "__pycache__" in parts or parts[-1].endswith((".pyc", ".pyo")):
        return "compiled Python, which Python could load instead of a release file"
    module = parts[0].split(".")[0]
    importable = len(parts) > 1 or parts[0].endswith(tuple(importlib.machinery.all_suffixes()))
    if importable and module in release_names:   # never "rename it": the name is the course's
        return f"it has the name of the course's module {module!r}, which the notebooks import"
    if importable and module in _importable():
        return f"it would hide the module {module!r} that the notebook imports; rename it"
    return None


def _course_copy(root, relative, course_files):
    """True if the student's file root/relative holds the same bytes as one of `course_files`."""
    try:
        data = read_below(root, relative, MAX_FILE)
    except (Refused, OSError):
        return False
    return any(src.stat().st_size == len(data) and src.read_bytes() == data
               for src in course_files)


def student_files(unit, spec):
    """([(relative path, bytes)] of the student's files the kernel may see, [each other file
    and why it is left out]).

    Nothing is read through a link or from a special file, and nothing the student put beside
    the notebook can stand in for a release file or a module the notebook imports."""
    # Every assignment's files are the course's: a later release's given.py is not the student's.
    course = spec.release_dir.parents[1]
    copies = {}  # a course file's path inside its assignment -> the course's files at that path
    for part in ("source", "release"):
        for src in (course / part).rglob("*"):
            if src.is_file() and src.suffix != ".ipynb":
                copies.setdefault(Path(*src.relative_to(course / part).parts[1:]), []).append(src)
    release_names = {rel.parts[0].split(".")[0] for rel in copies}
    files, skipped = [], []
    if unit.path:
        count, total = 0, 0
        path = Path(unit.path)
        root = path.parents[2]
        base = path.parent.relative_to(root)
        for rel, refusal in plain_files(root, base):
            parts = Path(rel).parts
            if rel.endswith(".ipynb") or ".ipynb_checkpoints" in parts:
                continue
            why = refusal and f"{refusal}, not a plain file"
            if why is None and Path(rel) in copies:
                # `nbgrader submit` sends the whole release folder: the course's own files come
                # back unchanged, and the release's copy is used whatever the student sent
                same = _course_copy(root, base / rel, copies[Path(rel)])
                if same or (spec.release_dir / rel).is_file():
                    if not same:
                        skipped.append(f"{shown(rel)} (your changed copy of the course's file; "
                                       f"the release's own {shown(rel)} was used)")
                    continue
            why = why or _shadows(parts, release_names)
            count += why is None
            if why is None and count > MAX_FILES[0]:
                why = f"beyond the first {MAX_FILES[0]} files"
            if why is None:
                try:
                    data = read_below(root, base / rel, MAX_FILE)
                except (Refused, OSError) as exc:
                    why = str(exc)
            if why is None and total + len(data) > MAX_FILES[1]:
                why = f"beyond {MAX_FILES[1] >> 20} MiB in all"
            if why:
                skipped.append(f"{shown(rel)} ({why})")  # a name the student chose
                continue
            total += len(data)
            files.append((rel, data))
    return files, skipped


def _stage(unit, spec, folder, files=None):
    """Fill `folder` with what the kernel sees: the student's plain files (student_files(unit,
    spec), read here if None), then the release's, which always win. Returns notes on the
    student's files left out and why."""
    files, skipped = student_files(unit, spec) if files is None else files
    for rel, data in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    for src in sorted(spec.release_dir.rglob("*")):
        if not src.is_file() or src.suffix == ".ipynb":
            continue
        rel = src.relative_to(spec.release_dir)
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        if (folder / rel).is_dir():
            shutil.rmtree(folder / rel)
        shutil.copyfile(src, folder / rel)
    if not skipped:
        return []
    return [f"not given to your notebook: {'; '.join(skipped[:5])}"
            f"{f' and {len(skipped) - 5} more' if len(skipped) > 5 else ''}"]


def grade_unit(unit, course, limits, submission=None, files=None):
    """Grade one notebook; return its result as a JSON-able dict (never raises for a student).

    `submission` is read_submission(unit), read once by the caller (read here if None);
    `files` is student_files(unit, spec) (read here if None)."""
    start = time.monotonic()
    spec = _spec(course, unit.assignment, unit.notebook)
    data, refused = read_submission(unit) if submission is None else submission
    flags, notes = [], [unit.note] if unit.note else []
    if unit.note:
        flags.append("renamed")
    executed, seconds = None, 0.0
    if refused:
        reason = f"refused: {refused}"
        flags.append("refused")
        notes.append(reason)
        verdicts = _all_failed(spec, reason)
    elif data is None:
        reason = f"{unit.notebook}.ipynb was not submitted"
        flags.append("missing")
        verdicts = _all_failed(spec, reason)
    else:
        try:
            student = _parse_student(data, Path(unit.path).name)
        except ValueError as exc:
            student, reason = None, f"the notebook could not be read: {exc}"
            flags.append("unreadable")
            verdicts = _all_failed(spec, reason)
        if student is not None:
            nb, assembly_notes = assemble(student, spec)
            notes += assembly_notes
            if any("restored" in n or "metadata" in n or "more than once" in n
                   for n in assembly_notes):
                flags.append("tampered")
            with tempfile.TemporaryDirectory(prefix="autograder-stage-") as folder:
                notes += _stage(unit, spec, Path(folder), files)
                result = run_notebook(nb, folder, limits)
                retry = None
                if judged(result, spec)[0] is None:
                    # Judge the functions anyway, in a fresh kernel without the other cells.
                    if not result.failure:
                        flags.append("tampered")
                        notes.append("the notebook interfered with the grader's final cell")
                    retry = run_notebook(judge_only(nb, spec, call_seconds(limits.timeout)),
                                         folder, limits)
                    notes.append("your graded functions were run again in a fresh kernel "
                                 "without your other cells: " + (retry.failure or "that worked"))
            seconds = result.seconds + (retry.seconds if retry else 0.0)
            verdicts = judge(spec, result, retry)
            executed = result.nb
            if result.failure:
                notes.append(result.failure)
                flags.append("output-truncated" if result.oversized else "timeout"
                             if "time limit" in result.failure else "kernel-died"
                             if "died" in result.failure else "kernel-failed")
            if result.truncated:
                flags.append("output-truncated")
            if not result.sandboxed:
                flags.append("no-sandbox")
            flags += [f"disagrees:{v.grade_id}" for v in verdicts if not v.kernel_agrees]
    flags = list(dict.fromkeys(flags))
    return {"unit": asdict(unit), "verdicts": [asdict(v) for v in verdicts], "flags": flags,
            "notes": notes, "kernel_seconds": round(seconds, 3),
            "seconds": round(time.monotonic() - start, 3),
            "executed": executed, "course_text": _course_text(spec)}


def _course_text(spec):
    """The release's Markdown: the text whose formulas the feedback page typesets."""
    return [c.source for c in spec.release.cells if c.cell_type == "markdown"]


def _all_failed(spec, reason):
    return [Verdict(t.grade_id, 0.0, t.points, f"failed: {reason}") for t in spec.tests]


def _work(unit, course_path, db_url, limits, out):
    """A worker's job: every step the grader takes with one student's notebook (read,
    fingerprint, stage, run, parse, judge, render feedback, store). An exception in any of them
    costs this notebook only: its result says `grader-error` and why, and is stored like any
    other (a rerun skips it unless --retry-errors or --force). Returns the stored result."""
    step = "confining the worker"
    try:
        cgroup.confine_worker()
        step = "loading the course"
        course = Course(course_path, db_url)
        step = "reading the notebook"
        submission = read_submission(unit)
        step = "fingerprinting it"
        digest = fingerprint(unit, course, content(submission))
        step = "grading it"
        result = grade_unit(unit, course, limits, submission)
        result["fingerprint"] = digest
        step = "storing the result"
        store(out, unit, result)
        return result
    except Exception as exc:  # a grader bug must cost this notebook only, and say so
        return grader_error(unit, course_path, db_url, out,
                            f"{type(exc).__name__}: {str(exc)[:300]}, while {step}")


def store(out, unit, result):
    """Write the feedback page, the executed notebook and the result (without the notebook)."""
    write_result(out, unit, result, *rendered(result))


def rendered(result):
    """(feedback page, the executed notebook as stored or None) of a graded result, whose
    "executed" notebook it removes."""
    executed = result.pop("executed", None)
    course_text = result.pop("course_text", ())
    page = _feedback_page(result, executed, course_text)
    if executed is None:
        return page, None
    # what formgrader opens: only what cannot run or load anything
    executed.cells = [c for c in executed.cells if not c.metadata.get("autograder")]
    return page, nbformat.writes(sanitize_notebook(executed))


def write_result(out, unit, result, page, notebook):
    """Store one notebook's outcome under OUT, each file atomically, the result last."""
    atomic_write(Path(out) / "feedback" / unit.student / unit.assignment / f"{unit.notebook}.html",
                 page)
    path = result_path(out, unit).with_suffix(".ipynb")
    if notebook is not None:
        atomic_write(path, notebook)
    else:  # never an earlier run's notebook for this result
        path.unlink(missing_ok=True)
    atomic_write(result_path(out, unit), json.dumps(result, indent=1))


def _feedback_page(result, executed, course_text=()):
    """The feedback page; without the notebook if rendering it fails (the scores stand)."""
    try:
        return render_feedback(result, executed, course_text)
    except Exception as exc:
        result["flags"] = list(dict.fromkeys(result["flags"] + ["grader-error"]))
        result["notes"].append(f"the grader could not render your notebook on this page "
                               f"({type(exc).__name__}: {str(exc)[:200]}); the scores stand")
        return render_feedback(result, None)


def grader_error(unit, course_path, db_url, out, reason):
    """The result of a notebook the grader itself failed on: every test cell 0 with the reason,
    flag `grader-error`, stored with its fingerprint when that can be computed. Never raises."""
    reason = f"the grader failed on this notebook ({reason}); tell the instructor"
    result = {"unit": asdict(unit), "verdicts": [], "flags": ["grader-error"], "notes": [reason],
              "kernel_seconds": 0.0, "seconds": 0.0, "fingerprint": None}
    try:
        course = Course(course_path, db_url)
        spec = _spec(course, unit.assignment, unit.notebook)
        result["verdicts"] = [asdict(v) for v in _all_failed(spec, reason)]
        result["fingerprint"] = fingerprint(unit, course, content(read_submission(unit)))
    except Exception:  # unknown: the next run grades it again
        pass
    try:
        store(out, unit, result)
    except Exception:
        pass
    return result


# ----------------------------------------------------------------------------- the class

def progress_bar(total, quiet=False):
    """The class's one progress bar (tqdm) on stderr: notebooks done, elapsed time, ETA."""
    return tqdm(total=total, unit="notebook", file=sys.stderr, disable=quiet, dynamic_ncols=True,
                bar_format="{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} notebooks "
                           "[{elapsed} elapsed, ETA {remaining}]{postfix}")


def grade_class(submitted, out, course=COURSE, jobs=None, limits=Limits(), force=False,
                db_url=None, gradebook=True, quiet=False, retry_errors=False, run=None):
    """Grade every notebook under `submitted` into `out`; return the list of results.

    `run` grades the units (as _run_all, the local pool, does): a Dask cluster's
    (autograder.engine.cluster), whose workers check their own sandbox."""
    submitted, out = Path(submitted), Path(out)
    if not submitted.is_dir():
        raise InstructorError(f"{submitted} is not a folder of submissions "
                              f"(<student_id>/<assignment>/<notebook>.ipynb)")
    course = Course(course, db_url)
    for assignment, names in course.notebooks.items():  # fail now, not in a worker
        for name in names:
            spec_jobs(_spec(course, assignment, name))  # read once here: forked workers inherit them
    out.mkdir(parents=True, exist_ok=True)
    log_lines = []

    def log(line):
        log_lines.append(line)

    local = run is None
    run = run or _run_all
    status = sandbox_status() if local else None  # a cluster's workers refuse without it
    if status and not quiet:
        print("!" * 78 + f"\nWARNING: student code will NOT be sandboxed: {status}.\n"
              "Only CPU, memory, file-size and process limits apply: student code can read and "
              "write\nwhatever this user can (solutions, the gradebook, other submissions).\n"
              + "!" * 78, file=sys.stderr, flush=True)
    memory = cgroup.status() if local else None
    if memory and not quiet:
        print("!" * 78 + f"\nWARNING: no memory cgroup for the notebooks: {memory}.\nThe memory "
              f"limit ({limits.memory / 2**30:g} GiB) then holds per process, not for all of a "
              f"notebook's processes together.\n" + "!" * 78, file=sys.stderr, flush=True)
    units = discover(submitted, course, log)
    results, todo = {}, []
    for unit in units:
        stored = None if force else _stored(out, unit, course, retry_errors)
        if stored is None:
            todo.append(unit)
        else:
            results[unit.key] = stored
    self_check(course, sorted({(u.assignment, u.notebook) for u in todo if u.path}), limits,
               jobs, quiet, run)
    if results and not quiet:
        print(f"{len(results)} notebooks already graded (use --force to regrade, --retry-errors "
              f"for grader errors); grading {len(todo)}", file=sys.stderr)
    jobs = jobs or os.cpu_count() or 1
    progress = progress_bar(len(todo), quiet)
    try:
        with open(out / "grading.log", "a") as timing:
            where = (f"with {jobs} jobs; sandbox: {status or 'bubblewrap'}; memory: "
                     f"{memory or 'one cgroup per notebook'}" if local else run.where)
            timing.write(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} grading {len(todo)} notebooks "
                         f"{where}\n")
            for line in log_lines:
                timing.write(line + "\n")
            for result in run(todo, course, limits, out, jobs):
                unit = Unit(**result["unit"])
                results[unit.key] = result
                outcome = ", ".join(result["flags"]) or "ok"
                timing.write(f"{unit.key}\t{result['seconds']:.2f} s\t(kernel "
                             f"{result['kernel_seconds']:.2f} s)\t{_score(result):g}/"
                             f"{_max(result):g}\t{outcome}\n")
                timing.flush()
                progress.set_postfix_str(unit.key[:40], refresh=False)
                progress.update()
    finally:  # whatever stopped the run, everyone graded so far gets their tables and grades
        progress.close()
        cgroup.remove_worker_groups()
        ordered = [results[u.key] for u in units if u.key in results]
        write_tables(ordered, out)
        if gradebook:
            problems = write_gradebook(ordered, course, out, submitted)
            with open(out / "grading.log", "a") as timing:
                timing.writelines(line + "\n" for line in problems)
    return ordered


SELF_CHECK = "_reference"  # the student of the self-check's units


def self_check(course, notebooks, limits, jobs=None, quiet=True, run=None):
    """Grade the reference solution (the source notebook) of each (assignment, notebook) in
    the sandbox, as a student's; raise InstructorError saying what to fix unless each gets full
    marks with no flag. A pass is remembered in <course>/.autograder-self-check.json for the
    same course, grader and environment, so a class is checked once, not on every run."""
    cache_path = course.path / ".autograder-self-check.json"
    try:
        cache = json.loads(cache_path.read_text())
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    env = _environment_fingerprint()
    keys = {f"{a}/{n}": hashlib.sha256((env + course.fingerprint(a, n)).encode()).hexdigest()
            for a, n in notebooks}
    todo = [(a, n) for a, n in notebooks if cache.get(f"{a}/{n}") != keys[f"{a}/{n}"]]
    if not todo:
        return
    if not quiet:
        print(f"self-check: grading the reference solutions of {len(todo)} notebooks in the "
              f"sandbox", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="autograder-self-check-") as tmp:
        units = [_reference_submission(course, a, n, Path(tmp)) for a, n in todo]
        results = list((run or _run_all)(units, course, limits, Path(tmp) / "out",
                                         jobs or os.cpu_count() or 1))
    problems = []
    for r in results:
        key = f"{r['unit']['assignment']}/{r['unit']['notebook']}"
        if _score(r) == _max(r) > 0 and set(r["flags"]) <= {"no-sandbox"}:  # warned already
            cache[key] = keys[key]
            continue
        failed = next((v["status"] for v in r["verdicts"] if v["status"] != "passed"), "")
        problems.append(f"the reference solution of {key} scored {_score(r):g}/{_max(r):g}"
                        f"{' (flags: ' + ', '.join(r['flags']) + ')' if r['flags'] else ''}"
                        f"{': ' + failed[:400] if failed else ''}")
    try:
        atomic_write(cache_path, json.dumps(cache, indent=1))
    except OSError:
        pass
    if problems:
        raise InstructorError("the grader's self-check failed, so nothing was graded (every "
                              "student would be marked down for the set-up):\n  "
                              + "\n  ".join(problems) + "\n" + _setup_hint())


def _reference_submission(course, assignment, notebook, tmp):
    """A Unit of what a student with the reference answers submits: the release notebook with
    each solution cell's source taken from the source notebook."""
    source = nbformat.read(course.path / "source" / assignment / f"{notebook}.ipynb", 4)
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(course.path / "release" / assignment / f"{notebook}.ipynb", 4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    path = tmp / "submitted" / SELF_CHECK / assignment / f"{notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return Unit(SELF_CHECK, assignment, notebook, str(path))


def _tfcourse_dir():
    spec = importlib.util.find_spec("tfcourse")
    return Path(spec.origin).resolve().parent if spec and spec.origin else None


def _environment_fingerprint():
    """What the self-check's verdict depends on besides the course: grader, Python, helpers."""
    digest = hashlib.sha256(f"{GRADER_VERSION}|{sys.executable}|{_tfcourse_dir()}|"
                            f"{sandbox_status()}".encode())
    for folder in (REPO / "src" / "tfcourse", REPO / "data"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _setup_hint():
    """What to fix when the reference solutions do not pass in the sandbox."""
    found, wanted = _tfcourse_dir(), REPO / "src" / "tfcourse"
    if found != wanted:
        return (f"This Python ({sys.executable}) imports tfcourse from {found}, but the sandbox "
                f"gives kernels {wanted} only: install this checkout into the environment "
                f"that grades (`{sys.executable} -m pip install -e {REPO}`), then grade again.")
    return ("Check that the course is built from this checkout (python -m autograder build), "
            "that bubblewrap works (tests/test_sandbox.py), and the kernel's error in the "
            "status above.")


def _stored(out, unit, course, retry_errors):
    """The stored result of `unit` still valid for its file, or None (never raises)."""
    try:
        stored = stored_result(out, unit, course, content(read_submission(unit)))
    except Exception:
        return None
    if stored is None or (retry_errors and "grader-error" in stored["flags"]):
        return None
    return stored


WORKER_GRACE = 300  # seconds a worker may take per notebook beyond three times --timeout


def _budget(limits):
    """Seconds a worker may spend on one notebook (two kernel runs, feedback, storing)."""
    return 3 * limits.timeout + WORKER_GRACE


def _run_all(todo, course, limits, out, jobs):
    """Yield each unit's result as it finishes, graded by a pool of `jobs` worker processes.

    A worker that dies (the kernel's OOM killer, a crash in a library) or overruns its time
    budget breaks the pool: it is rebuilt, and the notebooks that were in flight are graded
    again one at a time, so that the one that kills a worker alone costs only itself."""
    args = (str(course.path), course.db_url, limits, str(out))
    pending = list(todo)
    while pending:
        lost = yield from _pool_pass(pending, jobs, args, _budget(limits))
        for unit in lost:
            again = yield from _pool_pass([unit], 1, args, _budget(limits))
            if again:
                yield grader_error(unit, *args[:2], str(out), again[unit])


def _pool_pass(pending, jobs, args, budget):
    """Grade units from `pending` (consumed in place) until it is empty or the pool breaks;
    yield each result; return {unit: what happened} of the units in flight when it broke."""
    lost, running, workers = {}, {}, {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        while pending or running:
            while pending and len(running) < jobs and not lost:
                unit = pending.pop(0)
                try:
                    running[pool.submit(_work, unit, *args)] = (unit, time.monotonic())
                except BrokenProcessPool:
                    pending.insert(0, unit)
                    break
            workers.update(getattr(pool, "_processes", None) or {})
            done, _ = wait(running, timeout=2, return_when=FIRST_COMPLETED)
            for future in done:
                unit, _ = running.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    lost[unit] = None  # said below, once the dead worker's exit code is known
                except Exception as exc:  # the result could not come back
                    yield grader_error(unit, *args[:2], args[3], f"{type(exc).__name__}: "
                                       f"{str(exc)[:300]}, while returning the result")
            now = time.monotonic()
            late = [f for f, (_, started) in running.items() if now - started > budget]
            for future in late:
                lost[running.pop(future)[0]] = f"the grader spent more than {budget:g} s on it"
            if lost:  # the pool is broken or must be: stop its workers, keep what was in flight
                for worker in workers.values():
                    worker.kill()
                for unit, _ in running.values():
                    lost.setdefault(unit, "the worker grading it was stopped")
                running.clear()
                break
    for worker in workers.values():
        worker.join(timeout=10)
    codes = sorted({w.exitcode for w in workers.values() if w.exitcode}, key=abs, reverse=True)
    died = (f"the grader's worker process died while grading it (exit code "
            f"{', '.join(map(str, codes)) or 'unknown'}; a negative code is the signal that "
            f"ended it, -9 often the out-of-memory killer)")
    return {unit: why or died for unit, why in lost.items()}


def _score(result):
    return sum(v["score"] for v in result["verdicts"])


def _max(result):
    return sum(v["max_score"] for v in result["verdicts"])


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text):
    """`text` safe to print in a terminal or a table: one line, every control character (escape
    codes, carriage returns, bidi overrides) shown as its code. A status quotes student text."""
    return _CONTROL.sub(lambda m: "\\n" if m[0] == "\n" else f"\\x{ord(m[0]):02x}"
                        if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def write_tables(results, out):
    """grades.csv and summary.csv, rows sorted by student, assignment and cell order."""
    grades = io.StringIO()
    w = csv.writer(grades, lineterminator="\n")
    w.writerow(["student_id", "assignment", "grade_id", "score", "max_score", "status"])
    per = {}
    for r in results:
        u = r["unit"]
        for v in r["verdicts"]:
            w.writerow([u["student"], u["assignment"], v["grade_id"], f"{v['score']:g}",
                        f"{v['max_score']:g}", one_line(v["status"])])
        key = (u["student"], u["assignment"])
        score, top, flags = per.get(key, (0.0, 0.0, []))
        per[key] = (score + _score(r), top + _max(r), flags + [f for f in r["flags"]
                                                               if f not in flags])
    summary = io.StringIO()
    w = csv.writer(summary, lineterminator="\n")
    w.writerow(["student_id", "assignment", "score", "max_score", "flags"])
    for (student, assignment), (score, top, flags) in per.items():
        w.writerow([student, assignment, f"{score:g}", f"{top:g}", ";".join(flags)])
    atomic_write(Path(out) / "grades.csv", grades.getvalue())
    atomic_write(Path(out) / "summary.csv", summary.getvalue())


def write_gradebook(results, course, out, submitted):
    """Record the trusted scores in nbgrader's gradebook and the notebooks under autograded/.

    Returns a line for each student whose scores could not be recorded (the others are);
    raises InstructorError when the gradebook itself is unusable."""
    import warnings
    from nbgrader.api import Gradebook, MissingEntry
    config = records.course_config(course.path)
    problems = []
    try:
        with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
            warnings.simplefilter("ignore")  # SQLAlchemy's notes on nbgrader's own session use
            for r in results:
                u = r["unit"]
                try:
                    gb.find_assignment(u["assignment"])
                except MissingEntry:
                    raise InstructorError(f"the gradebook {course.db_url} has no assignment "
                                          f"{u['assignment']!r}: run nbgrader generate_assignment "
                                          f"(python -m autograder build)") from None
                try:
                    _record(gb, r, course, out, config, submitted)
                except Exception as exc:
                    gb.db.rollback()
                    problems.append(f"gradebook: could not record {Unit(**u).key}: "
                                    f"{type(exc).__name__}: {str(exc)[:300]}")
    except InstructorError:
        raise
    except Exception as exc:
        raise InstructorError(f"could not write the gradebook {course.db_url}: {exc}") from exc
    return problems


def _record(gb, r, course, out, config, submitted):
    """One notebook's scores into the gradebook; its executed notebook (or, if none could run,
    the release's under a note saying why), stamps and feedback page into autograded/."""
    u = r["unit"]
    gb.update_or_create_student(u["student"])
    stamps = records.submission_stamps(submitted, u["student"], u["assignment"])
    # formgrader counts a submission graded only if this equals its timestamp.txt
    submission = gb.update_or_create_submission(
        u["assignment"], u["student"], timestamp=records.submission_timestamp(stamps))
    for v in r["verdicts"]:
        grade = gb.find_grade(v["grade_id"], u["notebook"], u["assignment"], u["student"])
        grade.auto_score = v["score"]
        grade.needs_manual_grade = grade.manual_score is not None
    gb.find_submission_notebook(u["notebook"], u["assignment"],
                                u["student"]).late_submission_penalty = None
    gb.db.commit()
    if submission.total_seconds_late > 0:  # by the course's method, as nbgrader does
        records.assign_late_penalty(config, course.db_url, u["student"], u["assignment"],
                                    u["notebook"])
    executed = result_path(out, Unit(**u)).with_suffix(".ipynb")
    reason = next((v["status"].removeprefix("failed: ") for v in r["verdicts"]
                   if v["status"] != "passed"), "; ".join(r["notes"]) or "nothing could be run")
    records.write_autograded(course.path, u["student"], u["assignment"], u["notebook"],
                             executed if executed.is_file() else None,
                             Path(out) / "feedback" / u["student"] / u["assignment"]
                             / f"{u['notebook']}.html", stamps, reason)


# ----------------------------------------------------------------------------- commands

def check_notebook(path, course=COURSE, limits=Limits(), stream=None):
    """Grade one notebook for a self-study learner; print what passed and failed. Returns result."""
    path = Path(path)
    if not path.is_file():
        raise InstructorError(f"{path} does not exist")
    course = Course(course)
    name = path.stem
    assignment = next((a for a, names in course.notebooks.items() if name in names), None)
    if assignment is None:
        raise InstructorError(f"{path.name} is not a notebook of the course; expected one of "
                              f"{', '.join(n + '.ipynb' for ns in course.notebooks.values() for n in ns)}")
    stream = stream or sys.stdout
    status = sandbox_status()
    if status:
        print(f"WARNING: not sandboxed ({status})", file=sys.stderr)
    unit = Unit("you", assignment, name, str(path))
    result = grade_unit(unit, course, limits, (path.read_bytes(), None))
    for v in result["verdicts"]:
        mark = "PASS" if v["status"] == "passed" else "FAIL"
        reason = "" if v["status"] == "passed" else "\n    " + v["status"].removeprefix(
            "failed: ").replace("\n", "\n    ")
        print(f"{mark}  {v['grade_id']}  {v['score']:g}/{v['max_score']:g}{reason}", file=stream)
    for note in result["notes"]:
        print(f"note: {note}", file=stream)
    print(f"Score: {_score(result):g} / {_max(result):g}", file=stream)
    return result


def main(argv=None):
    """`python -m autograder grade ...`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m autograder grade",
                                     description="Grade a class's submissions, each in a sandbox.")
    parser.add_argument("submitted", help="folder of <student_id>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", required=True, help="where grades.csv, summary.csv, feedback/ go")
    parser.add_argument("--jobs", type=int, default=None, help="parallel kernels (default: cores)")
    parser.add_argument("--timeout", type=float, default=Limits.timeout,
                        help="seconds each notebook may run (default %(default)s)")
    parser.add_argument("--force", action="store_true", help="regrade notebooks already graded")
    parser.add_argument("--retry-errors", action="store_true",
                        help="regrade notebooks whose stored result is a grader error")
    parser.add_argument("--course", help="the nbgrader course folder (required)")
    parser.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER_ADDRESS") or None,
                        help="grade on the Dask cluster of this scheduler (tcp://HOST:8786; "
                             "default $DASK_SCHEDULER_ADDRESS); without it, on this machine")
    parser.add_argument("--allow-no-sandbox", action="store_true",
                        help="let cluster workers without bubblewrap grade, unsandboxed")
    args = parser.parse_args(argv)
    try:
        check_grade_args(args.submitted, args.course)
        if args.jobs is not None and args.jobs < 1:
            raise InstructorError(f"--jobs: expected an integer >= 1, got {args.jobs}")
        options = dict(limits=Limits(timeout=args.timeout), force=args.force,
                       retry_errors=args.retry_errors)
        if args.scheduler:
            if args.jobs is not None:
                raise InstructorError("--jobs sets this machine's pool; on a cluster each "
                                      "worker grades one notebook at a time (start more)")
            from autograder.engine import cluster
            results = cluster.grade_class(args.submitted, args.out, args.course, args.scheduler,
                                          args.allow_no_sandbox, **options)
        else:
            results = grade_class(args.submitted, args.out, args.course, args.jobs, **options)
    except (InstructorError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(class_table(results))
    print(f"\ngraded {len(results)} notebooks into {args.out}: grades.csv, summary.csv, "
          f"feedback/, grading.log")
    return 0


def class_table(results):
    """The score table of graded results: students by assignments, then each one's flags."""
    points, tops, flags = {}, {}, {}
    for r in results:
        u = r["unit"]
        mine = points.setdefault(u["student"], {})
        mine[u["assignment"]] = mine.get(u["assignment"], 0.0) + _score(r)
        key = (u["student"], u["assignment"])
        tops[key] = tops.get(key, 0.0) + _max(r)
        flags.setdefault(u["student"], set()).update(r["flags"])
    maxima = {}
    for (_, assignment), top in tops.items():
        maxima[assignment] = max(maxima.get(assignment, 0.0), top)
    marked = [f"{s}: {', '.join(sorted(f))}" for s, f in sorted(flags.items()) if f]
    return score_table(points, maxima) + (
        "\nflags (see summary.csv): " + "; ".join(marked) if marked else "")


def score_table(points, maxima):
    """One row per student, one column per assignment, then the total; a legend of the ids.

    points: {student: {assignment: score}} ("-" where a student submitted nothing);
    maxima: {assignment: max score}."""
    ids = sorted(maxima)
    rows = [["student"] + [a[:2] for a in ids] + ["total"]]
    for student in sorted(points):
        got = points[student]
        rows.append([student] + [f"{got[a]:g}/{maxima[a]:g}" if a in got else "-" for a in ids]
                    + [f"{sum(got.values()):g}/{sum(maxima.values()):g}"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in
                       enumerate(zip(row, widths))) for row in rows]
    legend = "  ".join(f"{a[:2]}={a}" for a in ids)
    return "\n".join(lines[:1] + ["-" * len(lines[0])] + lines[1:] + ["", legend])


def check_main(argv=None):
    """`python -m autograder check NOTEBOOK`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m autograder check",
                                     description="Grade one notebook of yours; say what is wrong.")
    parser.add_argument("notebook")
    parser.add_argument("--course", default=str(COURSE), help="the nbgrader course folder")
    parser.add_argument("--timeout", type=float, default=Limits.timeout)
    args = parser.parse_args(argv)
    try:
        check_course(args.course)
        check_notebook(args.notebook, args.course, Limits(timeout=args.timeout))
    except (InstructorError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
