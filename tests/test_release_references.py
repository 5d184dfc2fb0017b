"""Nothing a student has points at what a student does not have.

A student receives each assignment's release folder (the notebook and given.py), the course's
data/ folder (with its READMEs) and the installed `tfcourse` package. Every path and command
they read there must exist for them, or sit in a paragraph that says it is "in the course
repository, for instructors" (and then exist in the repository, so it is not stale either).
"""
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from autograder import build

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FOR_INSTRUCTORS = "in the course repository, for instructors"
REPO_DIRS = "src|tests|solutions|scripts|autograder|data|docs|notebooks|build|tfcourse"
PATH = re.compile(rf"(?<![\w/.-])((?:{REPO_DIRS})/(?:[\w.<>*/-]*[\w>*])?"
                  rf"|[\w<>-]+\.(?:py|md|json|npz|tsv|ipynb)\b)")
COMMAND = re.compile(r"\bpython3? (-m [\w.]+|[\w/.-]+\.py)")


@pytest.fixture(scope="module")
def release():
    """notebooks/ is the release, copied verbatim (tests/test_build.py checks it for drift)."""
    return build.NOTEBOOKS


def paragraphs(path):
    """The text blocks of a file a student reads; a notebook's cells, split at blank lines."""
    if path.suffix == ".ipynb":
        text = "\n\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    else:
        text = path.read_text()
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def received(release):
    """(file a student receives, the folder it sits in for them)."""
    files = [(p, p.parent) for p in sorted(release.glob("*/*")) if p.is_file()]
    return files + [(p, p.parent) for p in sorted(DATA.rglob("*.md"))]


def _pattern(ref):
    return re.sub(r"<[^>]*>", "*", ref).rstrip("/")


def exists_for_student(ref, folder):
    """True if a student can open `ref` (a path or a command) from where they read it."""
    if ref.startswith("-m "):
        return ref[3:].startswith("tfcourse.") and importlib.util.find_spec(ref[3:]) is not None
    if ref.startswith("data/"):
        return any(DATA.parent.glob(_pattern(ref)))
    if "/" not in ref:  # a file name: beside the reader, or in a folder below
        return any(folder.rglob(_pattern(ref)))
    return False


def exists_in_repository(ref):
    if ref.startswith("-m "):
        return importlib.util.find_spec(ref[3:]) is not None
    if ref.startswith("tfcourse/"):
        ref = f"src/{ref}"
    return any(ROOT.glob(_pattern(ref)) if "/" in ref else ROOT.rglob(_pattern(ref)))


def unresolved(release):
    problems = []
    for path, folder in received(release):
        for paragraph in paragraphs(path):
            marked = FOR_INSTRUCTORS in paragraph.lower()
            refs = set(PATH.findall(paragraph)) | set(COMMAND.findall(paragraph))
            for ref in sorted(refs):
                if exists_for_student(ref, folder):
                    continue
                if marked and exists_in_repository(ref):
                    continue
                where = path.relative_to(release if release in path.parents else ROOT)
                problems.append(f"{where}: {ref!r}" + (" (marked, but not in the repository)"
                                                       if marked else "") + f" in: {paragraph[:160]}")
    return problems


def test_every_path_and_command_a_student_reads_exists_for_them_or_is_marked(release):
    problems = unresolved(release)
    assert not problems, "\n".join(problems)


def test_the_scan_finds_what_a_student_cannot_open(tmp_path):
    folder = tmp_path / "release" / "01_x"
    folder.mkdir(parents=True)
    (folder / "notes.md").write_text(
        "See `src/tfcourse/datasets.py` and run `python scripts/make_pretrained.py`.\n\n"
        "Load `data/reference/rnn_step.json`, run `python -m tfcourse.datasets --out data`.\n\n"
        "In the course repository, for instructors: `scripts/exposure_bias.py`.\n\n"
        "In the course repository, for instructors: `scripts/no_such_script.py`.\n")
    problems = unresolved(tmp_path / "release")
    found = sorted(p.split(": ", 1)[1].split(" in: ")[0] for p in problems
                   if p.startswith("01_x"))
    assert found == ["'scripts/make_pretrained.py'",
                     "'scripts/no_such_script.py' (marked, but not in the repository)",
                     "'src/tfcourse/datasets.py'"]
