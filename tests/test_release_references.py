"""Nothing a student has points at what a student does not have.

What a student receives (STUDENT_READS):
- each assignment's release folder (the notebook and given.py);
- the course's data/ folder, with its READMEs and every sentence its data files hold (each
  string with a space in a .json or a string array of an .npz: the `generated_by` and `made by`
  fields that say which command made a file, tfcourse.reproduce.made_by);
- every package `pip install .` installs (every package under src/: `tfcourse`, and
  `tfcourse_instructor`, which a hub's student image holds too, for nbgrader's plugins): every
  message it raises or prints, every docstring (what `help()` shows) and every comment of its
  source, which a student opens to see what a check does;
- the course's pages written for students, the decoder contract (`contract.md`, which
  `tfcourse.contract` cites) and notebook 06's rules (`transformer.md`), are in the release
  folders (autograder.build.STUDENT_PAGES copies them from docs/): docs/ itself is not.
Every path and command they read there must exist for them, or sit in a paragraph that says it
is "in the course repository, for instructors" (and then exist in the repository, so it is not
stale either); in a notebook, where a student acts on what they read, the mark is not enough.
Neither names a notebook by a hand-written number: Markdown writes
`notebook 05<!--nb:training-->` (`python -m autograder map --refresh` sets the number from the
course map), Python names the notebook by its id (`05_training_with_teacher_forcing`, the name
of the student's folder), which must be in the map.
"""
import ast
import importlib.util
import io
import json
import re
import tokenize
import tomllib
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import build, course_map
from tfcourse import reproduce

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
# What `pip install .` installs: pyproject.toml finds every package under src/ (a test checks it).
PACKAGES = tuple(sorted(p.parent for p in (ROOT / "src").glob("*/__init__.py")))
FOR_INSTRUCTORS = "in the course repository, for instructors"
REPO_DIRS = "src|tests|solutions|scripts|autograder|data|docs|notebooks|build|tfcourse"
PATH = re.compile(rf"(?<![\w/.-])((?:{REPO_DIRS})/(?:[\w.<>*/-]*[\w>*])?"
                  rf"|[\w<>-]+\.(?:py|md|json|npz|tsv|ipynb)\b)")
COMMAND = re.compile(r"\bpython3? (-m [\w.]+|[\w/.-]+\.py)")
# A file a command in the same paragraph writes (`--out my_run.npz`) is not one to open.
WRITTEN = re.compile(r"--out\W+(?:default=\W*)?([\w./-]+)")
NOTEBOOK_ID = re.compile(r"(?<![\w/])\d\d_[a-z]+(?:_[a-z]+)+\b")


@pytest.fixture(scope="module")
def release():
    """notebooks/ is the release, copied verbatim (tests/test_build.py checks it for drift)."""
    return build.NOTEBOOKS


def python_paragraphs(text):
    """The text a reader of a module sees: each string (docstrings and messages, implicit
    concatenations joined, f-string fields as {…}) and each run of comment lines."""
    strings, pieces = [], set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.JoinedStr):
            pieces.update(map(id, node.values))
            strings.append("".join(v.value if isinstance(v, ast.Constant) else "{…}"
                                   for v in node.values))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in pieces):
            strings.append(node.value)
    comments, last = [], None
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            row = token.start[0]
            if last is not None and row == last + 1:
                comments[-1] += "\n" + token.string.lstrip("#")
            else:
                comments.append(token.string.lstrip("#"))
            last = row
    # A string without a space is a value of the code (a file name, a key), not a sentence.
    return [s for s in strings if len(s.split()) > 1] + comments


def data_sentences(path):
    """The sentences of a data file: each string with a space in it, at any depth of a .json,
    in any string array of an .npz (the numbers and the tokens of a vocabulary are not read)."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            strings = [str(s) for key in arrays.files if arrays[key].dtype.kind == "U"
                       for s in arrays[key].ravel()]
    else:
        strings, todo = [], [json.loads(path.read_text())]
        while todo:
            value = todo.pop()
            if isinstance(value, dict):
                todo += list(value.values())
            elif isinstance(value, list):
                todo += value
            elif isinstance(value, str):
                strings.append(value)
    return [s for s in strings if len(s.split()) > 1]


def paragraphs(path):
    """The text blocks of a file a student reads, split at blank lines."""
    if path.suffix in (".json", ".npz") and DATA in path.parents:
        blocks = data_sentences(path)
    elif path.suffix == ".ipynb":
        blocks = ["\n\n".join(c.source for c in nbformat.read(path, as_version=4).cells)]
    elif path.suffix == ".py" and any(package in path.parents for package in PACKAGES):
        blocks = python_paragraphs(path.read_text())
    else:
        blocks = [path.read_text()]
    return [" ".join(p.split()) for block in blocks for p in re.split(r"\n\s*\n", block)
            if p.strip()]


def student_reads(release):
    """(file a student reads, the folder it sits in for them)."""
    files = [(p, p.parent) for p in sorted(release.glob("*/*")) if p.is_file()]
    files += [(p, p.parent) for p in sorted(DATA.rglob("*")) if p.suffix in (".md", ".json", ".npz")]
    files += [(p, p.parent) for package in PACKAGES for p in sorted(package.rglob("*.py"))]
    return files


def _pattern(ref):
    return re.sub(r"<[^>]*>", "*", ref).rstrip("/")


def exists_for_student(ref, folder, release):
    """True if a student can open `ref` (a path or a command) from where they read it."""
    if ref.startswith("-m "):
        return ref[3:].startswith("tfcourse.") and importlib.util.find_spec(ref[3:]) is not None
    if ref.startswith("data/"):
        return any(DATA.parent.glob(_pattern(ref)))
    if ref.startswith("tfcourse/"):
        return any(package.parent.glob(_pattern(ref)) for package in PACKAGES)
    if "/" not in ref:  # a file name: beside the reader or below, in data/, tfcourse, a release
        return any(any(where.rglob(_pattern(ref))) for where in (folder, DATA, *PACKAGES, release))
    return False


def exists_in_repository(ref):
    if ref.startswith("-m "):
        return importlib.util.find_spec(ref[3:]) is not None
    if ref.startswith("tfcourse/"):
        ref = f"src/{ref}"
    return any(ROOT.glob(_pattern(ref)) if "/" in ref else ROOT.rglob(_pattern(ref)))


def _where(path, release):
    return path.relative_to(next(base for base in (release, DATA.parent, ROOT)
                                 if base in path.parents))


def unresolved(release):
    problems = []
    for path, folder in student_reads(release):
        for paragraph in paragraphs(path):
            # A notebook is where a student acts: it points only at what they have.
            marked = FOR_INSTRUCTORS in paragraph.lower() and path.suffix != ".ipynb"
            refs = set(PATH.findall(paragraph)) | set(COMMAND.findall(paragraph))
            for ref in sorted(refs - set(WRITTEN.findall(paragraph))):
                if exists_for_student(ref, folder, release):
                    continue
                if marked and exists_in_repository(ref):
                    continue
                problems.append(f"{_where(path, release)}: {ref!r}"
                                + (" (marked, but not in the repository)" if marked else "")
                                + f" in: {paragraph[:160]}")
    return problems


def stale_notebook_names(release):
    """Hand-written notebook numbers, numbers the map no longer gives their key, unknown ids."""
    ids = {nb.id for nb in course_map.NOTEBOOKS if not nb.planned}
    problems = []
    for path, _ in student_reads(release):
        text = ("\n\n".join(data_sentences(path)) if path.suffix in (".json", ".npz")
                else path.read_text())
        where = _where(path, release)
        if path.suffix == ".ipynb":
            pass  # the build wrote its numbers from the map (tests/test_course_map.py)
        elif path.suffix == ".md":
            problems += [f"{where}: hand-written {ref!r}" for ref in course_map.unmarked(text)]
            if course_map.refresh(text) != text:
                problems.append(f"{where}: a number differs from the course map; run "
                                f"`python -m autograder map --refresh`")
        else:
            problems += [f"{where}: hand-written {m.group(0)!r}"
                         for p in paragraphs(path) for m in course_map.HAND_WRITTEN.finditer(p)]
        problems += [f"{where}: {ref!r} is no notebook of autograder/course_map.py"
                     for ref in sorted(set(NOTEBOOK_ID.findall(text)) - ids)]
    return problems


def test_every_path_and_command_a_student_reads_exists_for_them_or_is_marked(release):
    problems = unresolved(release)
    assert not problems, "\n".join(problems)


def test_nothing_a_student_reads_outside_the_notebooks_names_a_notebook_by_hand(release):
    problems = stale_notebook_names(release)
    assert not problems, "\n".join(problems)


def test_the_scan_reads_every_package_a_student_image_installs():
    """`pip install .` (docs/USERS.md, JupyterHub) installs every package under src/: the
    instructor's nbgrader plugins too, so a student can import and read them."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["packages"]["find"] == {"where": ["src"]}, (
        "the install is no longer every package under src/: scan what it installs")
    assert [p.name for p in PACKAGES] == ["tfcourse", "tfcourse_instructor"]
    scanned = {path for path, _ in student_reads(build.NOTEBOOKS)}
    for package in PACKAGES:
        assert set(package.rglob("*.py")) <= scanned, package.name


def test_the_scan_reads_tfcourse_messages_docstrings_and_comments():
    source = ('"""Module doc: see data/reference/."""\n'
              'def f():\n'
              '    """Function doc."""\n'
              '    # a comment,\n'
              '    # two lines\n'
              '    raise ValueError(f"no {name!r}; run "\n'
              '                     f"`python scripts/x.py`")\n')
    found = [" ".join(p.split()) for p in python_paragraphs(source)]
    assert "Module doc: see data/reference/." in found
    assert "Function doc." in found
    assert "a comment, two lines" in found
    assert "no {…}; run `python scripts/x.py`" in found


def test_the_scan_reads_the_sentences_of_data_files_such_as_who_made_them(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "reference").mkdir(parents=True)
    (data / "reference" / "f.json").write_text(json.dumps({
        "generated_by": "python scripts/make_reference_logits.py", "cases": [{"label": "a b"}],
        "nested": [{"made by": "in the course repository, for instructors: python "
                               "scripts/lm_exposure_bias.py --check"}], "vocab": ["<pad>", " "]}))
    np.savez(data / "reference" / "g.npz", notes=np.array(["see tests/test_cells.py", "x"]),
             weights=np.zeros(3))
    monkeypatch.setitem(globals(), "DATA", data)
    monkeypatch.setitem(globals(), "PACKAGES", (tmp_path / "no_package",))
    assert sorted(data_sentences(data / "reference" / "f.json")) == [
        "a b", "in the course repository, for instructors: python scripts/lm_exposure_bias.py --check",
        "python scripts/make_reference_logits.py"]
    found = sorted(p.split(" in: ")[0] for p in unresolved(tmp_path / "release")
                   if p.startswith("data/"))
    assert found == ["data/reference/f.json: 'scripts/make_reference_logits.py'",
                     "data/reference/g.npz: 'tests/test_cells.py'"]


def test_every_data_file_says_where_the_command_that_made_it_is():
    """The provenance fields come from one place, tfcourse.reproduce.made_by, which marks a
    command of the course repository and leaves a student's own command as it is."""
    fields = {}
    for path in sorted(DATA.rglob("*.json")):
        value = json.loads(path.read_text())
        if isinstance(value, dict):
            for key in ("generated_by", "made by"):
                if key in value:
                    fields[path.relative_to(DATA)] = value[key]
    assert len(fields) >= 20, sorted(fields)
    for path, command in fields.items():
        assert command == reproduce.made_by(command.split(": ", 1)[-1]), (path, command)
        assert command.startswith((reproduce.FOR_INSTRUCTORS, "python -m tfcourse.")), path


def test_the_scan_finds_what_a_student_cannot_open(tmp_path):
    folder = tmp_path / "release" / "01_x"
    folder.mkdir(parents=True)
    (folder / "notes.md").write_text(
        "See `src/tfcourse/datasets.py` and run `python scripts/make_pretrained.py`.\n\n"
        "Load `data/reference/rnn_step.json`, run `python -m tfcourse.datasets --out data`.\n\n"
        "Read docs/contract.md, not docs/USERS.md; run `python -m tfcourse.exposure_bias "
        "--out mine.npz`.\n\n"
        "In the course repository, for instructors: `scripts/lm_exposure_bias.py`.\n\n"
        "In the course repository, for instructors: `scripts/no_such_script.py`.\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "In the course repository, for instructors: `scripts/bench_kv_cache.py`.")])
    nbformat.write(nb, folder / "01_x.ipynb")
    problems = unresolved(tmp_path / "release")
    found = sorted(p.split(": ", 1)[1].split(" in: ")[0] for p in problems
                   if p.startswith("01_x"))
    assert found == ["'docs/USERS.md'", "'docs/contract.md'",
                     "'scripts/bench_kv_cache.py'",   # in a notebook the mark is not enough
                     "'scripts/make_pretrained.py'",
                     "'scripts/no_such_script.py' (marked, but not in the repository)",
                     "'src/tfcourse/datasets.py'"]


def test_the_scan_refuses_hand_written_stale_and_unknown_notebook_names(tmp_path, monkeypatch):
    release = tmp_path / "release"
    (release / "01_x").mkdir(parents=True)
    (release / "01_x" / "notes.md").write_text(
        "As notebook 03 showed; notebooks 02<!--nb:teacher_forcing-->–05 ran;\n"
        "notebook 04<!--nb:training--> trains; notebook 01<!--nb:cells--> is fine;\n"
        "see 09_no_such_notebook and 02_teacher_forcing.\n")
    (release / "01_x" / "helper.py").write_text('"""Used by notebook 06."""\n')
    monkeypatch.setitem(globals(), "student_reads",
                        lambda r: [(p, p.parent) for p in sorted((r / "01_x").iterdir())])
    monkeypatch.setitem(globals(), "PACKAGES", (release,))
    problems = stale_notebook_names(release)
    assert problems == [
        "01_x/helper.py: hand-written 'notebook 06'",
        "01_x/notes.md: hand-written 'notebook 03'",
        "01_x/notes.md: hand-written 'notebooks 02<!--nb:teacher_forcing-->–05'",
        "01_x/notes.md: a number differs from the course map; run "
        "`python -m autograder map --refresh`",
        "01_x/notes.md: '09_no_such_notebook' is no notebook of autograder/course_map.py",
    ]


def test_refresh_rewrites_every_marked_number_from_the_map(tmp_path):
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text("notebook 09<!--nb:training--> and notebook 01<!--nb:cells-->\n")
    assert course_map.refresh_markdown(tmp_path) == [page]
    assert page.read_text() == "notebook 05<!--nb:training--> and notebook 01<!--nb:cells-->\n"
    assert course_map.refresh_markdown(tmp_path) == []
