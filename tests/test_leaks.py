"""Nothing a student receives holds a solution line of its own or a later assignment, or any
hidden-test line, and nothing a student receives imports `solutions` (or `autograder`)."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

from autograder import build

ROOT = Path(__file__).resolve().parents[1]
MIN_LINE = 16  # a shorter hidden-test line is not evidence of a leak
FIELD = re.compile(r"\w+: [\w.\[\], |]+")
WINDOW = 3  # solution code leaks as runs of lines; one common line ("if cell_type == 'gru':") is no proof


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    build.build(folder, notebooks=None)
    return folder


def _regions(text, begin, end):
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def _code(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _source_nb(course, assignment):
    return nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", 4)


def _windows(lines):
    """Runs of WINDOW consecutive code lines (blank lines and comments skipped)."""
    code = [l.strip() for l in lines if l.strip() and not l.strip().startswith("#")]
    runs = {tuple(code[i:i + WINDOW]) for i in range(len(code) - WINDOW + 1)}
    # Field declarations of a NamedTuple ("i: np.ndarray") are data layout, not solution logic.
    return {r for r in runs if not all(FIELD.fullmatch(l) for l in r)}


def _solution_lines(course, assignment):
    """Every run of WINDOW lines inside the solution regions of an assignment's source."""
    runs = set()
    for src in _code(_source_nb(course, assignment)):
        runs |= _windows(_regions(src, "### BEGIN SOLUTION", "### END SOLUTION"))
    return runs


def _hidden_lines(course, assignment):
    lines = set()
    for src in _code(_source_nb(course, assignment)):
        lines |= {l for l in _regions(src, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
                  if len(l) >= MIN_LINE}
    return lines


def _student_visible_lines(course, assignment):
    """Runs of lines a student sees anyway in their own assignment: stubs, prose, tests."""
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    return _windows("\n".join(c.source for c in release.cells).splitlines())


def _files(folder):
    return [p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and p.suffix in (".py", ".ipynb", ".json", ".md", ".txt", ".csv", ".tsv")]


def _lines(path):
    """The stripped lines of a file (of a notebook: of its cells) and their runs of WINDOW."""
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.read(path, 4).cells)
    else:
        text = path.read_text()
    lines = text.splitlines()
    return {line.strip() for line in lines} | _windows(lines)


def _student_texts(course, assignment):
    """The lines of every file a student of `assignment` receives in its release."""
    texts = {p: _lines(p) for p in _files(course / "release" / assignment)}
    texts.update({p: _lines(p) for p in _files(ROOT / "notebooks" / assignment)})
    return texts


def _shared_texts():
    """What every student receives whatever the assignment: data/ and src/tfcourse."""
    return {p: _lines(p) for p in _files(ROOT / "data") + _files(ROOT / "src" / "tfcourse")}


def test_the_leak_check_sees_solution_and_hidden_lines(course):
    for assignment in build.assignments():
        assert len(_solution_lines(course, assignment)) > 3
        assert _hidden_lines(course, assignment)


@pytest.mark.parametrize("assignment", build.assignments())
def test_no_release_holds_a_solution_line_of_its_own_or_a_later_assignment(course, assignment):
    ids = build.assignments()
    texts = _student_texts(course, assignment)
    given = (course / "release" / assignment / build.GIVEN)
    given_lines = _windows(given.read_text().splitlines()) if given.exists() else set()
    for later in ids[ids.index(assignment):]:
        # A line the student legitimately sees elsewhere (earlier given code, their own
        # stubs and prose) proves nothing.
        secret = _solution_lines(course, later) - given_lines - _student_visible_lines(course, assignment)
        for path, text in texts.items():
            found = sorted(secret & text)
            assert not found, f"{path} leaks solution lines of {later}: {found[:3]}"


def test_shared_student_files_hold_no_solution_line_of_any_assignment(course):
    secret = set()
    for assignment in build.assignments():
        secret |= _solution_lines(course, assignment) - _student_visible_lines(course, assignment)
    # Lines that every given module ships after its deadline may appear in helpers too; the
    # shared helpers must not hold any solution line at all, given or not.
    for path, text in _shared_texts().items():
        found = sorted(secret & text)
        assert not found, f"{path} holds solution lines: {found[:3]}"


def test_no_student_file_holds_a_hidden_test_line(course):
    hidden = set().union(*(_hidden_lines(course, a) for a in build.assignments()))
    texts = _shared_texts()
    for assignment in build.assignments():
        texts.update(_student_texts(course, assignment))
    for path, text in texts.items():
        found = sorted(hidden & text)
        assert not found, f"{path} holds hidden-test lines: {found[:3]}"


def test_each_given_module_holds_only_solutions_of_earlier_assignments(course):
    tpls = build.templates()
    owner = build.ownership(tpls)
    for assignment in build.assignments()[1:]:
        given = (course / "release" / assignment / build.GIVEN).read_text()
        defined = {n.name for n in ast.parse(given).body
                   if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        assert defined, assignment
        for name in defined:
            assert owner.get(name, "") < assignment, (
                f"{assignment}/given.py defines {name}, a solution of {owner.get(name)}")


def _imports(text):
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _python_of(path):
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, 4)
        code = [re.sub(r"^\s*[%!].*$", "", c.source, flags=re.M) for c in nb.cells
                if c.cell_type == "code"]
        return "\n".join(code)
    return path.read_text()


def test_nothing_a_student_receives_imports_solutions_or_autograder(course):
    paths = [p for p in _files(ROOT / "src" / "tfcourse") if p.suffix == ".py"]
    paths += [p for a in build.assignments() for folder in (course / "release" / a,
                                                           ROOT / "notebooks" / a)
              for p in _files(folder) if p.suffix in (".py", ".ipynb")]
    assert len(paths) > 8
    for path in paths:
        bad = _imports(_python_of(path)) & {"solutions", "autograder"}
        assert not bad, f"{path} imports {bad}"
