#!/usr/bin/env python3
"""Time every nbgrader source notebook (reference answers inlined) run top to bottom.

    python scripts/bench_notebooks.py [--repeat 3] [ASSIGNMENT ...]

Prints, per notebook, the wall-clock seconds of each run (nbclient, a fresh kernel each time),
the kernel's own CPU seconds, and the budget its issue sets on a 2-core machine (BUDGETS).
Figures only: the tests check that every notebook runs cleanly, and never time it, because a
wall clock on a shared machine measures the machine, not the notebook.
"""
import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder import build  # noqa: E402
from autograder.execute import error_outputs, execute  # noqa: E402

# The issues' limits for one run of a whole notebook on a 2-core machine, in seconds.
BUDGETS = {"05_training_with_teacher_forcing": 60, "07_teacher_forcing_in_language_models": 30}
DEFAULT_BUDGET = 60


def kernel_cpu_cell():
    """A last cell that prints the kernel's CPU seconds (the notebook's own work)."""
    import nbformat
    return nbformat.v4.new_code_cell("import time as _t; print('CPU', _t.process_time())")


def run_once(path):
    import nbformat
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(kernel_cpu_cell())
    timed = path.with_name("_timed_" + path.name)
    nbformat.write(nb, timed)
    try:
        nb, seconds = execute(timed, timeout=600, allow_errors=True)
    finally:
        timed.unlink()
    cpu = float(nb.cells[-1].outputs[0]["text"].split()[1]) if nb.cells[-1].outputs else float("nan")
    return seconds, cpu, error_outputs(nb)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("assignments", nargs="*", default=build.assignments())
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        build.write_sources(Path(folder))
        for a in args.assignments:
            path = Path(folder) / "source" / a / f"{a}.ipynb"
            runs = [run_once(path) for _ in range(args.repeat)]
            walls = ", ".join(f"{s:.1f}" for s, _, _ in runs)
            cpus = ", ".join(f"{c:.1f}" for _, c, _ in runs)
            errors = sum(len(e) for _, _, e in runs)
            print(f"{a}: wall {walls} s; kernel CPU {cpus} s; budget "
                  f"{BUDGETS.get(a, DEFAULT_BUDGET)} s on 2 cores"
                  + (f"; {errors} ERRORS" if errors else ""), flush=True)


if __name__ == "__main__":
    main()
