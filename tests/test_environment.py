"""environment.yml (conda) and pyproject.toml (pip) install the same packages, and CI tests the
Python range they and the README state."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import tasks

ROOT = Path(__file__).resolve().parents[1]


def _split(requirement):
    """'Foo_Bar>=1.2,<2' -> ('foo-bar', '>=1.2,<2'), names normalised as pip does."""
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement).groups()
    return re.sub(r"[-_.]+", "-", name).lower(), spec.replace(" ", "")


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pip_deps = dict(map(_split, pyproject["project"]["dependencies"]))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_deps = dict(_split(dep) for dep in env["dependencies"]
                      if isinstance(dep, str) and _split(dep)[0] not in {"python", "pip"})
    assert conda_deps == pip_deps


def test_environment_yml_and_pyproject_agree_on_the_python_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = [dep for dep in env["dependencies"] if isinstance(dep, str) and dep.startswith("python")]
    assert python == ["python" + pyproject["project"]["requires-python"]]


def test_environment_yml_installs_the_course_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    assert "-e ." in pip_section


def test_ci_runs_both_ends_of_the_python_range_the_readme_and_pyproject_state():
    oldest, newest = tasks.SUPPORTED_PYTHONS
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={oldest}"
    readme = (ROOT / "README.md").read_text()
    assert f"Python {oldest}, 3.12 or {newest} (and nothing else)" in readme
    assert f"on Python {oldest} and on {newest}, the two ends of the supported range" in readme
    assert "exec python3 tasks.py ci" in (ROOT / ".ci" / "run").read_text()


def test_find_python_finds_this_interpreter_and_nothing_that_is_not_installed():
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = tasks.find_python(here)
    version = subprocess.run([found, "-c", "import sys; print(sys.version)"], capture_output=True,
                             text=True).stdout
    assert version.startswith(here + ".")
    assert tasks.find_python("2.99") is None


def test_no_test_module_needs_torch_to_be_collected():
    """Where torch is not installed (Python 3.12+, see pyproject.toml) every module must still
    load, so that only the comparisons with PyTorch skip: they take torch from tests.torch_reference."""
    for path in sorted((ROOT / "tests").glob("*.py")):
        top_level = re.findall(r"^(?:import torch|from torch\b)", path.read_text(), re.M)
        assert path.name == "torch_reference.py" or not top_level, (
            f"{path.name} imports torch at the top: use `from tests.torch_reference import "
            "needs_torch, torch` and mark the tests that need it @needs_torch")


def test_the_test_command_installs_the_cluster_extra_and_students_get_tqdm_alone():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "cluster" in tasks.EXTRAS["test"] and "cluster" not in tasks.EXTRAS["main"]
    assert [_split(r)[0] for r in pyproject["project"]["optional-dependencies"]["cluster"]] == [
        "distributed"]
    assert "tqdm" in dict(map(_split, pyproject["project"]["dependencies"]))
    assert "pip install -e .[cluster]" in (ROOT / "environment.yml").read_text()
