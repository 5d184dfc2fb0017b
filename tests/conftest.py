"""Say at the top of every run whether the comparisons with PyTorch run; build the course once.

Building the course (`autograder.build`: sources, then `nbgrader generate_assignment` for every
notebook) takes half a minute of CPU. Every test that needs a built course shares one build per
test run, made by whichever xdist worker asks first while the others wait on a file lock:

- `built_course`: the course folder as `python -m autograder build` makes it. Read it only;
- `course_copy`: a private copy of it for one test module, which grades into it (the grader
  writes autograded/, feedback/ and gradebook.db) or adds to it;
- `built_sample_course` / `sample_course`: the same with the sample class's submitted/
  (autograder.sample_class), shared (read only) / copied for each test.
"""
import shutil

import pytest

from tests.course_folders import copy_of, shared_once
from tests.torch_reference import WHY, torch


def pytest_report_header(config):
    if torch is None:
        return f"PyTorch: NOT INSTALLED. {WHY}"
    return f"PyTorch: {torch.__version__} (the independent implementation the tests compare with)"


@pytest.fixture(scope="session")
def built_course(tmp_path_factory):
    """The course folder `python -m autograder build` makes (notebooks/ left alone): read only."""
    from autograder import build
    return shared_once(tmp_path_factory, "course",
                       lambda folder: build.build(folder, notebooks=None))


@pytest.fixture(scope="module")
def course_copy(built_course, tmp_path_factory):
    """A private copy of built_course for one test module, which grades into it."""
    return copy_of(built_course, tmp_path_factory)


@pytest.fixture(scope="session")
def built_sample_course(built_course, tmp_path_factory):
    """(folder, assignment ids): the course built, with the sample class's submitted/: read only."""
    from autograder import build, sample_class

    def make(folder):
        shutil.copytree(built_course, folder, symlinks=True)
        sample_class.write(folder, build.assignments())

    return shared_once(tmp_path_factory, "sample", make), build.assignments()


@pytest.fixture
def sample_course(built_sample_course, tmp_path):
    """(folder, assignment ids): a private copy of built_sample_course to change at will."""
    folder = tmp_path / "course"
    shutil.copytree(built_sample_course[0], folder, symlinks=True)
    return folder, built_sample_course[1]
