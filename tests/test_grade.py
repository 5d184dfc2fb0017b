"""The class grader: every threat class of tests/adversarial gets exactly its grade and flags,
the honest sample is scored exactly, results survive interruption and do not depend on --jobs."""
import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.engine import grade
from autograder.engine.sandbox import Limits, sandbox_status
from tests.adversarial import ASSIGNMENT, ATTACKS, grade_id, write_class

REPO = Path(__file__).resolve().parents[1]
LIMITS = Limits(timeout=20)


@pytest.fixture(scope="module")
def course(course_copy):
    return course_copy


@pytest.fixture(scope="module")
def context(course, tmp_path_factory):
    ctx = write_class(course, tmp_path_factory.mktemp("class"), REPO, ATTACKS)
    return ctx


@pytest.fixture(scope="module")
def graded(context):
    results = grade.grade_class(context.submitted, context.out, context.course, jobs=2,
                                limits=LIMITS, quiet=True)
    return {r["unit"]["student"]: r for r in results}


def rows(out, name):
    with open(Path(out) / name, newline="") as f:
        return list(csv.DictReader(f))


def test_bubblewrap_is_installed_so_the_suite_tests_the_sandbox():
    assert sandbox_status() is None, sandbox_status()


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.student for a in ATTACKS])
def test_each_submission_gets_exactly_its_score_and_flags(attack, graded, context):
    result = graded[attack.student]
    for verdict in result["verdicts"]:
        function = verdict["grade_id"].rsplit("_", 1)[0]
        want = 0.0 if function in attack.failed else verdict["max_score"]
        assert verdict["score"] == want, (verdict, result["notes"])
        if want == 0:
            assert verdict["status"].startswith("failed: ") and len(verdict["status"]) > 20
        else:
            assert verdict["status"] == "passed"
    assert set(result["flags"]) == set(attack.flags), result["notes"]
    summary = {r["student_id"]: r for r in rows(context.out, "summary.csv")}[attack.student]
    assert set(filter(None, summary["flags"].split(";"))) == set(attack.flags)
    assert float(summary["score"]) == sum(v["score"] for v in result["verdicts"])
    feedback = context.out / "feedback" / attack.student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert feedback.is_file()
    executed = context.out / ".results" / attack.student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for text in attack.outputs:
        assert text in executed.read_text(), f"{attack.student}: the attempt left no trace"


def test_the_honest_sample_class_is_scored_exactly(graded):
    assert (sum(v["score"] for v in graded["honest_reference"]["verdicts"]) ==
            sum(v["max_score"] for v in graded["honest_reference"]["verdicts"]) == 8)
    assert sum(v["score"] for v in graded["honest_empty"]["verdicts"]) == 0
    assert sum(v["score"] for v in graded["honest_mistakes"]["verdicts"]) == 5


def test_nothing_outside_the_sandbox_was_written_or_unpickled(graded, context):
    assert not any(context.probe.iterdir())
    for folder in (context.course, context.repo, context.submitted / "honest_reference" / ASSIGNMENT):
        assert not (folder / "written").exists()
    assert not (context.out / "written").exists()


def test_grades_csv_has_one_row_per_student_and_test_cell_with_a_reason(graded, context):
    table = rows(context.out, "grades.csv")
    assert len(table) == len(ATTACKS) * 6
    assert set(table[0]) == {"student_id", "assignment", "grade_id", "score", "max_score", "status"}
    for row in table:
        assert row["status"] == "passed" or row["status"].startswith("failed: ")
    missing = [r for r in table if r["student_id"] == "missing_notebook"]
    assert all("was not submitted" in r["status"] for r in missing)
    timeout = [r for r in table if r["student_id"] == "kill_in_solution"]
    assert all("kernel died" in r["status"] for r in timeout)


def test_the_gradebook_holds_the_trusted_scores(graded, context):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{context.course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}
    for student, result in graded.items():
        assert scores[student] == sum(v["score"] for v in result["verdicts"])
    assert (context.course / "autograded" / "honest_reference" / ASSIGNMENT /
            f"{ASSIGNMENT}.ipynb").is_file()


def test_formgrader_counts_every_submission_graded_even_one_with_no_notebook_to_run(graded, context):
    """nbgrader's own test of "autograded" (a folder in autograded/, the gradebook's timestamp
    equal to the collected one) holds for everyone, so formgrader never offers Autograde; the
    missing notebook's folder holds the release under a note saying why it scored 0."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    api = NbGraderAPI(CourseDirectory(root=str(context.course)))
    submissions = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    assert {a.student for a in ATTACKS} <= set(submissions)
    assert all(submissions[a.student]["autograded"] for a in ATTACKS), [
        a.student for a in ATTACKS if not submissions[a.student]["autograded"]]
    assert submissions["missing_notebook"]["score"] == 0
    for student in ("missing_notebook", "binary_file", "pipe_notebook"):
        if student not in graded:
            continue
        folder = context.course / "autograded" / student / ASSIGNMENT
        shown = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
        assert shown.cells[0].source.startswith("**Not graded: every test scored 0.**"), student
        assert (folder / "feedback" / f"{ASSIGNMENT}.html").is_file()
    note = nbformat.read(context.course / "autograded" / "missing_notebook" / ASSIGNMENT /
                         f"{ASSIGNMENT}.ipynb", as_version=4).cells[0].source
    assert f"{ASSIGNMENT}.ipynb was not submitted" in note


def test_the_log_has_a_timing_per_notebook(graded, context):
    log = (context.out / "grading.log").read_text()
    for attack in ATTACKS:
        assert f"{attack.student}/{ASSIGNMENT}/{ASSIGNMENT}\t" in log
    assert " s\t(kernel " in log


def test_a_rerun_grades_only_what_is_missing_and_jobs_1_gives_the_same_tables(graded, context,
                                                                               capsys):
    before = {n: (context.out / n).read_text() for n in ("grades.csv", "summary.csv")}
    stored = sorted((context.out / ".results").rglob("*.json"))
    # an interrupted run: one result never written, one half-written (not valid JSON)
    lost = context.out / ".results" / "honest_mistakes" / ASSIGNMENT / f"{ASSIGNMENT}.json"
    torn = context.out / ".results" / "retype_cells" / ASSIGNMENT / f"{ASSIGNMENT}.json"
    lost.unlink()
    torn.write_text(torn.read_text()[:50])
    mtimes = {p: p.stat().st_mtime_ns for p in stored if p not in (lost, torn)}
    code = grade.main([str(context.submitted), "--out", str(context.out), "--course",
                       str(context.course), "--jobs", "1", "--timeout", "20"])
    assert code == 0
    err = capsys.readouterr().err
    assert f"{len(ATTACKS) - 2} notebooks already graded" in err and "ETA" in err
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items())
    assert {n: (context.out / n).read_text() for n in before} == before


def test_jobs_1_and_jobs_2_give_identical_results(graded, context, tmp_path):
    sub = tmp_path / "submitted"
    for student in ("honest_mistakes", "tamper_test_cells", "extra_files"):
        shutil.copytree(context.submitted / student / ASSIGNMENT, sub / student / ASSIGNMENT,
                        symlinks=True)  # a linked folder would be refused
    one = grade.grade_class(sub, tmp_path / "out", context.course, jobs=1, limits=LIMITS,
                            gradebook=False, quiet=True)
    for result in one:
        other = graded[result["unit"]["student"]]
        assert result["verdicts"] == other["verdicts"]
        assert result["flags"] == other["flags"]


def test_a_broken_course_exits_2_saying_what_to_fix(tmp_path, capsys):
    (tmp_path / "submitted").mkdir()
    code = grade.main([str(tmp_path / "submitted"), "--out", str(tmp_path / "out"),
                       "--course", str(tmp_path / "nowhere")])
    assert code == 2
    assert "python -m autograder build" in capsys.readouterr().err


def test_check_prints_what_passed_and_what_failed(context, capsys):
    path = context.submitted / "honest_mistakes" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    result = grade.check_notebook(path, context.course, LIMITS)
    out = capsys.readouterr().out
    assert "PASS  rnn_step_visible  1/1" in out and "FAIL  lstm_step_visible  0/1" in out
    assert "lstm_step" in out and "Score: 5 / 8" in out
    assert sum(v["score"] for v in result["verdicts"]) == 5


def test_the_honest_class_is_scored_exactly_on_every_notebook(course, tmp_path):
    """Reference answers get every point, the untouched release none, on every notebook."""
    sub = tmp_path / "submitted"
    for release in sorted((course / "release").glob("*/*.ipynb")):
        source = nbformat.read(course / "source" / release.parent.name / release.name, as_version=4)
        answers = {grade_id(c): c.source for c in source.cells
                   if c.metadata.get("nbgrader", {}).get("solution")}
        blank = nbformat.read(release, as_version=4)
        nb = nbformat.read(release, as_version=4)
        for cell in nb.cells:
            if grade_id(cell) in answers:
                cell.source = answers[grade_id(cell)]
        for student, notebook in (("reference", nb), ("blank", blank)):
            folder = sub / student / release.parent.name
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / release.name)
    results = grade.grade_class(sub, tmp_path / "out", course, jobs=2, limits=LIMITS,
                                gradebook=False, quiet=True)
    assert len(results) == 2 * len(list((course / "release").glob("*/*.ipynb"))) >= 8
    for result in results:
        student, name = result["unit"]["student"], result["unit"]["notebook"]
        score = sum(v["score"] for v in result["verdicts"])
        top = sum(v["max_score"] for v in result["verdicts"])
        assert top > 0
        assert score == (top if student == "reference" else 0), (name, result["verdicts"])
        assert result["flags"] == [], (name, result["flags"], result["notes"])


def test_a_grader_failure_on_one_notebook_costs_that_notebook_only(context, tmp_path, monkeypatch):
    sub = tmp_path / "submitted"
    for student in ("a", "b"):
        (sub / student / ASSIGNMENT).mkdir(parents=True)  # no notebook: graded without a kernel
    real = grade.grade_unit

    def flaky(unit, course, limits, submission=None):
        if unit.student == "a":
            raise KeyError("surprise")
        return real(unit, course, limits, submission)
    monkeypatch.setattr(grade, "grade_unit", flaky)
    results = {r["unit"]["student"]: r for r in grade.grade_class(
        sub, tmp_path / "out", context.course, jobs=1, limits=LIMITS, gradebook=False, quiet=True)}
    assert results["a"]["flags"] == ["grader-error"]
    assert all("the grader failed on this notebook (KeyError" in v["status"]
               for v in results["a"]["verdicts"])
    assert results["b"]["flags"] == ["missing"]


def test_a_spec_is_read_once_per_process_until_its_notebook_changes(course):
    """Workers keep each notebook's spec (05's takes seconds to read); a rebuilt notebook is
    read again, never judged by the spec of the one it replaced."""
    import os
    graded_course, name = grade.Course(course), "01_recurrent_cells"
    first = grade._spec(graded_course, name, name)
    assert grade._spec(graded_course, name, name) is first
    path = course / "source" / name / f"{name}.ipynb"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again = grade._spec(graded_course, name, name)
    assert again is not first and again.functions == first.functions


def test_grade_class_reads_every_spec_and_its_job_keys_before_the_workers_start(course,
                                                                                tmp_path):
    """The pool's workers are forked after grade_class has read the specs and encoded their
    cases' job keys, so no worker reads or encodes them again."""
    from autograder.engine import judge
    name = "05_training_with_teacher_forcing"
    folder = tmp_path / "submitted" / "student" / name
    folder.mkdir(parents=True)
    shutil.copy(course / "release" / name / f"{name}.ipynb", folder)
    graded_course, seen = grade.Course(course), []

    class Run:
        where = "a stand-in for the pool"

        def __call__(self, units, *_args):
            for unit in units:
                stamp, spec = grade._SPECS[(str(graded_course.path), unit.assignment,
                                            unit.notebook)]
                assert stamp == grade._stamp(graded_course, unit.assignment, unit.notebook)
                cases = [case for test in spec.tests for _n, case, _m in test.cases]
                seen.append(all(judge._KEYS.get(id(case), (None,))[0] is case
                                for case in cases) and len(cases) > 10)
            yield from ()

    grade._SPECS.clear()
    grade.grade_class(tmp_path / "submitted", tmp_path / "out", course, run=Run(),
                      gradebook=False, quiet=True)
    # the student's unit last, after the self-check's unless an earlier test of this run (the
    # course is built once per run) already checked this build
    assert seen in ([True], [True, True])


def _course_with_release(tmp_path):
    """A course of two assignments (07 with given.py and tiny_gpt.py) and one student's folder."""
    from types import SimpleNamespace
    for part in ("source", "release"):
        for name, text in (("given.py", "A = 7\n"), ("tiny_gpt.py", "def gpt(): pass\n")):
            (tmp_path / part / "07").mkdir(parents=True, exist_ok=True)
            (tmp_path / part / "07" / name).write_text(text)
        (tmp_path / part / "02").mkdir(parents=True, exist_ok=True)
        (tmp_path / part / "02" / "given.py").write_text("A = 2\n")
    folder = tmp_path / "submitted" / "s" / "07"
    folder.mkdir(parents=True)
    (folder / "07.ipynb").write_text("{}")
    return SimpleNamespace(release_dir=tmp_path / "release" / "07"), grade.Unit(
        "s", "07", "07", str(folder / "07.ipynb")), folder


def test_the_release_folder_sent_back_by_nbgrader_submit_is_replaced_silently(tmp_path):
    # the reviewer's submission: `nbgrader submit` sent given.py and tiny_gpt.py unchanged; the
    # page told every student to rename the course's own files
    spec, unit, folder = _course_with_release(tmp_path)
    for name in ("given.py", "tiny_gpt.py"):
        shutil.copyfile(spec.release_dir / name, folder / name)
    (folder / "notes.py").write_text("X = 1\n")
    files, skipped = grade.student_files(unit, spec)
    assert skipped == [] and [rel for rel, _ in files] == ["notes.py"]


def test_a_course_file_of_another_assignment_unchanged_is_left_out_silently(tmp_path):
    spec, unit, folder = _course_with_release(tmp_path)
    shutil.copyfile(tmp_path / "release" / "02" / "given.py", folder / "given.py")
    assert grade.student_files(unit, spec) == ([], [])


def test_only_a_file_that_really_shadows_one_is_named_and_a_course_file_is_never_to_rename(
        tmp_path):
    spec, unit, folder = _course_with_release(tmp_path)
    (folder / "tiny_gpt.py").write_text("def gpt(): return 'mine'\n")   # changed course file
    (folder / "given").mkdir()
    (folder / "given" / "__init__.py").write_text("A = 0\n")            # a package of its name
    (folder / "numpy.py").write_text("raise ImportError\n")              # an installed module
    files, skipped = grade.student_files(unit, spec)
    assert files == []
    notes = {note.split(" (")[0]: note for note in skipped}
    assert set(notes) == {"tiny_gpt.py", "given/__init__.py", "numpy.py"}, skipped
    assert "changed copy of the course's file; the release's own tiny_gpt.py was used" in notes[
        "tiny_gpt.py"]
    assert "course's module 'given'" in notes["given/__init__.py"]
    assert "rename" not in notes["tiny_gpt.py"] + notes["given/__init__.py"]
    assert "rename it" in notes["numpy.py"]
