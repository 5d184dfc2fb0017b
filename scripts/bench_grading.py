"""Benchmark the class grader against plain sequential `nbgrader autograde`, in one run.

    python scripts/bench_grading.py [--students 50] [--jobs N] [--bare 6]
    python scripts/bench_grading.py --scheduler tcp://HOST:8786|local [--students 6]

Builds the course into a temporary folder, writes a synthetic class of every notebook, then
times on the same submissions. Students cycle through four kinds (synthetic_class):

    0  every graded function answered with the reference solution;
    1  one graded function answered WRONG, the rest right: a reviewer's wrong answer of
       autograder/heldout (WRONG_ANSWERS, one per assignment), inlined into the stub as a
       student writes it. It returns wrong values on hidden cases, so the grader matches the
       mutants against it (and names the mistake) exactly as for a real class;
    2  the first graded function left as its stub (it raises: nothing to match), the rest right;
    3  the release as is (every stub raises).

Then it times:

1. plain `nbgrader autograde <assignment>` for every assignment, one notebook at a time
   (student code in the instructor's kernel, no sandbox: the baseline);
2. `python -m autograder grade` (autograder.engine.grade.grade_class) with --jobs N (default: cores),
   after the grader's self-check of the fresh build (timed apart: it runs once per course build);
3. a bare kernel start plus execution of the same notebooks (nbclient, no sandbox, no
   nbgrader, no judge) on a sample of --bare notebooks, one at a time.

It prints seconds per notebook for each, the speed-up of (2) over (1), and the overhead of the
grader's per-notebook work over (3).

With --scheduler it times the cluster path instead (autograder.engine.cluster): the same class
graded by the local pool with --jobs 1 and 2, and on the cluster's first 1 and 2 workers (each
one thread), alternately; it prints notebooks per second of each and the cluster's overhead per
notebook over the local pool with as many processes (target: at most 10%). `local` starts a
scheduler and two workers on this machine's loopback (as `dask scheduler` / `dask worker` do).

A benchmark, not a test: figures depend on the machine and on whatever else it is running (the
load average is printed beside them).
"""
import argparse
import contextlib
import copy
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import heldout  # noqa: E402
from autograder.build import build, run_nbgrader  # noqa: E402
from autograder.engine.grade import Course, grade_class, self_check  # noqa: E402
from autograder.engine.sandbox import Limits, _environment, sandbox_status  # noqa: E402
from autograder.sample_class import fill_stub  # noqa: E402

# nbgrader's own exporter, in place of the course's RefuseAutograde (autograder/build.py).
UNSAFE_AUTOGRADE = "--Autograde.exporter_class=nbconvert.exporters.NotebookExporter"


# assignment -> (graded function, slug): the wrong answer of kind-1 students, one of the
# reviewer's (autograder/heldout), chosen among the notebook's main functions: it returns wrong
# values on the hidden cases and the grader names its mistake (tests/test_bench_grading.py).
WRONG_ANSWERS = {
    "01_recurrent_cells": ("rnn_step", "sigmoid"),
    "02_teacher_forcing": ("decoder_forward_teacher_forcing", "no_shift"),
    "03_free_running_and_exposure_bias": ("decoder_forward_free_running", "never_feeds_back"),
    "04_scheduled_sampling": ("decoder_forward_scheduled_sampling", "coin_at_step0"),
    "05_training_with_teacher_forcing": ("decoder_backward_teacher_forcing", "no_carry"),
    "06_teacher_forcing_in_transformers": ("transformer_decoder_forward", "no_residual"),
    "07_teacher_forcing_in_language_models": ("generate", "temperature_multiplies"),
}
KINDS = ("reference", "one wrong answer", "one stub", "release as is")


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def submission(course, release, kind):
    """The notebook a student of `kind` (0-3, the module's docstring) submits for `release`."""
    assignment = release.parent.name
    source = nbformat.read(course / "source" / assignment / release.name, as_version=4)
    answers = {_gid(c): c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    wrong, slug = WRONG_ANSWERS[assignment]
    stub = next(iter(answers))
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        gid = _gid(cell)
        if gid not in answers or kind == 3 or (kind == 2 and gid == stub):
            continue
        if kind == 1 and gid == wrong:
            cell.source = fill_stub(cell.source, heldout.stub_body(wrong, slug))
        else:
            cell.source = answers[gid]
    return nb


def synthetic_class(course, submitted, students):
    """Write `students` submissions of every notebook, student n of kind n % 4; return the
    number of notebooks."""
    count = 0
    for release in sorted((course / "release").glob("*/*.ipynb")):
        for n in range(students):
            folder = submitted / f"student{n:03d}" / release.parent.name
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(submission(course, release, n % len(KINDS)), folder / release.name)
            count += 1
    return count


def time_nbgrader(course, submitted):
    """Seconds for plain nbgrader autograde of every assignment (in a copy of the course)."""
    plain = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    shutil.copytree(course, plain, dirs_exist_ok=True)
    shutil.copytree(submitted, plain / "submitted")
    start = time.perf_counter()
    for assignment in sorted(p.name for p in (course / "release").iterdir()):
        # The course turns plain autograde off (unsandboxed); the benchmark measures it on
        # synthetic submissions of known content, so it turns it back on for this run only.
        run_nbgrader(plain, "autograde", assignment, "--force", UNSAFE_AUTOGRADE)
    seconds = time.perf_counter() - start
    shutil.rmtree(plain, ignore_errors=True)
    return seconds


def bare_run(course, path):
    """(the executed notebook, seconds) of a bare kernel start plus execution of the notebook at
    `path` (nbclient, no sandbox), in a folder holding its assignment's release files
    (given.py, ...), as the grader's kernel has them: beside the submission alone, `from given
    import ...` fails and every later cell with it, in milliseconds, no baseline at all. Its
    BLAS runs on one thread, as in the grader's sandbox (measured on a busy 2-core machine,
    load 8: 07's reference notebook took 11-16 s with OpenBLAS's default threads, 7.4-7.9 s
    on one)."""
    from nbclient import NotebookClient
    threads = {k: v for k, v in _environment("", "", "").items() if k.endswith("_NUM_THREADS")}
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as folder:
        shutil.copytree(course / "release" / path.parent.name, folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.ipynb"))
        start = time.perf_counter()
        NotebookClient(nb, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": folder}}).execute(
                           env={**os.environ, **threads})
        return nb, time.perf_counter() - start


def time_bare(course, submitted, sample):
    """{notebook path: seconds} of bare_run, one at a time, for `sample` notebooks spread evenly
    over the class."""
    paths = sorted(submitted.rglob("*.ipynb"))
    return {str(path): bare_run(course, path)[1]
            for path in paths[::max(1, len(paths) // sample)][:sample]}


def bench_cluster(course, submitted, n, scheduler, work):
    """Time the local pool and the cluster with 1 and 2 processes; print what it measured."""
    from autograder.engine import cluster
    graded = Course(course)
    self_check(graded, [(a, nb) for a, names in graded.notebooks.items() for nb in names],
               Limits())  # once, before any timing (it is cached afterwards)
    with (cluster.loopback(work / "dask", 2) if scheduler == "local"
          else contextlib.nullcontext(scheduler)) as address:
        probe = cluster.connect(address, quiet=True)
        workers = sorted(probe.client.scheduler_info()["workers"])
        probe.close()
        if len(workers) < 2:
            raise SystemExit(f"{address} has {len(workers)} workers; the benchmark needs 2")
        seconds, inner = {}, {}
        for k in (1, 2):
            for path in ("local", "cluster"):
                load = os.getloadavg()[0]
                run = None if path == "local" else cluster.connect(address, quiet=True,
                                                                   workers=workers[:k])
                start = time.perf_counter()
                results = grade_class(submitted, work / f"out-{path}-{k}", course, jobs=k,
                                      limits=Limits(), force=True, quiet=True, run=run)
                seconds[path, k] = time.perf_counter() - start
                if run:
                    run.close()
                inner[path, k] = statistics.mean(r["seconds"] for r in results)
                print(f"{path:7s} {k} {'process' if k == 1 else 'processes'}: "
                      f"{seconds[path, k]:7.1f} s  {n / seconds[path, k]:.3f} notebooks/s  "
                      f"{seconds[path, k] / n * k:.2f} s/notebook per process (grading "
                      f"itself {inner[path, k]:.2f} s; load {load:.1f})", flush=True)
    # The machine's load moves both figures; the time around each notebook's grading (reading,
    # sending, storing, waiting), as a share of the grading itself, moves less.
    for k in (1, 2):
        overhead = seconds["cluster", k] / seconds["local", k] - 1
        around = {p: seconds[p, k] * k / n / inner[p, k] for p in ("local", "cluster")}
        print(f"cluster overhead per notebook over the local pool, {k} worker(s): "
              f"{overhead:+.1%} of wall time; {around['cluster'] / around['local'] - 1:+.1%} "
              f"relative to the grading itself (wall per notebook / grading time: local "
              f"{around['local']:.3f}, cluster {around['cluster']:.3f}) (target <= +10%)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=None,
                        help="class size (default 50; 6 with --scheduler)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--bare", type=int, default=12, help="notebooks timed bare (default 12)")
    parser.add_argument("--scheduler", help="time the cluster path on this Dask scheduler "
                        "(tcp://HOST:8786), or on a loopback one it starts (`local`)")
    args = parser.parse_args(argv)
    args.students = args.students or (6 if args.scheduler else 50)
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    course, submitted = work / "course", work / "submitted"
    print(f"building the course in {course} ...", flush=True)
    build(course, notebooks=None)
    n = synthetic_class(course, submitted, args.students)
    print(f"{n} notebooks ({args.students} students x {n // args.students} notebooks; students "
          f"cycle through: {', '.join(KINDS)}); "
          f"{os.cpu_count()} cores; sandbox: {sandbox_status() or 'bubblewrap'}", flush=True)
    if args.scheduler:
        bench_cluster(course, submitted, n, args.scheduler, work)
        shutil.rmtree(work, ignore_errors=True)
        return 0

    load = os.getloadavg()[0]
    t_plain = time_nbgrader(course, submitted)
    print(f"nbgrader autograde, sequential: {t_plain:7.1f} s  {t_plain / n:5.2f} s/notebook "
          f"(load {load:.1f})", flush=True)

    load = os.getloadavg()[0]
    start = time.perf_counter()
    # Once per course build (cached by fingerprint), before any class: timed apart from the class.
    graded = Course(course)
    self_check(graded, [(a, n) for a, names in graded.notebooks.items() for n in names],
               Limits(), args.jobs)
    t_check = time.perf_counter() - start
    print(f"grader's self-check (the reference solutions, once per course build): {t_check:.1f} s "
          f"(load {load:.1f})", flush=True)

    load = os.getloadavg()[0]
    start = time.perf_counter()
    results = grade_class(submitted, work / "out", course, jobs=args.jobs, limits=Limits(),
                          force=True, quiet=True)
    t_ours = time.perf_counter() - start
    per = [r["seconds"] for r in results]
    print(f"autograder grade --jobs {args.jobs}:  {t_ours:7.1f} s  {t_ours / n:5.2f} s/notebook "
          f"(load {load:.1f}); each notebook took {statistics.mean(per):.2f} s in its worker",
          flush=True)

    load = os.getloadavg()[0]
    bare = time_bare(course, submitted, args.bare)
    ours = {r["unit"]["path"]: r["seconds"] for r in results}
    same = [ours[p] for p in bare if p in ours] or list(ours.values())
    print(f"bare kernel start + execution: {statistics.mean(bare.values()):.2f} s/notebook "
          f"(one at a time, {len(bare)} notebooks spread over the class, load {load:.1f}); "
          f"the grader's worker took {statistics.mean(same):.2f} s on the same notebooks "
          f"(two at a time)")
    print(f"\nspeed-up over sequential nbgrader autograde: {t_plain / t_ours:.2f}x "
          f"(goal >= 1.8x on 2 cores); {t_plain / (t_ours + t_check):.2f}x counting the "
          f"self-check of a fresh build")
    overhead = statistics.mean(same) - statistics.mean(bare.values())
    print(f"overhead per notebook over a bare kernel start + execution: {overhead:+.2f} s "
          f"({overhead / statistics.mean(bare.values()):+.0%}): sandbox, judge harness, feedback, "
          f"results, and sharing 2 cores with the other worker")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
