"""Course folders for the tests of the instructor's commands: a built course with the sample
class's submissions (built once per test process, copied for each test), and a snapshot to prove
that a refused command wrote nothing."""
import hashlib
import shutil
from pathlib import Path

import pytest

from autograder import build, sample_class


@pytest.fixture(scope="session")
def built_sample_course(tmp_path_factory):
    """(folder, assignment ids): the course built, with the sample class's submitted/."""
    folder = tmp_path_factory.mktemp("sample") / "course"
    ids = build.build(folder, notebooks=None)
    sample_class.write(folder, ids)
    return folder, ids


@pytest.fixture
def sample_course(built_sample_course, tmp_path):
    """(folder, assignment ids): a private copy of built_sample_course to change at will."""
    folder = tmp_path / "course"
    shutil.copytree(built_sample_course[0], folder)
    return folder, built_sample_course[1]


def snapshot(folder):
    """Every file under `folder` with a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}
