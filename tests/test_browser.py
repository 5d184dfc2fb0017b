"""The course where its users work: JupyterLab in headless Chromium, with nbgrader's extensions.

The tests that drive the browser are marked `browser` (`pytest -m browser` runs only them,
`-m "not browser"` skips them). They need Debian's chromium (apt-get install chromium
chromium-driver) and the `playwright` package; without a Chromium they are skipped with that
instruction. Screenshots go to build/artifacts/browser/. The paths docs/USERS.md gives outside
the browser (the instructor's through nbgrader's exchange, the self-study `check`) are here too.
"""
import csv
import fcntl
import importlib
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from autograder import build, course_map, inline, sample_class
from autograder import mistakes as known_mistakes
from autograder import mistakes_lm as known_mistakes_lm
from autograder import mistakes_transformer as known_mistakes_transformer
from autograder.mistakes import MISTAKES
from tfcourse.checks import MISTAKES as HINTS
from tfcourse.checks import CheckFailed, check
from tfcourse_instructor.nbgrader_plugins import SCORE_OF_RECORD, score_of_record
from tests.course_folders import shared_once
from tests.jupyter_browser import JupyterLab, NotebookPage, chromium_path, open_browser

browser_test = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "artifacts" / "browser"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*/*.ipynb"))
PLOT_CALL = re.compile(r"\bplt\.|\.plot\(|\bplot_\w*\(|\.imshow\(|\.bar\(|\.hist\(")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: `apt-get install chromium chromium-driver` (python3 tasks.py test does it as root)")
    pytest.importorskip("playwright", reason="pip install playwright (the project's [test] extra)")
    with open_browser(executable) as context:
        yield context


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def plot_cells(notebook):
    """Indices of the code cells that draw a plot."""
    return [i for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and PLOT_CALL.search(cell.source)]


def assert_ran_cleanly(path, cells):
    """Every code cell ran, none shows an error or a warning, every plot cell shows an image."""
    notebook = nbformat.read(path, as_version=4)
    assert [c.kind for c in cells] == [c.cell_type for c in notebook.cells], f"{path.name}: page and file disagree"
    shown = {c.index: c for c in cells}
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        assert shown[i].executed, f"{path.name} cell {i} did not run (prompt {shown[i].prompt!r}):\n{cell.source}"
        assert not shown[i].stderr, f"{path.name} cell {i} shows an error:\n{shown[i].stderr}"
    for i in plot_cells(notebook):
        assert shown[i].images >= 1, f"{path.name} cell {i} draws a plot but the page shows no image:\n" \
                                     f"{notebook.cells[i].source}"


# --- The helpers themselves, on a stand-in notebook: they see what they must report. ---------------

STANDIN_MESSAGE = "logits differ from the reference at step 1 of 3: you fed target_seq[t] instead of target_seq[t-1]"


def write_standin(folder, wrong):
    """A small notebook like the course's: imports, a plot, an exercise, its visible test."""
    answer = "x[1:]" if wrong else "x[:-1]"
    notebook = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Stand-in\nA plot, an exercise and its visible test."),
        nbformat.v4.new_code_cell("import numpy as np\nimport matplotlib.pyplot as plt\nx = np.arange(4.0)"),
        nbformat.v4.new_code_cell("plt.plot(x, x ** 2)\nplt.title('a plot')\nplt.show()"),
        nbformat.v4.new_code_cell(f"def shifted(x):\n    return {answer}"),
        nbformat.v4.new_code_cell(f"assert np.array_equal(shifted(x), x[:-1]), {STANDIN_MESSAGE!r}\nprint('ok')"),
        nbformat.v4.new_code_cell("print('the end')"),
    ]
    path = Path(folder) / f"standin_{'wrong' if wrong else 'right'}.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def standin_lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("standin")
    paths = {wrong: write_standin(folder, wrong) for wrong in (False, True)}
    with JupyterLab(folder) as lab:
        yield lab, paths


@browser_test
def test_helper_sees_a_clean_run_with_its_plot(standin_lab, page):
    lab, paths = standin_lab
    notebook = NotebookPage(page, lab).open(paths[False].name)
    cells = notebook.run_all()
    notebook.screenshot(ARTIFACTS / "standin_right.png")
    assert_ran_cleanly(paths[False], cells)
    assert cells[2].images == 1 and cells[4].outputs[0].text.strip() == "ok"


@browser_test
def test_helper_sees_the_failing_assertion_and_stops_there(standin_lab, page):
    lab, paths = standin_lab
    notebook = NotebookPage(page, lab).open(paths[True].name)
    cells = notebook.run_all()
    notebook.screenshot(ARTIFACTS / "standin_wrong.png")
    with pytest.raises(AssertionError, match="cell 4 shows an error"):
        assert_ran_cleanly(paths[True], cells)
    assert f"AssertionError: {STANDIN_MESSAGE}" in cells[4].stderr
    assert not cells[5].executed, "JupyterLab's Run All stops at the first error"


# --- The course's notebooks, as students open them. ---------------------------------------------

@pytest.fixture(scope="session")
def course(built_sample_course, tmp_path_factory):
    """The course as `autograder.build` makes it, with the sample class's submissions in
    submitted/<student>/ (autograder.sample_class): a copy of tests/conftest.py's, which these
    tests grade into, shared by all workers."""
    return shared_once(tmp_path_factory, "browser",
                       lambda folder: shutil.copytree(built_sample_course[0], folder, symlinks=True))


@pytest.fixture(scope="session")
def student_lab(course, tmp_path_factory):
    """JupyterLab serving the sample class's `reference` and `wrong` students' folders."""
    root = tmp_path_factory.mktemp("students")
    for student in ("reference", "wrong"):
        shutil.copytree(course / "submitted" / student, root / student)
    with JupyterLab(root) as lab:
        yield lab, root


def test_sample_class_is_made_from_the_committed_student_notebooks(course):
    """The notebooks the browser opens are the ones students get, answers aside."""
    assert NOTEBOOKS, "notebooks/ holds no student notebook"
    released = sorted(p.relative_to(course / "release") for p in (course / "release").glob("*/*.ipynb"))
    assert released == [p.relative_to(ROOT / "notebooks") for p in NOTEBOOKS]


@browser_test
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_with_reference_answers_runs_cleanly_in_jupyterlab(path, student_lab, page):
    lab, root = student_lab
    relative = Path("reference") / path.parent.name / path.name
    notebook = NotebookPage(page, lab).open(relative.as_posix())
    cells = notebook.run_all()
    notebook.screenshot(ARTIFACTS / f"{path.stem}.png")
    assert plot_cells(nbformat.read(path, as_version=4)), f"{path.name} draws no plot"
    assert_ran_cleanly(root / relative, cells)


def first_wrong_answers():
    """(assignment, graded function, mistake id): the wrong student's first mistake in each
    notebook that has one, in the notebook's cell order."""
    out = []
    for path in NOTEBOOKS:
        functions = [c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, as_version=4).cells
                     if c.metadata.get("nbgrader", {}).get("solution")]
        wrong = [f for f in functions if f in sample_class.WRONG_ANSWERS]
        if wrong:
            out.append((path.parent.name, wrong[0], sample_class.WRONG_ANSWERS[wrong[0]]))
    return out


def expected_diagnostic(function, mistake):
    """What the visible test says about this known mistake, computed here, outside the browser."""
    with pytest.raises(CheckFailed) as failure:
        check(function, MISTAKES[function][mistake])
    return str(failure.value)


def words(text):
    return " ".join(text.split())


def visible_test_cell(notebook, function):
    """Index of the first test cell that checks `function`."""
    return next(i for i, c in enumerate(notebook.cells)
                if c.metadata.get("nbgrader", {}).get("grade") and f"check({function!r}" in c.source.replace('"', "'"))


@browser_test
@pytest.mark.parametrize("assignment, function, mistake", first_wrong_answers(),
                         ids=[f"{a[:2]}-{m}" for a, _, m in first_wrong_answers()])
def test_student_sees_the_visible_tests_diagnostic_for_a_wrong_answer(assignment, function, mistake,
                                                                      student_lab, page):
    lab, root = student_lab
    relative = Path("wrong") / assignment / f"{assignment}.ipynb"
    notebook = NotebookPage(page, lab).open(relative.as_posix())
    cells = notebook.run_all()
    notebook.screenshot(ARTIFACTS / f"{assignment}_wrong_{mistake}.png")
    test_cell = visible_test_cell(nbformat.read(root / relative, as_version=4), function)
    failing = [c.index for c in cells if c.stderr]
    assert failing == [test_cell], f"expected only the visible test of {function} to fail, got cells {failing}"
    shown = words(cells[test_cell].stderr)
    assert words(f"CheckFailed: {expected_diagnostic(function, mistake)}") in shown
    assert words(HINTS[mistake]) in shown, "the message names the mistake and says how to fix it"
    assert not cells[test_cell + 1].executed, "Run All stops at the failing test"


# --- The message first: one wrong answer in every notebook, as the student sees it. -------------

KNOWN_MISTAKES = [m.MISTAKES for m in (known_mistakes, known_mistakes_transformer, known_mistakes_lm)]


def one_wrong_answer(path):
    """(graded function, mistake id or None, wrong function): the notebook's first exercise,
    answered with its first known mistake, or with a body that returns None if it has none."""
    function = next(c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, as_version=4).cells
                    if c.metadata.get("nbgrader", {}).get("solution"))
    for table in KNOWN_MISTAKES:
        if function in table:
            mistake = sample_class.WRONG_ANSWERS.get(function, next(iter(table[function])))
            return function, mistake, table[function][mistake]
    return function, None, None


def checks_module(assignment):
    """The module whose check(...) the notebook's visible test cells run (from the course map)."""
    module = course_map.by_id(assignment).checks[0].removeprefix("src/").removesuffix(".py")
    return importlib.import_module(module.replace("/", "."))


@pytest.fixture(scope="session")
def one_wrong_lab(course, tmp_path_factory):
    """JupyterLab over a copy of each release whose first exercise holds a wrong answer."""
    root = tmp_path_factory.mktemp("one_wrong")
    owner = build.ownership(build.templates())
    for path in NOTEBOOKS:
        assignment = path.parent.name
        shutil.copytree(course / "release" / assignment, root / assignment)
        function, _, wrong = one_wrong_answer(path)
        body = ("    return None\n" if wrong is None else
                inline.function_body(wrong, build.given_names(assignment, owner)))
        nb = nbformat.read(root / assignment / path.name, as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == function)
        cell.source = sample_class.fill_stub(cell.source, body)
        nbformat.write(nb, root / assignment / path.name)
    with JupyterLab(root) as lab:
        yield lab, root


@browser_test
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_the_first_lines_of_a_failing_test_are_the_courses_message(path, one_wrong_lab, page):
    lab, root = one_wrong_lab
    assignment = path.parent.name
    function, _, wrong = one_wrong_answer(path)
    notebook = NotebookPage(page, lab).open(f"{assignment}/{path.name}")
    cells = notebook.run_all()
    notebook.screenshot(ARTIFACTS / f"{assignment}_message_first.png")
    with pytest.raises(CheckFailed) as failure:
        checks_module(assignment).check(function, wrong or (lambda *args, **kwargs: None))
    test_cell = visible_test_cell(nbformat.read(root / assignment / path.name, as_version=4), function)
    failing = [c.index for c in cells if c.stderr]
    assert failing == [test_cell], f"expected only the visible test of {function} to fail, got {failing}"
    shown = cells[test_cell].stderr.strip()
    assert shown.startswith("CheckFailed: "), shown[:300]
    assert words(shown) == words(f"CheckFailed: {failure.value}"), "the message and nothing else"
    assert "Traceback" not in shown and 'File "' not in shown and "site-packages" not in shown


# --- nbgrader's extensions: Validate for students, formgrader for instructors. -----------------

@browser_test
def test_validate_button_reports_the_failing_exercise_and_its_diagnostic(student_lab, page):
    assignment, function, mistake = next(w for w in first_wrong_answers() if w[0].startswith("02"))
    lab, _ = student_lab
    notebook = NotebookPage(page, lab).open(f"wrong/{assignment}/{assignment}.ipynb")
    notebook.toolbar_button("validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / f"{assignment}_wrong_validate.png"))
    text = words(dialog.inner_text())
    assert text.startswith("Validation Results") and "failed" in text, text[:500]
    assert f'check("{function}", {function})' in text, "the dialog shows the failing test cell"
    assert words(expected_diagnostic(function, mistake)) in text
    assert "Success" not in text
    # Each failed cell is its source, then its error: the error's first line is the message.
    shown = dialog.locator(".validation-failed .jp-RenderedText pre")
    assert shown.count() == 2, "one failed cell: the visible test"
    error = shown.nth(1).inner_text().strip()
    assert error.startswith("CheckFailed: "), error[:300]
    assert words(error) == words(f"CheckFailed: {expected_diagnostic(function, mistake)}")


@browser_test
def test_validate_passes_the_reference_answers(student_lab):
    lab, root = student_lab
    path = next(p for p in NOTEBOOKS if p.stem.startswith("02"))
    answer = lab.api("assignments/validate", method="POST",
                     data=f"path=reference/{path.parent.name}/{path.name}".encode())
    assert answer["success"], answer["value"]
    assert not answer["value"].get("failed"), answer["value"]


@pytest.fixture(scope="session")
def graded_course(course):
    """The course with the sample class graded by `python -m autograder grade` (which fills
    nbgrader's gradebook), once for all workers."""
    shared = course.parent
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "graded").exists():
            run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(course / "submitted"),
                                  "--out", str(shared / "grades"), "--course", str(course)],
                                 cwd=ROOT, capture_output=True, text=True)
            assert run.returncode == 0, f"autograder grade failed:\n{run.stdout}\n{run.stderr}"
            (shared / "graded").touch()
    return course


@browser_test
def test_formgrader_lists_the_assignments_and_the_sample_class_scores(graded_course, page):
    ids = sorted(p.name for p in (graded_course / "release").iterdir())
    expected = sample_class.expected_scores(ids)
    with JupyterLab(graded_course) as lab:
        assignments = {a["name"]: a for a in lab.api("formgrader/api/assignments")}
        assert sorted(assignments) == ids
        for name, assignment in assignments.items():
            assert assignment["num_submissions"] == len(sample_class.STUDENTS)
            assert assignment["max_score"] == sum(expected["reference"][name].values())
            got = {s["student"]: s["score"] for s in lab.api(f"formgrader/api/submissions/{name}")}
            assert got == {student: sum(expected[student][name].values()) for student in sample_class.STUDENTS}, name
        page.goto(lab.page_url("formgrader/manage_students"))
        page.locator("#main-table tr td.score").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "formgrader_students.png"))
        shown = dict(page.evaluate("""() => [...document.querySelectorAll('#main-table tr')]
            .map(row => [row.querySelector('td.id').innerText.trim(), row.querySelector('td.score').innerText.trim()])"""))
        top = sum(sum(cells.values()) for cells in expected["reference"].values())
        assert shown == {student: f"{sum(sum(c.values()) for c in expected[student].values()):g} / {top:g}"
                         for student in sample_class.STUDENTS}


# --- The instructor's term in docs/USERS.md, end to end with nbgrader's exchange. -----------------

TFCOURSE_GRADE = Path(sys.executable).parent / "tfcourse-grade"
# student id -> the sample answers they submit (None: their submission holds no notebook)
TERM_STUDENTS = {"ontime": "wrong", "late": "reference", "nothing": None}


@pytest.fixture(scope="module")
def term(course, tmp_path_factory):
    """A term as docs/USERS.md gives it: release, two students fetch and submit through nbgrader's
    exchange (`late` after the due date, with a late penalty in instructor_config.py), collect
    (timestamp.txt and all), tfcourse-grade, generate/release/fetch feedback, export."""
    tmp = tmp_path_factory.mktemp("term")
    assignment = next(p.parent.name for p in NOTEBOOKS if p.stem.startswith("01"))
    mine = tmp / "course"
    shutil.copytree(course, mine, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "gradebook.db"))
    # Another worker may be grading into the shared gradebook: copy a consistent snapshot of it.
    with sqlite3.connect(course / "gradebook.db") as source, sqlite3.connect(mine / "gradebook.db") as copy:
        source.backup(copy)
    with Gradebook(f"sqlite:///{mine / 'gradebook.db'}") as gb:  # the term's students only
        for student in list(gb.students):  # the sample class, if another test graded it first
            gb.remove_student(student.id)
    with open(mine / build.INSTRUCTOR_CONFIG, "a") as settings:
        settings.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    exchange = tmp / "exchange"
    exchange.mkdir()
    on, course_id = f"--Exchange.root={exchange}", f"--course={build.COURSE_ID}"
    build.run_nbgrader(mine, "release_assignment", assignment, on)
    homes = {}
    for student, answers in TERM_STUDENTS.items():
        if student == "late":  # the due date passes between the two submissions
            time.sleep(1.1)
            due = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            build.run_nbgrader(mine, "db", "assignment", "add", assignment, f"--duedate={due}")
            time.sleep(1.1)
        home = homes[student] = tmp / student
        home.mkdir()
        as_student = (course_id, on, f"--Exchange.cache={home / 'cache'}", f"--student={student}")
        build.run_nbgrader(home, "fetch_assignment", assignment, *as_student)
        if answers is None:
            (home / assignment / f"{assignment}.ipynb").unlink()
        else:
            shutil.copyfile(course / "submitted" / answers / assignment / f"{assignment}.ipynb",
                            home / assignment / f"{assignment}.ipynb")
        build.run_nbgrader(home, "submit", assignment, *as_student)
    build.run_nbgrader(mine, "collect", assignment, on)
    graded = subprocess.run([str(TFCOURSE_GRADE), mine / "submitted", "--out", mine / "graded", "--course", mine],
                            cwd=tmp, capture_output=True, text=True)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    build.run_nbgrader(mine, "generate_feedback", assignment)
    build.run_nbgrader(mine, "release_feedback", assignment, on)
    for student, home in homes.items():
        build.run_nbgrader(home, "fetch_feedback", assignment, course_id, on,
                           f"--Exchange.cache={home / 'cache'}", f"--student={student}")
    build.run_nbgrader(mine, "export")
    export = {r["student_id"]: r for r in csv.DictReader((mine / "grades.csv").read_text().splitlines())}
    return SimpleNamespace(course=mine, assignment=assignment, homes=homes, export=export, due=due)


def term_score(student, assignment):
    if TERM_STUDENTS[student] is None:
        return 0
    return sum(sample_class.expected_scores([assignment])[TERM_STUDENTS[student]][assignment].values())


def test_term_collects_timestamps_and_grades_each_submission_with_its_timestamp(term):
    for student in TERM_STUDENTS:
        stamp = (term.course / "submitted" / student / term.assignment / "timestamp.txt").read_text().strip()
        row = term.export[student]
        assert row["timestamp"] and parse_utc(row["timestamp"]) == parse_utc(stamp), (student, row)
        assert float(row["raw_score"]) == term_score(student, term.assignment)


def test_term_penalises_the_late_submission_by_the_configured_method(term):
    ontime, late = term.export["ontime"], term.export["late"]
    assert parse_utc(ontime["timestamp"]) < parse_utc(term.due) < parse_utc(late["timestamp"])
    assert float(ontime["late_submission_penalty"]) == 0 and float(ontime["score"]) == term_score("ontime", term.assignment)
    # penalty_method "zero": the late submission's whole score is taken off
    assert float(late["late_submission_penalty"]) == term_score("late", term.assignment) > 0
    assert float(late["score"]) == 0


def test_term_students_fetch_the_courses_feedback_page_with_the_score_of_record(term):
    top = sum(sample_class.expected_scores([term.assignment])["reference"][term.assignment].values())
    for student, home in term.homes.items():
        fetched = list((home / term.assignment / "feedback").rglob(f"{term.assignment}.html"))
        if TERM_STUDENTS[student] is None:  # nbgrader keys feedback by the notebooks submitted
            assert fetched == []
            continue
        assert len(fetched) == 1, fetched
        page = (term.course / "graded" / "feedback" / student / term.assignment / f"{term.assignment}.html")
        row = term.export[student]
        record = score_of_record(float(row["score"]), top, float(row["late_submission_penalty"]))
        assert SCORE_OF_RECORD in page.read_text()
        assert fetched[0].read_text() == page.read_text().replace(SCORE_OF_RECORD, record), \
            "the student gets the grader's page, with the export's score under its own"
    late = next(iter(term.homes["late"].glob(f"{term.assignment}/feedback/*/{term.assignment}.html"))).read_text()
    assert (f"a late penalty of {term_score('late', term.assignment):g} points" in late
            and f"<b>0 / {top:g}</b>" in late)
    wrong = (next(iter(term.homes["ontime"].glob(f"{term.assignment}/feedback/*/{term.assignment}.html")))).read_text()
    assert "Known mistake" in wrong and "BEGIN HIDDEN TESTS" not in wrong
    assert "&lt;math" in wrong and "$$" not in wrong, "the course's formulas come typeset"


@browser_test
def test_term_formgrader_shows_each_submission_graded_with_its_score(term, page):
    with JupyterLab(term.course) as lab:
        got = {s["student"]: s for s in lab.api(f"formgrader/api/submissions/{term.assignment}")}
        assert sorted(got) == sorted(TERM_STUDENTS)
        for student, submission in got.items():
            assert submission["autograded"] and submission["timestamp"], submission
        assert got["ontime"]["score"] == term_score("ontime", term.assignment)
        # The page's own calls to formgrader's API need the token too (a URL token sets no cookie).
        page.set_extra_http_headers({"Authorization": f"token {lab.token}"})
        page.goto(lab.page_url(f"formgrader/manage_submissions/{term.assignment}"))
        page.locator("#main-table td.status span").first.wait_for(timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "formgrader_term_submissions.png"))
        shown = {row[0]: row[1:] for row in page.evaluate("""() => [...document.querySelectorAll('#main-table tr')]
            .filter(row => row.querySelector('td.student-id'))
            .map(row => ['student-id', 'status', 'score'].map(c => row.querySelector('td.' + c).innerText.trim()))""")}
        top = sum(sample_class.expected_scores([term.assignment])["reference"][term.assignment].values())
        # formgrader sums the cell grades: the late penalty is not in it (it is in the export
        # and the student's page; docs/USERS.md says which score is the one of record)
        assert shown == {student: ["graded", f"{term_score(student, term.assignment):g} / {top:g}"]
                         for student in TERM_STUDENTS}, shown
        # Manage Students: each student's assignment autograded, with its score (not "(not
        # autograded) 0 / 0"); the notebook of the submission that held none opens and says why.
        for student in TERM_STUDENTS:
            mine = {a["name"]: a for a in lab.api(f"formgrader/api/student_submissions/{student}")}
            assert mine[term.assignment]["autograded"], mine
            assert (mine[term.assignment]["score"], mine[term.assignment]["max_score"]) == (
                term_score(student, term.assignment), top)
        page.goto(lab.page_url("formgrader/manage_students/nothing"))
        page.locator("#main-table td.score").first.wait_for(timeout=120_000)
        assert "not autograded" not in page.locator("#main-table").inner_text()
        notebook, = lab.api(f"formgrader/api/student_notebook_submissions/nothing/{term.assignment}")
        opened = page.request.get(lab.page_url(f"formgrader/submissions/{notebook['id']}/"))
        assert opened.ok and "Not graded: every test scored 0." in opened.text(), (
            opened.status, opened.text()[:3000])
        page.goto(lab.page_url(f"formgrader/manage_submissions/{term.assignment}"))
        page.locator("#main-table td.status span").first.wait_for(timeout=120_000)
        # Autograde would run student code unsandboxed: it refuses, says why, and changes nothing.
        page.locator("#main-table tr td.autograde a").first.click()
        dialog = page.locator("#error-modal .modal-dialog")
        dialog.wait_for(timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "formgrader_term_autograde_refused.png"))
        assert "nbgrader autograde is turned off for this course" in words(dialog.inner_text())
        after = {s["student"]: s for s in lab.api(f"formgrader/api/submissions/{term.assignment}")}
        assert after == got


@browser_test
def test_feedback_page_shows_the_courses_formulas_typeset_and_the_students_as_text(page, tmp_path):
    """The page runs no script, so no MathJax: the grader's MathML is laid out by Chromium itself
    (a subscript sits lower and smaller than its base); a student's own `$$` stays text."""
    from autograder.engine.feedback import render_feedback
    release = nbformat.read(NOTEBOOKS[0], as_version=4)
    course_text = [c.source for c in release.cells if c.cell_type == "markdown"]
    release.cells.append(nbformat.v4.new_markdown_cell(r"mine: $$\text{<b>bold</b>}$$"))
    result = {"unit": {"student": "s", "assignment": "a", "notebook": "n"}, "verdicts": [], "notes": []}
    path = tmp_path / "feedback.html"
    path.write_text(render_feedback(result, release, course_text))
    page.goto(path.as_uri())
    frame = page.frames[1]
    formulas = frame.locator("math")
    assert formulas.count() == 6  # notebook 01's formulas
    formulas.nth(0).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "feedback_formulas.png"))
    base, sub = (frame.locator(f"msub > :nth-child({i})").first.bounding_box() for i in (1, 2))
    assert sub["height"] < base["height"] and sub["y"] + sub["height"] > base["y"] + base["height"]
    text = frame.evaluate("() => document.body.innerText")
    assert "mine: $$\\text{" in text and "h_{\\text{next}}" not in text
    assert frame.locator("b", has_text="bold").count() == 0


def test_self_study_check_names_the_mistake_and_the_score(course):
    """`python -m autograder check NOTEBOOK`, as docs/USERS.md gives it to self-study learners."""
    assignment, function, mistake = next(w for w in first_wrong_answers() if w[0].startswith("02"))
    notebook = course / "submitted" / "wrong" / assignment / f"{assignment}.ipynb"
    run = subprocess.run([sys.executable, "-m", "autograder", "check", str(notebook), "--course", str(course)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"FAIL  {function}_visible" in run.stdout and words(HINTS[mistake]) in words(run.stdout)
    expected = sample_class.expected_scores([assignment])
    assert f"Score: {sum(expected['wrong'][assignment].values()):g} / " \
           f"{sum(expected['reference'][assignment].values()):g}" in run.stdout
