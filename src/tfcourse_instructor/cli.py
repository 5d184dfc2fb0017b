"""`tfcourse-grade`: the course's sandboxed grader as a command that runs from any folder.

    tfcourse-grade SUBMITTED --out OUT --course COURSE [--jobs N] [--timeout S] [--force]
                   [--retry-errors] [--scheduler tcp://HOST:8786 [--allow-no-sandbox]]

It is `python -m autograder grade` in the course repository, for instructors: the clone this
package is installed from in editable mode (`pip install -e CLONE`, which `python3 tasks.py
main` does). The grader needs the clone's solutions/ and autograder/, which are never
installed, so that a student image built with `pip install .` holds no answers. From such an
install it says so and exits 2.
"""
import sys
from pathlib import Path

CLONE = Path(__file__).resolve().parents[2]


def grade(argv=None):
    """Entry point of `tfcourse-grade`; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if not (CLONE / "autograder" / "__main__.py").is_file() or not (CLONE / "solutions").is_dir():
        print(f"tfcourse-grade: this installation ({Path(__file__).parent}) has no grader: it "
              f"runs from a clone of the course repository installed with `pip install -e "
              f"CLONE` (in the course repository, for instructors, python3 tasks.py main does "
              f"it). Use that clone's .venv/bin/tfcourse-grade.",
              file=sys.stderr)
        return 2
    sys.path.insert(0, str(CLONE))
    from autograder.__main__ import main
    return main(["grade", *argv])
