"""Tests of tfcourse.paths.data_dir: the environment variable, the repo's data/, the walk up from the cwd."""
from pathlib import Path

import pytest

from tfcourse import paths
from tfcourse.paths import TASKS, data_dir, is_data_dir

REPO = Path(__file__).resolve().parents[1]


def make_data(folder):
    for task in TASKS:
        (folder / task).mkdir(parents=True)
    return folder


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(paths.ENV_VAR, raising=False)


@pytest.fixture
def no_repo(monkeypatch, tmp_path, no_env):
    """Pretend the package is installed away from any repo (a wheel in site-packages)."""
    monkeypatch.setattr(paths, "REPO_DATA", tmp_path / "site-packages" / "data")


def test_the_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCOURSE_DATA", str(tmp_path))
    assert data_dir() == tmp_path.resolve()


def test_an_environment_variable_naming_no_folder_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCOURSE_DATA", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=r"TFCOURSE_DATA is set to '.*missing', which is not a "
                                                r"folder; point it at the course's data/ folder or unset it"):
        data_dir()


def test_an_empty_environment_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("TFCOURSE_DATA", "")
    assert data_dir() == REPO / "data"


def test_without_the_variable_the_repos_data_is_found_from_anywhere(no_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert data_dir() == REPO / "data"
    assert paths.REPO_DATA == REPO / "data"


def test_away_from_the_repo_data_is_found_by_walking_up_from_the_cwd(no_repo, tmp_path, monkeypatch):
    course = make_data(tmp_path / "course" / "data").parent
    (course / "notebooks" / "data").mkdir(parents=True)  # a data/ without the tasks is skipped
    monkeypatch.chdir(course / "notebooks")
    assert data_dir() == (course / "data").resolve()
    monkeypatch.chdir(course)
    assert data_dir() == (course / "data").resolve()


def test_nothing_found_says_how_to_fix(no_repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        data_dir()
    message = str(error.value)
    assert message.startswith("cannot find the course's data/ folder (one holding dates, reverse, addition, keysum)")
    assert str(tmp_path) in message
    assert "set TFCOURSE_DATA=/path/to/course/data" in message
    assert "`python -m tfcourse.datasets --out data`" in message


def test_is_data_dir_needs_every_task_folder(tmp_path):
    assert not is_data_dir(tmp_path)
    make_data(tmp_path)
    assert is_data_dir(tmp_path)
    (tmp_path / TASKS[-1]).rmdir()
    assert not is_data_dir(tmp_path)
