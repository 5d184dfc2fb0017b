"""Nothing a student receives holds a solution line of its own or a later assignment, or any
hidden-test line, and nothing a student receives imports `solutions` (or `autograder`)."""
import ast
import json
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
def course(built_course):
    return built_course


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


# ----------------------------------------------------------------------------- given.py

def _given_module(course, assignment):
    """(names __all__ exports, {defined name: its AST node}) of a release's given.py."""
    tree = ast.parse((course / "release" / assignment / build.GIVEN).read_text())
    defined, exports = {}, None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == "__all__":
                    exports = ast.literal_eval(node.value)
                elif isinstance(target, ast.Name):
                    defined[target.id] = node
    return exports, defined


def _reachable(start, defined):
    """The names of `defined` that `start` uses, directly or through each other."""
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in defined:
            continue
        seen.add(name)
        todo += [n.id for n in ast.walk(defined[name]) if isinstance(n, ast.Name)]
    return seen


@pytest.mark.parametrize("assignment", build.assignments()[1:])
def test_each_given_module_exports_the_earlier_graded_functions_and_only_what_they_need(
        course, assignment):
    exports, defined = _given_module(course, assignment)
    assert exports == build.earlier_graded(assignment, build.templates())
    assert set(exports) <= set(defined)
    unused = set(defined) - _reachable(exports, defined)
    assert not unused, f"{assignment}/given.py defines {sorted(unused)}, which no export needs"


def test_an_earlier_graded_function_that_answers_an_exercise_is_withheld_from_its_notebook(course):
    """An earlier graded function can answer a later exercise in substance without being on
    its reference's call graph: notebook 05's masked_cross_entropy makes 07's causal_lm_loss a
    shift, a mask and one call. Such a function is WITHHELD from that notebook's given.py."""
    assert "masked_cross_entropy" in build.WITHHELD["07_teacher_forcing_in_language_models"]
    for assignment, withheld in build.WITHHELD.items():
        exports, defined = _given_module(course, assignment)
        assert not set(withheld) & (set(exports) | set(defined)), assignment


def test_no_release_after_05_holds_the_loss_that_answers_07(course):
    """A student keeps every release: had 06's given.py shipped the loss, a student of 07 would
    hold it. Only 05 (the student's own) has it; 06 needs it for nothing."""
    names = {a: set(_given_module(course, a)[1]) for a in build.assignments()[5:]}
    assert set(names) == {"06_teacher_forcing_in_transformers", "07_teacher_forcing_in_language_models"}
    assert not any("masked_cross_entropy" in defined for defined in names.values())


@pytest.mark.parametrize("assignment", build.assignments()[1:])
def test_no_reference_solution_calls_a_helper_of_its_given_module(course, assignment):
    """The rule by construction: of what given.py ships, the current notebook's reference
    solutions reach only the exported graded functions of earlier notebooks, so no helper in
    it computes a piece of the current answer (else the reference would be written with it)."""
    from autograder import inline
    exports, defined = _given_module(course, assignment)
    tpl = build.templates()[assignment]
    defs, _ = inline.closure(build._roots(tpl.graded_functions), stop=set(exports))
    reached = {d.name for d in defs} & set(defined)
    assert reached <= set(exports), (
        f"the reference of {assignment} calls {sorted(reached - set(exports))} from given.py")


def test_the_build_refuses_a_reference_that_calls_an_earlier_helper():
    from types import SimpleNamespace as Tpl
    tpls = {"01_a": Tpl(graded_functions=["gru_step_forward"]),
            "02_b": Tpl(graded_functions=["decoder_forward_teacher_forcing_cache"])}
    owner = build.ownership(tpls)
    assert {"cell_forward", "gru_cell_gates"} <= set(build.reused_helpers("02_b", tpls, owner))
    with pytest.raises(ValueError, match="02_b: its reference solutions call .*gru_cell_gates"):
        build.check_given_rule(tpls, owner)
    tpls["01_a"] = Tpl(graded_functions=["gru_step"])
    assert build.reused_helpers("02_b", tpls, build.ownership(tpls)) == []


# ----------------------------------------------------------------------------- tfcourse helpers

def _reference_definitions():
    """Every definition of solutions/ that a graded function runs: (assignment, Definition)."""
    from autograder import inline
    tpls = build.templates()
    found = {}
    for assignment, tpl in tpls.items():
        earlier = set(build.earlier_graded(assignment, tpls))
        defs, _ = inline.closure(build._roots(tpl.graded_functions), stop=earlier)
        found.update({d.name: (assignment, d) for d in defs if d.name not in earlier})
    return found


def _reference_expressions(min_chars, kinds=(ast.Call, ast.BinOp, ast.Compare)):
    """Expressions of the reference solutions (unparsed) of at least `min_chars` characters
    besides spaces; error messages excepted."""
    found = {}
    for name, (assignment, d) in _reference_definitions().items():
        for node in ast.walk(ast.parse(d.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "").endswith("Error"):
                continue
            if isinstance(node, kinds) and len(_squash(ast.unparse(node))) >= min_chars:
                found.setdefault(ast.unparse(node), f"{assignment}: {name}")
    return found


# Known and reported, not fixed here: each entry must still hold what it is excused for, so that
# the excuse goes once the module is fixed (the tests below check both ways).
OPEN = {}


def _tfcourse_trees():
    return {p: ast.parse(p.read_text()) for p in sorted((ROOT / "src" / "tfcourse").glob("*.py"))}


def _open_or_clean(test, path, found, what):
    if (test, path.name) in OPEN:
        assert found, f"{path.name} no longer {what}: remove it from OPEN ({OPEN[test, path.name]})"
    else:
        assert not found, f"{path.name} {what}: {found}"


def test_tfcourse_defines_no_reference_function_or_helper_a_student_must_write():
    """`from tfcourse.checks import softmax` must not answer causal_self_attention."""
    names = {name.lstrip("_") for name in _reference_definitions()}
    assert {"softmax", "causal_mask", "gru_cell_gates", "rnn_step"} <= names
    for path, tree in _tfcourse_trees().items():
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        defined |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                    for a in n.names}
        clash = sorted(d for d in defined if d.lstrip("_") in names)
        _open_or_clean("names", path, clash,
                       "defines a function that exercises ask students to write")


def test_tfcourse_code_holds_no_expression_of_a_reference_solution():
    secret = _reference_expressions(24)
    assert "np.tanh(x @ params['W_x'] + params['b'] + h_prev @ params['W_h'])" in secret
    for path, tree in _tfcourse_trees().items():
        code = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.expr)}
        found = {e: secret[e] for e in code & set(secret)}
        _open_or_clean("code", path, found, "computes what a reference solution does")


@pytest.mark.parametrize("assignment", build.assignments())
def test_a_release_holds_only_its_notebook_given_py_and_the_modules_shipped_with_it(course, assignment):
    tpls = build.templates()
    expected = {f"{assignment}.ipynb"} | set(build.shipped_modules(assignment, tpls))
    expected |= set(build.student_pages(assignment))
    expected |= {build.GIVEN} if assignment != build.assignments()[0] else set()
    assert {str(p) for p in build.release_files(course, assignment)} == expected


def test_the_tiny_gpt_reaches_students_of_notebook_07_only_and_answers_nothing_of_07(course):
    """Its masked attention is notebook 06's exercise: not in tfcourse (the tests above), not in
    a release before 07, and no expression of 07's reference solutions in it."""
    tpls = build.templates()
    shipped = {a: set(build.shipped_modules(a, tpls)) for a in tpls}
    assert [a for a in tpls if "tiny_gpt.py" in shipped[a]] == ["07_teacher_forcing_in_language_models"]
    text = (course / "release" / "07_teacher_forcing_in_language_models" / "tiny_gpt.py").read_text()
    tree = ast.parse(text)
    assert {"gpt_forward", "gpt_forward_cached"} <= {n.name for n in tree.body
                                                    if isinstance(n, ast.FunctionDef)}
    assert _imports(text) <= {"numpy", "tfcourse"}
    secret = {e: w for e, w in _reference_expressions(24).items() if w.startswith("07")}
    assert any("causal_lm_loss" in w for w in secret.values())
    found = {e: secret[e] for e in {ast.unparse(n) for n in ast.walk(tree)
                                    if isinstance(n, ast.expr)} & set(secret)}
    assert not found, f"tiny_gpt.py computes what 07's references do: {found}"


def _squash(text):
    return re.sub(r"\s+", "", text)


def test_no_hint_or_message_spells_out_reference_code():
    """Hints name the idea ("a lower-triangular boolean matrix"); the student writes it. Code
    that the exercise's own statement already shows (a formula, a return shape) is no leak."""
    statements = _squash("\n".join(p.read_text() for p in build.TEMPLATES.glob("*.md")))
    secret = {_squash(e): where for e, where in _reference_expressions(10).items()
              if _squash(e) not in statements}
    assert _squash("np.tril(np.ones((T, T), dtype=bool))") in secret
    shipped = [(path.name, node.value) for path, tree in _tfcourse_trees().items()
               for node in ast.walk(tree) if isinstance(node, ast.Constant)
               and isinstance(node.value, str)]
    # the sentences naming each mutant (autograder/mutations) that data/reference/ ships
    shipped += [(path.name, text) for path in sorted((ROOT / "data" / "reference").glob("*.json"))
                for text in json.loads(path.read_text()).get("diagnoses", {}).values()]
    assert any(name.endswith(".json") for name, _ in shipped)
    for where, value in shipped:
        text = _squash(value)
        found = [(e, w) for e, w in secret.items() if re.search(r"(?<!\w)" + re.escape(e), text)]
        assert not found, f"{where}: {value!r} spells out {found}"
