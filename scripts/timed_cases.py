"""Measure the margins of the timed hidden cases (autograder/cases_training.py TIMED) against
the grader's limit (autograder.engine.judge.TIMED_SECONDS).

    python scripts/timed_cases.py [--runs 5]

1. The analytic pass as the grader times it: notebook 05's reference answers graded in the
   sandbox (the graded functions' cells and the grader's cells only, as in the clean rerun),
   --runs times; the seconds each timed cell took on the grader's clock, send to answer, with
   the inputs' transfer and the result's packing included. Goal: at most 1/20 of the limit.
2. Finite differences as fast as a student could write them: centred differences, one entry
   at a time as tfcourse.gradcheck.numerical_gradient does, through a lean numpy forward (no
   argument checks); the best of many forward calls times two calls per entry. Goal: at least
   50 times the limit.

A benchmark, not a test: figures depend on the machine and its load (printed beside them).
"""
import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in the sandbox's kernel
os.environ.setdefault("OMP_NUM_THREADS", "1")
import nbformat  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solutions  # noqa: E402
from autograder import build  # noqa: E402
from autograder.cases_training import TIMED, make_args  # noqa: E402
from autograder.engine import judge  # noqa: E402
from autograder.engine.sandbox import Limits, run_notebook  # noqa: E402
from tfcourse.lm_measure import _best  # noqa: E402 (best-of-n seconds of a call)

NOTEBOOK = "05_training_with_teacher_forcing"


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def lean_gru(x, h, p):
    """One GRU step (tfcourse.contract's gates) with nothing but the arithmetic."""
    H = h.shape[-1]
    a, b = x @ p["W_x"] + p["b_x"], h @ p["W_h"] + p["b_h"]
    r, z = _sigmoid(a[..., :H] + b[..., :H]), _sigmoid(a[..., H:2 * H] + b[..., H:2 * H])
    return (1 - z) * np.tanh(a[..., 2 * H:] + r * b[..., 2 * H:]) + z * h


def finite_differences(name):
    """(entries to perturb, seconds of one lean forward of the loss) for the timed case."""
    upstream, cache = make_args(name, dict(TIMED[name], seed=700))
    if name == "gru_step_backward":
        p = cache.params
        entries = cache.x.size + cache.h_prev.size + sum(v.size for v in p.values())
        return entries, _best(lambda: np.sum(lean_gru(cache.x, cache.h_prev, p) * upstream), 30)
    p = cache.params
    T = cache.inputs.shape[-2]
    h0 = np.zeros(cache.hidden.shape[:-2] + cache.hidden.shape[-1:])
    keys = ("W_x", "W_h", "b_x", "b_h", "W_y", "b_y")
    entries = cache.inputs.size + h0.size + sum(p[k].size for k in keys)

    def loss():
        h, total = h0, 0.0
        for t in range(T):
            h = lean_gru(cache.inputs[..., t, :], h, p)
            total += np.sum((h @ p["W_y"] + p["b_y"]) * upstream[..., t, :])
        return total
    return entries, _best(loss, 10)


def graded_seconds(runs):
    """{function: [seconds of its timed cell, per run]} for the reference answers."""
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        build.write_sources(course)
        build.generate_release(course, [NOTEBOOK])
        source = course / "source" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
        release = course / "release" / NOTEBOOK
        spec = judge.load_spec(source, release / f"{NOTEBOOK}.ipynb")
        nb, _ = judge.assemble(nbformat.read(source, as_version=4), spec)
        nb = judge.judge_only(nb, spec)
        names = [name for _key, _m, name, inputs in judge.jobs(spec) if inputs.get("timed")]
        folder = Path(tmp) / "submission"
        folder.mkdir()
        for path in release.iterdir():
            if path.is_file() and path.suffix != ".ipynb":
                shutil.copy(path, folder)
        seconds = {name: [] for name in names}
        for _ in range(runs):
            result = run_notebook(nb, folder, Limits(timeout=300))
            verdicts = judge.judge(spec, result)
            failed = [v.status for v in verdicts if v.status != "passed"]
            assert not failed, failed
            for number, name in enumerate(names):
                seconds[name].append(result.timed[number][0])
        return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    limit = judge.TIMED_SECONDS
    print(f"limit (judge.TIMED_SECONDS): {limit:g} s; load average {os.getloadavg()[0]:.1f}")
    graded = graded_seconds(args.runs)
    for name, sizes in TIMED.items():
        entries, forward = finite_differences(name)
        fd = 2 * entries * forward
        worst = max(graded[name])
        print(f"{name} {sizes}: analytic, timed by the grader: median "
              f"{np.median(graded[name]) * 1e3:.0f} ms, worst {worst * 1e3:.0f} ms of {args.runs} "
              f"= limit/{limit / worst:.0f}; finite differences: {entries} entries x 2 x "
              f"{forward * 1e6:.0f} us = {fd:.0f} s = {fd / limit:.0f} x limit")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
