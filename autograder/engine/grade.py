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
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from autograder.engine import cgroup, records
from autograder.engine.feedback import render_feedback
from autograder.engine.sanitize import sanitize_notebook
from autograder.engine.judge import (InstructorError, Verdict, assemble, judge, judge_only,
                                     judged, load_spec)
from autograder.engine.sandbox import Limits, run_notebook, sandbox_status
from autograder.engine.store import atomic_write, fingerprint, result_path, stored_result
from autograder.instructor import check_course, check_grade_args

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "build" / "course"
GRADER_VERSION = "1"  # bump when grading changes, so stored results are regraded
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

def discover(submitted, course, log):
    """The Units of a submissions folder; anything unexpected is logged, never fatal."""
    submitted = Path(submitted)
    units = []
    for student in sorted(p for p in submitted.iterdir()):
        if not student.is_dir():
            log(f"ignored {student}: not a student folder")
            continue
        for folder in sorted(student.iterdir()):
            if folder.name not in course.notebooks or not folder.is_dir():
                log(f"ignored {folder}: not an assignment of the course "
                    f"({', '.join(course.notebooks)})")
                continue
            units += _units(student.name, folder, course.notebooks[folder.name], log)
    return units


def _units(student, folder, expected, log):
    found = {p.stem: p for p in folder.glob("*.ipynb") if p.is_file()}
    extra = sorted(set(found) - set(expected))
    missing = [n for n in expected if n not in found]
    units = []
    for name in expected:
        if name in found:
            units.append(Unit(student, folder.name, name, str(found[name])))
        elif len(missing) == 1 and len(extra) == 1:  # renamed: the one unexpected notebook
            units.append(Unit(student, folder.name, name, str(found[extra[0]]),
                              f"renamed: graded {extra[0]}.ipynb as {name}.ipynb"))
            extra = []
        else:
            units.append(Unit(student, folder.name, name, None))
    for name in extra:
        log(f"ignored {folder / (name + '.ipynb')}: not a notebook of {folder.name}")
    return units


# ----------------------------------------------------------------------------- one notebook

_SPECS = {}


def _spec(course, assignment, notebook):
    key = (str(course.path), assignment, notebook)
    if key not in _SPECS:
        _SPECS[key] = course.spec(assignment, notebook)
    return _SPECS[key]


def _read_student(path):
    """The student's notebook as a dict, or raise ValueError saying why it cannot be read."""
    raw = Path(path).read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{Path(path).name} is not a notebook (not valid JSON: {exc}); "
                         f"download it again from JupyterLab (File > Download)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError(f"{Path(path).name} is JSON but not a notebook (it has no list of "
                         f"cells); download it again from JupyterLab (File > Download)")
    if data.get("nbformat") == 4:
        return data
    try:
        return nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as exc:
        raise ValueError(f"{Path(path).name} is not a notebook nbformat can read ({exc}); "
                         f"download it again from JupyterLab (File > Download)") from None


def _stage(unit, spec, folder):
    """Fill `folder` with what the kernel sees: the student's files, then the release's.

    Returns notes on the student's files left out (links, notebooks and anything too big)."""
    skipped = []
    if unit.path:
        count, total = 0, 0
        base = Path(unit.path).parent
        for src in sorted(base.rglob("*")):
            rel = src.relative_to(base)
            if src.is_dir() or src.suffix == ".ipynb" or ".ipynb_checkpoints" in rel.parts:
                continue
            size = src.stat().st_size if src.is_file() and not src.is_symlink() else None
            count, total = count + 1, total + (size or 0)
            if size is None or size > MAX_FILE or count > MAX_FILES[0] or total > MAX_FILES[1]:
                skipped.append(str(rel))
                continue
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, folder / rel)
    for src in spec.release_dir.rglob("*"):
        rel = src.relative_to(spec.release_dir)
        if src.is_file() and src.suffix != ".ipynb":
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            if (folder / rel).is_dir():
                shutil.rmtree(folder / rel)
            shutil.copyfile(src, folder / rel)
    if not skipped:
        return []
    return [f"not given to your notebook: {', '.join(skipped[:5])}"
            f"{f' and {len(skipped) - 5} more' if len(skipped) > 5 else ''} (links, files over "
            f"{MAX_FILE >> 20} MiB, or beyond {MAX_FILES[0]} files / {MAX_FILES[1] >> 20} MiB)"]


def grade_unit(unit, course, limits):
    """Grade one notebook; return its result as a JSON-able dict (never raises for a student)."""
    start = time.monotonic()
    spec = _spec(course, unit.assignment, unit.notebook)
    flags, notes = [], [unit.note] if unit.note else []
    if unit.note:
        flags.append("renamed")
    executed, seconds = None, 0.0
    if unit.path is None:
        reason = f"{unit.notebook}.ipynb was not submitted"
        flags.append("missing")
        verdicts = _all_failed(spec, reason)
    else:
        try:
            student = _read_student(unit.path)
        except (ValueError, OSError) as exc:
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
                notes += _stage(unit, spec, Path(folder))
                result = run_notebook(nb, folder, limits)
                retry = None
                if judged(result, spec)[0] is None:
                    # Judge the functions anyway, in a fresh kernel without the other cells.
                    if not result.failure:
                        flags.append("tampered")
                        notes.append("the notebook interfered with the grader's final cell")
                    retry = run_notebook(judge_only(nb, spec), folder, limits)
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
            "executed": executed}


def _all_failed(spec, reason):
    return [Verdict(t.grade_id, 0.0, t.points, f"failed: {reason}") for t in spec.tests]


def _work(unit, course_path, db_url, limits, out):
    """A worker's job: grade, write feedback and the result; return the result (no notebook)."""
    cgroup.confine_worker()
    course = Course(course_path, db_url)
    try:
        result = grade_unit(unit, course, limits)
    except Exception as exc:  # a grader bug must cost this notebook only, and say so
        reason = f"the grader failed on this notebook ({type(exc).__name__}: {exc}); tell the instructor"
        spec = _spec(course, unit.assignment, unit.notebook)
        result = {"unit": asdict(unit), "verdicts": [asdict(v) for v in _all_failed(spec, reason)],
                  "flags": ["grader-error"], "notes": [reason], "kernel_seconds": 0.0,
                  "seconds": 0.0, "executed": None}
    executed = result.pop("executed")
    result["fingerprint"] = fingerprint(unit, course)
    feedback = render_feedback(result, executed)
    atomic_write(Path(out) / "feedback" / unit.student / unit.assignment / f"{unit.notebook}.html",
                  feedback)
    if executed is not None:  # what formgrader opens: only what cannot run or load anything
        executed.cells = [c for c in executed.cells if not c.metadata.get("autograder")]
        atomic_write(result_path(out, unit).with_suffix(".ipynb"),
                     nbformat.writes(sanitize_notebook(executed)))
    atomic_write(result_path(out, unit), json.dumps(result, indent=1))
    return result


# ----------------------------------------------------------------------------- the class

class Progress:
    """A one-line progress bar with an ETA, on stderr."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.start, self.stream = total, 0, time.monotonic(), stream

    def step(self, label=""):
        self.done += 1
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        width = 30
        fill = int(width * self.done / max(self.total, 1))
        line = (f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} notebooks  "
                f"{_clock(elapsed)} elapsed  ETA {_clock(eta)}  {label[:40]:<40}")
        self.stream.write(line)
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def grade_class(submitted, out, course=COURSE, jobs=None, limits=Limits(), force=False,
                db_url=None, gradebook=True, quiet=False):
    """Grade every notebook under `submitted` into `out`; return the list of results."""
    submitted, out = Path(submitted), Path(out)
    if not submitted.is_dir():
        raise InstructorError(f"{submitted} is not a folder of submissions "
                              f"(<student_id>/<assignment>/<notebook>.ipynb)")
    course = Course(course, db_url)
    for assignment, names in course.notebooks.items():  # fail now, not in a worker
        for name in names:
            course.spec(assignment, name)
    out.mkdir(parents=True, exist_ok=True)
    log_lines = []

    def log(line):
        log_lines.append(line)

    status = sandbox_status()
    if status and not quiet:
        print("!" * 78 + f"\nWARNING: student code will NOT be sandboxed: {status}.\n"
              "Only CPU, memory, file-size and process limits apply: student code can read and "
              "write\nwhatever this user can (solutions, the gradebook, other submissions).\n"
              + "!" * 78, file=sys.stderr, flush=True)
    memory = cgroup.status()
    if memory and not quiet:
        print("!" * 78 + f"\nWARNING: no memory cgroup for the notebooks: {memory}.\nThe memory "
              f"limit ({limits.memory / 2**30:g} GiB) then holds per process, not for all of a "
              f"notebook's processes together.\n" + "!" * 78, file=sys.stderr, flush=True)
    units = discover(submitted, course, log)
    results, todo = {}, []
    for unit in units:
        stored = None if force else stored_result(out, unit, course)
        if stored is None:
            todo.append(unit)
        else:
            results[unit.key] = stored
    if results and not quiet:
        print(f"{len(results)} notebooks already graded (use --force to regrade); "
              f"grading {len(todo)}", file=sys.stderr)
    jobs = jobs or os.cpu_count() or 1
    progress = Progress(len(todo), stream=sys.stderr if not quiet else io.StringIO())
    with open(out / "grading.log", "a") as timing:
        timing.write(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} grading {len(todo)} notebooks "
                     f"with {jobs} jobs; sandbox: {status or 'bubblewrap'}; memory: "
                     f"{memory or 'one cgroup per notebook'}\n")
        for line in log_lines:
            timing.write(line + "\n")
        for result in _run_all(todo, course, limits, out, jobs):
            unit = Unit(**result["unit"])
            results[unit.key] = result
            outcome = ", ".join(result["flags"]) or "ok"
            timing.write(f"{unit.key}\t{result['seconds']:.2f} s\t(kernel {result['kernel_seconds']:.2f} s)"
                         f"\t{_score(result):g}/{_max(result):g}\t{outcome}\n")
            timing.flush()
            progress.step(unit.key)
    cgroup.remove_worker_groups()
    ordered = [results[u.key] for u in units]
    write_tables(ordered, out)
    if gradebook:
        write_gradebook(ordered, course, out)
    return ordered


def _run_all(todo, course, limits, out, jobs):
    """Yield each unit's result as it finishes (in-process when jobs == 1)."""
    if jobs == 1 or len(todo) <= 1:
        for unit in todo:
            yield _work(unit, str(course.path), course.db_url, limits, str(out))
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_work, u, str(course.path), course.db_url, limits, str(out))
                   for u in todo]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _score(result):
    return sum(v["score"] for v in result["verdicts"])


def _max(result):
    return sum(v["max_score"] for v in result["verdicts"])


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
                        f"{v['max_score']:g}", v["status"]])
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


# Files nbgrader's autograde carries from submitted/ to autograded/: release_feedback reads the
# timestamp from there, and the exchange matches feedback to a submission by its secret.
SUBMISSION_STAMPS = ("timestamp.txt", "submission_secret.txt")


def _copy_submission_stamps(unit, dest):
    """Copy the submission's timestamp and secret beside its graded notebook, as nbgrader does."""
    if unit["path"]:
        for name in SUBMISSION_STAMPS:
            stamp = Path(unit["path"]).parent / name
            if stamp.is_file() and not stamp.is_symlink():
                shutil.copyfile(stamp, dest / name)


def write_gradebook(results, course, out):
    """Record the trusted scores in nbgrader's gradebook and the notebooks under autograded/."""
    import warnings
    from nbgrader.api import Gradebook, MissingEntry
    config = records.course_config(course.path)
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
                gb.update_or_create_student(u["student"])
                folder = Path(u["path"]).parent if u["path"] else None
                # formgrader counts a submission graded only if this equals its timestamp.txt
                submission = gb.update_or_create_submission(
                    u["assignment"], u["student"],
                    timestamp=records.submission_timestamp(folder) if folder else None)
                for v in r["verdicts"]:
                    grade = gb.find_grade(v["grade_id"], u["notebook"], u["assignment"],
                                          u["student"])
                    grade.auto_score = v["score"]
                    grade.needs_manual_grade = grade.manual_score is not None
                gb.find_submission_notebook(u["notebook"], u["assignment"],
                                            u["student"]).late_submission_penalty = None
                gb.db.commit()
                if submission.total_seconds_late > 0:  # by the course's method, as nbgrader does
                    records.assign_late_penalty(config, course.db_url, u["student"],
                                                u["assignment"], u["notebook"])
                executed = result_path(out, Unit(**u)).with_suffix(".ipynb")
                if executed.is_file():
                    dest = course.path / "autograded" / u["student"] / u["assignment"]
                    dest.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(executed, dest / f"{u['notebook']}.ipynb")
                    _copy_submission_stamps(u, dest)
                    page = records.course_page(dest, u["notebook"])
                    page.parent.mkdir(exist_ok=True)
                    shutil.copyfile(Path(out) / "feedback" / u["student"] / u["assignment"]
                                    / f"{u['notebook']}.html", page)
    except InstructorError:
        raise
    except Exception as exc:
        raise InstructorError(f"could not write the gradebook {course.db_url}: {exc}") from exc


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
    result = grade_unit(unit, course, limits)
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
    parser.add_argument("--course", help="the nbgrader course folder (required)")
    args = parser.parse_args(argv)
    try:
        check_grade_args(args.submitted, args.course)
        if args.jobs is not None and args.jobs < 1:
            raise InstructorError(f"--jobs: expected an integer >= 1, got {args.jobs}")
        results = grade_class(args.submitted, args.out, args.course, args.jobs,
                              Limits(timeout=args.timeout), args.force)
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
