#!/usr/bin/env python3
"""Write data/reference/: the public cases behind the notebooks' visible tests.

    python scripts/make_reference_logits.py            # (re)write data/reference/*.json
    python scripts/make_reference_logits.py --check    # exit 1 if a file differs from a fresh run

For each graded function, one JSON file holds small fixed inputs (every cell type), the
reference solution's output on them, and the output of each known mistake
(autograder/mistakes*.py) on the same inputs, so that tfcourse.checks* can name a mistake
without shipping its code. The cases are defined in the case modules the build registers
(autograder/cases.py for 01-04, cases_training.py for 05, cases_transformer.py for 06,
cases_lm.py for 07); the
output is byte-identical from run to run. Hidden cases are not written here: they never
reach data/.

Each case is one forward (or backward) computation, never a training run, so its numbers agree
to 1e-12 across numpy and BLAS builds: --check allows that much (tfcourse.reproduce), and names
what differs beyond it and how this environment differs from the one recorded in
data/reference/versions.json.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.build import HIDDEN_BACKENDS  # noqa: E402
from tfcourse import reproduce  # noqa: E402

# Every graded function with public cases, and the case module that defines them.
CASE_MODULE = {name: module for module, _ in HIDDEN_BACKENDS for name in module.VISIBLE}

OUT = ROOT / "data" / "reference"
MADE_BY = "python scripts/make_reference_logits.py"


def render(name):
    """The exact text of data/reference/<name>.json."""
    reference = {**CASE_MODULE[name].public_reference(name),
                 "generated_by": reproduce.made_by(MADE_BY)}
    return json.dumps(reference, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (data/reference)")
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name in CASE_MODULE:
        path = args.out / f"{name}.json"
        text = render(name)
        if args.check:
            found = (reproduce.json_differences(json.loads(path.read_text()), json.loads(text))
                     if path.is_file() else ["missing"])
            stale += [f"{path}: {line}" for line in found[:3]]
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path} ({len(text)} bytes)")
    if not args.check:
        reproduce.record(args.out, MADE_BY)
    if stale:
        made = reproduce.differences(reproduce.recorded(args.out)) or "the one recorded"
        print("differ from a fresh run by more than 1e-12 (run python scripts/make_reference_logits.py"
              f"):\n  " + "\n  ".join(stale) + f"\nenvironment: {made}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
