"""environment.yml (conda) and pyproject.toml (pip) must install the same packages."""
import re
import tomllib
from pathlib import Path

import yaml

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
