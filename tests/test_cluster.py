"""The class grader on Dask distributed (autograder/engine/cluster.py): a real scheduler and two
worker processes on loopback grade the sample class and adversarial submissions into the same
tables as the local pool, byte for byte; a worker killed mid-run or a client stopped mid-run
loses nothing and grades nothing twice; workers that must not grade refuse, naming why."""
import copy
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

distributed = pytest.importorskip("distributed", reason="pip install -e .[cluster]")
import cloudpickle  # noqa: E402 (distributed's dependency)

from autograder import build, sample_class  # noqa: E402
from autograder.engine import cluster, grade  # noqa: E402
from autograder.engine.judge import InstructorError  # noqa: E402
from autograder.engine.sandbox import Limits  # noqa: E402
from tests import adversarial  # noqa: E402
from tests.adversarial import processing, write_class  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["01_recurrent_cells", "02_teacher_forcing"]
TIMEOUT = 20
# The threats whose handling involves what a task carries (files beside the notebook, links,
# special files, renamed or missing notebooks) or what the sandbox must still hold on a worker.
ATTACKS = [a for a in adversarial.ATTACKS if a.student in {
    "honest_reference", "honest_mistakes", "tamper_test_cells", "read_instructor_files",
    "write_outside", "network", "kill_kernel", "missing_notebook", "renamed_notebook",
    "extra_files", "corrupt_json"}] + [a for a in processing.ATTACKS if a.student in {
        "shadowing_files", "linked_extras", "link_to_source", "linked_folder", "pipe_notebook"}]


def dask_cluster(folder, workers=2, env=None):
    """A loopback scheduler and `workers` worker processes, whose preload kills the worker
    grading the student `worker_killer`; the scheduler retries a task once."""
    return cluster.loopback(folder, workers, env, [REPO / "tests" / "dask_preload.py"])


@pytest.fixture(scope="module")
def context(course_copy, tmp_path_factory):
    course = course_copy
    ctx = write_class(course, tmp_path_factory.mktemp("class"), REPO, ATTACKS)
    sample = ctx.submitted.parent / "sample"
    sample_class.write(course, ASSIGNMENTS)
    shutil.move(course / "submitted", sample)
    for student in sample.iterdir():
        shutil.copytree(student, ctx.submitted / student.name)
    ctx.sample = sample
    return ctx


@pytest.fixture(scope="module")
def local(context, tmp_path_factory):
    """OUT of the local pool (--jobs 2) grading the whole class: the tables to match."""
    out = tmp_path_factory.mktemp("local")
    grade.grade_class(context.submitted, out, context.course, jobs=2,
                      limits=Limits(timeout=TIMEOUT), quiet=True)
    return out


@pytest.fixture(scope="module")
def address(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask") / "cluster") as address:
        yield address


def rows(out, name="grades.csv", students=None):
    """The rows of a table (of `students` only, if given)."""
    with open(Path(out) / name, newline="") as f:
        table = list(csv.reader(f))
    return table[:1] + [row for row in table[1:] if students is None or row[0] in students]


def logged_units(out):
    """Each notebook's line count in grading.log."""
    counts = {}
    for line in (Path(out) / "grading.log").read_text().splitlines():
        if not line.startswith("#") and "\t" in line:
            counts[line.split("\t")[0]] = counts.get(line.split("\t")[0], 0) + 1
    return counts


def test_the_cluster_grades_the_sample_and_adversarial_class_as_the_local_pool_byte_for_byte(
        context, local, address, tmp_path, capsys):
    out = tmp_path / "out"
    started = time.time_ns()
    code = grade.main([str(context.submitted), "--out", str(out), "--course",
                       str(context.course), "--scheduler", address, "--timeout", str(TIMEOUT)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"grading on the Dask cluster at {address}; dashboard: http://" in err
    assert "notebooks [" in err and "ETA" in err  # the class's tqdm bar
    for name in ("grades.csv", "summary.csv"):
        assert (out / name).read_bytes() == (local / name).read_bytes()
    for student in ("reference", "honest_mistakes", "shadowing_files"):
        assert (out / "feedback" / student / "01_recurrent_cells" /
                "01_recurrent_cells.html").is_file()
    summary = {r["student_id"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    for attack in ATTACKS:
        assert set(filter(None, summary[attack.student]["flags"].split(";"))) == set(attack.flags)
    assert not any(context.probe.iterdir())  # nothing written outside a worker's sandbox
    from nbgrader.api import Gradebook  # the client wrote the gradebook and autograded/
    with Gradebook(f"sqlite:///{context.course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions("02_teacher_forcing")}
    assert scores == {"reference": 5, "wrong": 0, "empty": 0}
    graded = context.course / "autograded" / "reference" / "02_teacher_forcing"
    assert (graded / "02_teacher_forcing.ipynb").stat().st_mtime_ns > started


def _sample_run(context, out, address, codes):
    args = [str(context.sample), "--out", str(out), "--course", str(context.course),
            "--scheduler", address, "--timeout", str(TIMEOUT)]
    return threading.Thread(target=lambda: codes.append(grade.main(args)))


def test_a_task_carries_all_its_notebook_needs_so_workers_need_no_shared_filesystem(
        context, address, tmp_path):
    course = tmp_path / "course"  # a copy, gone before the worker sees the task
    shutil.copytree(context.course, course)
    submitted = tmp_path / "submitted"
    folder = submitted / "reference" / "01_recurrent_cells"
    shutil.copytree(context.sample / "reference" / "01_recurrent_cells", folder)
    (folder / "notes.txt").write_text("CARRIED BY THE TASK")
    nb = nbformat.read(folder / "01_recurrent_cells.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(open('notes.txt').read())"))
    nbformat.write(nb, folder / "01_recurrent_cells.ipynb")
    graded = grade.Course(course)
    [unit] = grade.discover(submitted, graded, print)
    task = cluster._task(unit, graded, Limits(timeout=TIMEOUT))
    shutil.rmtree(course)
    shutil.rmtree(submitted)
    with distributed.Client(address, set_as_default=False) as client:
        cloudpickle.register_pickle_by_value(cluster.cluster_call)
        answer = client.submit(cluster.cluster_call.call, "autograder.engine.cluster.grade_task",
                               task, cluster.environment(), False, pure=False).result()
    result = answer["result"]
    assert [v["score"] for v in result["verdicts"]] == [v["max_score"]
                                                         for v in result["verdicts"]]
    assert result["flags"] == [] and "Score: <b>8 / 8</b>" in answer["page"]
    assert "CARRIED BY THE TASK" in answer["notebook"]  # the student's file reached the kernel


def test_a_worker_killed_mid_run_loses_nothing_and_grades_nothing_twice(context, local, address,
                                                                        tmp_path):
    out, codes = tmp_path / "out", []
    run = _sample_run(context, out, address, codes)
    with distributed.Client(address, set_as_default=False) as client:
        run.start()
        victim = None
        deadline = time.monotonic() + 300
        while victim is None and run.is_alive() and time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items()
                    if any(str(k).startswith("grade-") for k in keys)]
            victim = busy[0] if busy else None
            time.sleep(0.05)
        assert victim, "no worker was ever seen grading"
        os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
        run.join(timeout=600)
        client.wait_for_workers(2, timeout=120)  # the nanny restarted it, for the next tests
    assert codes == [0]
    students = set(sample_class.STUDENTS)
    assert rows(out) == rows(local, students=students)
    assert rows(out, "summary.csv") == rows(local, "summary.csv", students)
    assert set(logged_units(out).values()) == {1}
    assert len(logged_units(out)) == len(students) * len(ASSIGNMENTS)


def test_a_client_stopped_mid_run_resumes_where_it_stopped(context, local, address, tmp_path,
                                                           capsys):
    out = tmp_path / "out"
    client = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(context.sample),
                               "--out", str(out), "--course", str(context.course), "--scheduler",
                               address, "--timeout", str(TIMEOUT)], cwd=REPO,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while len(list(out.glob(".results/*/*/*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    client.send_signal(signal.SIGINT)  # Ctrl-C
    assert client.wait(timeout=60) != 0, client.stderr.read()
    stored = {p: p.stat().st_mtime_ns for p in out.glob(".results/*/*/*.json")}
    assert 2 <= len(stored) < len(sample_class.STUDENTS) * len(ASSIGNMENTS)
    code = grade.main([str(context.sample), "--out", str(out), "--course", str(context.course),
                       "--scheduler", address, "--timeout", str(TIMEOUT)])
    assert code == 0
    assert f"{len(stored)} notebooks already graded" in capsys.readouterr().err
    assert all(p.stat().st_mtime_ns == t for p, t in stored.items())
    assert rows(out) == rows(local, students=set(sample_class.STUDENTS))


def test_a_notebook_that_kills_or_stalls_every_worker_it_meets_is_that_students_grader_error(
        context, address, tmp_path):
    submitted = tmp_path / "submitted"
    for student in ("a", "worker_killer", "worker_staller", "b"):  # no notebook: no kernel
        (submitted / student / "01_recurrent_cells").mkdir(parents=True)
    out = tmp_path / "out"
    results = {r["unit"]["student"]: r for r in cluster.grade_class(
        submitted, out, context.course, address, gradebook=False, quiet=True,
        limits=Limits(timeout=2))}  # a worker gives up on a notebook after 6 s
    assert results["a"]["flags"] == results["b"]["flags"] == ["missing"]
    for student in ("worker_killer", "worker_staller"):
        assert results[student]["flags"] == ["grader-error"]
        assert all("the Dask workers grading it died each time it was tried" in v["status"]
                   and v["score"] == 0 for v in results[student]["verdicts"])
    with distributed.Client(address, set_as_default=False) as client:  # as dask-gateway gives
        again = {r["unit"]["student"]: r for r in cluster.grade_class(
            submitted, out, context.course, client, gradebook=False, quiet=True)}
        assert again == results  # stored: not tried again (--retry-errors would)
        client.wait_for_workers(2, timeout=120)


def test_a_scheduler_lost_mid_run_stops_the_run_and_blames_no_student(context, tmp_path):
    out = tmp_path / "out"
    with dask_cluster(tmp_path / "dask", workers=1) as address:
        with distributed.Client(address, set_as_default=False) as client:
            scheduler = client.run_on_scheduler(os.getpid)
        run = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(context.sample),
                                "--out", str(out), "--course", str(context.course),
                                "--scheduler", address, "--timeout", str(TIMEOUT)], cwd=REPO,
                               stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while not list(out.glob(".results/*/*/*.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(scheduler, signal.SIGKILL)
        assert run.wait(timeout=120) == 2
    err = run.stderr.read()
    assert f"the Dask cluster at {address} failed while grading" in err
    assert "run the same command again to grade the rest" in err
    stored = [json.loads(p.read_text()) for p in out.glob(".results/*/*/*.json")]
    assert stored and not any("grader-error" in r["flags"] for r in stored)
    assert len(rows(out)) - 1 == sum(len(r["verdicts"]) for r in stored)  # tables: the graded


def test_workers_whose_environment_differs_refuse_naming_the_difference_and_nothing_is_written(
        context, address, tmp_path, monkeypatch, capsys):
    other = copy.deepcopy(cluster.environment())
    other["packages"]["numpy"] = "1.0.0"
    other["files"]["autograder/engine/judge.py"] = "0" * 64
    monkeypatch.setattr(cluster, "environment", lambda: other)
    out = tmp_path / "out"
    code = grade.main([str(context.sample), "--out", str(out), "--course", str(context.course),
                       "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("refuses to grade") == 2 and "nothing was graded" in err
    import numpy
    assert f"numpy {numpy.__version__} (the client has 1.0.0)" in err
    assert "autograder/engine/judge.py differs" in err
    assert not out.exists()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def not_dask():
    """A TCP server on loopback that answers like a web server: a wrong address."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    threading.Thread(target=answer, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


def test_an_unreachable_or_wrong_scheduler_fails_within_seconds_naming_it_and_writes_nothing(
        context, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    with not_dask() as web:
        for address, says in ((f"tcp://127.0.0.1:{_closed_port()}", "could not reach"),
                              (web, "could not reach"), ("127.0.0.1:8786", "expected a Dask")):
            started = time.monotonic()
            code = grade.main([str(context.sample), "--out", str(out), "--course",
                               str(context.course), "--scheduler", address])
            err = capsys.readouterr().err
            assert code == 2 and address in err and says in err, err
            assert time.monotonic() - started < 30
            assert not out.exists()
    unreachable = f"tcp://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", unreachable)
    assert grade.main([str(context.sample), "--out", str(out), "--course",
                       str(context.course)]) == 2
    assert f"could not reach a Dask scheduler at {unreachable}" in capsys.readouterr().err
    assert not out.exists()


def test_a_worker_that_is_not_a_scheduler_is_named_so(context, address, tmp_path):
    with distributed.Client(address, set_as_default=False) as client:
        worker = next(iter(client.scheduler_info()["workers"]))
    with pytest.raises(InstructorError, match=f"{worker} is a Dask Worker, not a scheduler"):
        cluster.grade_class(context.sample, tmp_path / "out", context.course, worker)
    assert not (tmp_path / "out").exists()


def test_a_worker_without_bubblewrap_refuses_unless_allow_no_sandbox(context, tmp_path, capsys):
    submitted = tmp_path / "submitted" / "reference"
    shutil.copytree(context.sample / "reference" / "01_recurrent_cells",
                    submitted / "01_recurrent_cells")
    env = {**os.environ, "PATH": str(tmp_path / "nothing")}  # bwrap is not found
    with dask_cluster(tmp_path / "dask", workers=1, env=env) as address:
        out = tmp_path / "out"
        args = [str(submitted.parent), "--out", str(out), "--course", str(context.course),
                "--scheduler", address, "--timeout", str(TIMEOUT)]
        assert grade.main(args) == 2
        err = capsys.readouterr().err
        assert "refuses to grade: no sandbox: bubblewrap (bwrap) is not installed" in err
        assert "--allow-no-sandbox" in err and not out.exists()
        assert grade.main(args + ["--allow-no-sandbox"]) == 0
    summary = list(csv.DictReader(open(out / "summary.csv")))
    assert [(r["student_id"], r["score"], r["flags"]) for r in summary] == [
        ("reference", "8", "no-sandbox")]


def test_a_worker_refuses_more_than_one_thread_and_a_foreign_tfcourse(monkeypatch):
    env = cluster.environment()
    assert cluster.refusal(env, False) is None
    assert "--nthreads 1" in cluster.refusal(env, False, nthreads=4)
    monkeypatch.setattr(grade, "_tfcourse_dir", lambda: Path("/elsewhere/tfcourse"))
    assert "imports tfcourse from /elsewhere/tfcourse" in cluster.refusal(env, False)


def test_the_environment_compared_is_the_packages_grading_uses_not_the_instructors_tools():
    packages = cluster.environment()["packages"]
    assert {"tfcourse", "numpy", "nbgrader", "ipykernel", "tqdm", "distributed"} <= set(packages)
    assert not {"hypothesis", "playwright", "pytest-xdist"} & set(packages)  # the test extra
    other = copy.deepcopy(cluster.environment())
    other["packages"].pop("tqdm")
    assert cluster.differences(cluster.environment(), other) == [
        f"tqdm not installed (the client has {packages['tqdm']})"]
