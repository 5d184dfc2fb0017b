"""Find the course's `data/` folder from a repo checkout, an installed package or a notebook.

    from tfcourse.paths import data_dir
    data_dir() / "dates" / "train.tsv"

The folder is looked up in this order:
1. the environment variable TFCOURSE_DATA, if set (an instructor's release, a custom copy);
2. the repo's `data/` beside the package (src layout: two folders above the package);
3. a `data/` in the working directory or any folder above it (a notebook run from inside the course).
Steps 2 and 3 accept a folder only if it holds the toy tasks' folders (TASKS).
"""
import os
from pathlib import Path

ENV_VAR = "TFCOURSE_DATA"
# The folders `python -m tfcourse.datasets --out data` writes; they mark a folder as the course's data/.
TASKS = ("dates", "reverse", "addition", "keysum")
# Where an editable install or a repo checkout keeps data/ (a module attribute so tests can move it).
REPO_DATA = Path(__file__).resolve().parents[2] / "data"


def is_data_dir(path):
    """Return True if `path` is a folder holding every toy task's folder."""
    path = Path(path)
    return all((path / task).is_dir() for task in TASKS)


def data_dir():
    """Return the course's data folder as an absolute Path; raise FileNotFoundError saying how to fix."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser().resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"{ENV_VAR} is set to {env!r}, which is not a folder; point it at "
                                    f"the course's data/ folder or unset it")
        return path
    candidates = [REPO_DATA] + [folder / "data" for folder in (Path.cwd(), *Path.cwd().parents)]
    for path in candidates:
        if is_data_dir(path):
            return path.resolve()
    raise FileNotFoundError(
        f"cannot find the course's data/ folder (one holding {', '.join(TASKS)}); looked in "
        f"{REPO_DATA} and in data/ of {Path.cwd()} and every folder above it. Fix: run from inside "
        f"the course repo, or set {ENV_VAR}=/path/to/course/data, or regenerate the toy data with "
        f"`python -m tfcourse.datasets --out data` in the repo root")
