"""Grade a class on a Dask cluster: each notebook graded on a worker exactly as the local pool
grades it, every file written by the client.

    python -m autograder grade SUBMITTED --out OUT --course DIR --scheduler tcp://HOST:8786

The client (the instructor's command) does everything that touches the course folder, the
submissions and OUT. For each notebook it reads the submission once (no link followed, bounded,
as locally: grade.read_submission, grade.student_files) and sends a task carrying everything the
notebook needs: the student's notebook and plain files, its assignment's source and release
notebooks and release files, and the client's environment. No shared filesystem is needed.

A worker grades the task with grade.grade_unit, the local path itself (sandbox, limits, judge,
feedback page), in a private temporary copy of the assignment, and returns the result; the client
stores it atomically the moment it comes back, so an interrupted client resumes where it stopped.
A worker lost mid-task is Dask's to retry on another worker; a notebook whose tasks keep killing
workers (the scheduler's `distributed.scheduler.allowed-failures`, 3 by default) becomes that
student's `grader-error`.

Before grading, every worker checks itself and refuses loudly, naming what is wrong: no
bubblewrap (unless --allow-no-sandbox), more than one thread, a Python, package or course file
(the grader, src/tfcourse, data/) that differs from the client's. A worker joining later checks
itself before its first task.
"""
import asyncio
import atexit
import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import CancelledError
from dataclasses import asdict
from pathlib import Path

from autograder.engine import cgroup, cluster_call, grade
from autograder.engine.judge import InstructorError
from autograder.engine.sandbox import Limits, sandbox_status

CONNECT_TIMEOUT = 5  # seconds to reach the scheduler before giving up
# Files that decide a grade besides the task's notebooks: the grader's code, the helpers and the
# data the sandbox binds ({folder: glob}). A worker whose copy differs would grade differently.
COURSE_FILES = {"autograder": "*.py", "src/tfcourse": "*", "data": "*"}
MAX_DIFFERENCES = 8  # differences named in a refusal


# ----------------------------------------------------------------------------- the environment

_ENVIRONMENT = []


def _normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _course_packages():
    """The packages grading can use: the course's dependencies and its [cluster] extra
    (pyproject.toml), and theirs, recursively, as installed here. Others (dask-jobqueue on the
    instructor's machine only, say) do not matter."""
    import tomllib
    from packaging.requirements import Requirement
    project = tomllib.loads((grade.REPO / "pyproject.toml").read_text())["project"]
    todo = [Requirement(text) for text in [f"{project['name']}[cluster]", *project["dependencies"],
                                           *project["optional-dependencies"]["cluster"]]]
    seen = set()
    while todo:
        wanted = todo.pop()
        if _normal(wanted.name) in seen:
            continue
        seen.add(_normal(wanted.name))
        try:
            requires = importlib.metadata.distribution(wanted.name).requires or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in map(Requirement, requires):
            if requirement.marker is None or any(requirement.marker.evaluate({"extra": extra})
                                                 for extra in wanted.extras or [""]):
                todo.append(requirement)
    return seen


def environment():
    """What every worker must share with the client: Python, the versions of the packages
    grading uses ("not installed" if missing), the grader's version and the course's files
    ({relative path: sha256}). Computed once per process."""
    if not _ENVIRONMENT:
        packages = {}
        for name in sorted(_course_packages()):
            try:
                packages[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                packages[name] = "not installed"
        files = {}
        for top, pattern in COURSE_FILES.items():
            for path in sorted((grade.REPO / top).rglob(pattern)):
                if path.is_file() and "__pycache__" not in path.parts:
                    files[str(path.relative_to(grade.REPO))] = hashlib.sha256(
                        path.read_bytes()).hexdigest()
        _ENVIRONMENT.append({
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "grader": grade.GRADER_VERSION, "packages": packages, "files": files})
    return _ENVIRONMENT[0]


def differences(client, worker):
    """What differs between the client's environment and a worker's, in words (first ones)."""
    found = []
    for key in ("python", "grader"):
        if client[key] != worker[key]:
            found.append(f"{key} {worker[key]} (the client has {client[key]})")
    for name in sorted(set(client["packages"]) | set(worker["packages"])):
        mine, theirs = client["packages"].get(name), worker["packages"].get(name)
        if mine != theirs:
            found.append(f"{name} {theirs or 'not installed'} (the client has "
                         f"{mine or 'none'})")
    for path in sorted(set(client["files"]) | set(worker["files"])):
        mine, theirs = client["files"].get(path), worker["files"].get(path)
        if mine != theirs:
            found.append(f"{path} " + ("missing" if theirs is None else "only on the worker"
                                       if mine is None else "differs"))
    if len(found) > MAX_DIFFERENCES:
        found[MAX_DIFFERENCES:] = [f"and {len(found) - MAX_DIFFERENCES} more"]
    return found


def refusal(client_env, allow_no_sandbox, nthreads=1):
    """Why this worker process must not grade for a client of `client_env`, or None."""
    status = sandbox_status()
    if status and not allow_no_sandbox:
        return (f"no sandbox: {status}. Student code would run unconfined on this worker; "
                f"install bubblewrap here (or, knowingly, grade with --allow-no-sandbox)")
    if nthreads != 1:
        return (f"it runs {nthreads} threads; a grading worker grades one notebook at a time: "
                f"start it with --nthreads 1 (and --nworkers N for N notebooks at once)")
    found, wanted = grade._tfcourse_dir(), grade.REPO / "src" / "tfcourse"
    if found != wanted:
        return (f"its Python ({sys.executable}) imports tfcourse from {found}, but the sandbox "
                f"gives kernels {wanted}: `{sys.executable} -m pip install -e {grade.REPO}`")
    diff = differences(client_env, environment())
    if diff:
        return ("its course or Python environment differs from the client's (install the same "
                "commit of the course and the same packages on every worker): "
                + "; ".join(diff))
    return None


_CHECKED = {}


def _check_worker(client_env, allow_no_sandbox, worker):
    """None if this `worker` may grade for the client, else why not (checked once)."""
    key = (hashlib.sha256(repr(sorted(client_env.items())).encode()).hexdigest(),
           allow_no_sandbox)
    if key not in _CHECKED:
        why = refusal(client_env, allow_no_sandbox, worker.state.nthreads)
        _CHECKED[key] = why and (f"the Dask worker {worker.address} on {socket.gethostname()} "
                                 f"refuses to grade: {why}")
    return _CHECKED[key]


def preflight(client_env, allow_no_sandbox, dask_worker=None):
    """Run on every worker (Client.run) before grading: None, or why it refuses."""
    return _check_worker(client_env, allow_no_sandbox, dask_worker)


# ----------------------------------------------------------------------------- on a worker

_COURSES = {}
_LOCK = threading.Lock()


def _course(files):
    """A Course in a private temporary folder holding `files` ({relative path: bytes}: one
    assignment's source and release), made once per worker process."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\0{len(files[rel])}\0".encode() + files[rel])
    key = digest.hexdigest()
    with _LOCK:
        if key not in _COURSES:
            folder = Path(tempfile.mkdtemp(prefix="autograder-course-"))
            atexit.register(shutil.rmtree, folder, True)
            for rel, data in files.items():
                path = folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            _COURSES[key] = grade.Course(folder)
        return _COURSES[key]


def grade_task(task, client_env, allow_no_sandbox):
    """A worker's job: grade one notebook as the local pool does; return {"result", "page",
    "notebook"} for the client to store, {"error": what failed} (the client stores that
    notebook's grader-error), or {"refused": why} if this worker must not grade."""
    from distributed import get_worker
    refused = _check_worker(client_env, allow_no_sandbox, get_worker())
    if refused:
        return {"refused": refused}
    step = "confining the worker"
    limits = Limits(**task["limits"])
    # As the local pool gives up on a worker: past its budget this worker process ends, so that
    # Dask retries the notebook elsewhere and, if it stalls every worker, marks it grader-error.
    watchdog = threading.Timer(grade._budget(limits), _give_up,
                               (task["unit"], grade._budget(limits)))
    watchdog.daemon = True
    watchdog.start()
    try:
        cgroup.confine_worker()
        step = "unpacking the course"
        course = _course(task["course"])
        step = "grading it"
        unit = grade.Unit(**task["unit"])
        result = grade.grade_unit(unit, course, limits, tuple(task["submission"]),
                                  task["files"])
        result["fingerprint"] = task["fingerprint"]
        step = "rendering the feedback"
        page, notebook = grade.rendered(result)
        return {"result": result, "page": page, "notebook": notebook}
    except Exception as exc:  # a grader bug must cost this notebook only, and say so
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}, while {step} on the Dask "
                         f"worker {socket.gethostname()}"}
    finally:
        watchdog.cancel()


def _give_up(unit, budget):
    """End this worker process: it has spent more than `budget` seconds on one notebook."""
    print(f"autograder: grading {unit['student']}/{unit['assignment']}/{unit['notebook']} took "
          f"more than {budget:g} s; this worker stops so that Dask retries it elsewhere",
          file=sys.stderr, flush=True)
    os._exit(70)


# ----------------------------------------------------------------------------- on the client

def _assignment_files(course, assignment, notebook):
    """{relative path: bytes}: what a worker needs of the course to grade `notebook`."""
    files = {}
    for part in ("source", "release"):
        path = course.path / part / assignment / f"{notebook}.ipynb"
        files[f"{part}/{assignment}/{notebook}.ipynb"] = path.read_bytes()
    release = course.path / "release" / assignment
    for path in sorted(release.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb":
            files[str(path.relative_to(course.path))] = path.read_bytes()
    return files


def _task(unit, course, limits):
    """Everything a worker needs to grade `unit`, read here once."""
    submission = grade.read_submission(unit)
    spec = grade._spec(course, unit.assignment, unit.notebook)
    return {"unit": asdict(unit), "limits": asdict(limits), "submission": submission,
            "files": grade.student_files(unit, spec) if submission[0] is not None else ([], []),
            "fingerprint": grade.fingerprint(unit, course, grade.content(submission)),
            "course": _assignment_files(course, unit.assignment, unit.notebook)}


def _import_failed(exc):
    """Whether `exc` says a worker could not import the grader (raised there or while it read
    the task: then Dask passes the message only)."""
    return isinstance(exc, ImportError) or "No module named 'autograder" in str(exc)


def _unusable(worker, exc):
    """Why `worker` (its address) failed to run the grader's own code."""
    if _import_failed(exc):
        return (f"the Dask worker {worker} cannot import the course's grader ({exc}): start it "
                f"with `--preload tfcourse_instructor.dask_worker` in an environment where the "
                f"course is installed (pip install -e CLONE[cluster])")
    return f"the Dask worker {worker} failed its check: {type(exc).__name__}: {str(exc)[:300]}"


class Cluster:
    """The client's side: `run` grades units on the cluster (grade.grade_class's `run`)."""

    def __init__(self, client, address, allow_no_sandbox, quiet, workers=None):
        self.client, self.address, self.workers = client, address, workers
        self.allow_no_sandbox, self.quiet = allow_no_sandbox, quiet
        self.env = environment()
        self.where = (f"on the Dask cluster at {address}; sandbox: checked by each worker"
                      f"{' (--allow-no-sandbox)' if allow_no_sandbox else ''}")

    def check_workers(self):
        """Raise InstructorError naming every worker that refuses to grade."""
        answers = self.client.run(preflight, self.env, self.allow_no_sandbox, on_error="return",
                                  workers=self.workers)
        refused = [why if not isinstance(why, BaseException) else _unusable(worker, why)
                   for worker, why in answers.items() if why]
        if refused:
            raise InstructorError("\n  ".join(["nothing was graded:"] + refused))
        if not answers and not self.quiet:
            print(f"no worker is connected to {self.address} yet: the notebooks wait for one",
                  file=sys.stderr, flush=True)

    def _window(self):
        """How many notebooks to keep submitted: two per worker thread, at least 4 (so the
        client holds a bounded number of submissions in memory)."""
        return max(4, 2 * sum(self.client.nthreads(self.workers).values()))

    def __call__(self, todo, course, limits, out, jobs=None):
        """Yield each unit's stored result as it comes back from the cluster."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        pending, running = list(todo), {}
        futures = as_completed(loop=self.client.loop)
        args = (str(course.path), course.db_url, str(out))
        checked = time.monotonic()
        window = self._window()
        try:
            while pending or running:
                while pending and len(running) < window:
                    unit = pending.pop(0)
                    try:
                        task = _task(unit, course, limits)
                    except Exception as exc:
                        yield grade.grader_error(unit, *args, f"{type(exc).__name__}: "
                                                 f"{str(exc)[:300]}, while reading it")
                        continue
                    future = self.client.submit(
                        cluster_call.call, f"{__name__}.grade_task", task, self.env,
                        self.allow_no_sandbox, pure=False, key=f"grade-{uuid.uuid4().hex}",
                        workers=self.workers, allow_other_workers=False)
                    running[future] = unit
                    futures.add(future)
                if not running:
                    continue
                future = next(futures)
                unit = running.pop(future)
                try:
                    answer = future.result()
                except KilledWorker as exc:
                    answer = {"error": f"the Dask workers grading it died each time it was "
                                       f"tried ({exc})"}
                except Exception as exc:
                    if _import_failed(exc):
                        answer = {"refused": _unusable("", exc)}
                    elif isinstance(exc, (CancelledError, OSError, TimeoutError)):
                        # the cluster failed, not this notebook: no student is marked for it
                        answer = {"refused": f"the Dask cluster at {self.address} failed while "
                                             f"grading {unit.key} ({type(exc).__name__}: "
                                             f"{str(exc)[:300]})"}
                    else:
                        answer = {"error": f"{type(exc).__name__}: {str(exc)[:300]}, on the "
                                       f"cluster"}
                finally:
                    future.release()
                if "refused" in answer:
                    raise InstructorError(f"{answer['refused']}\n(the notebooks graded so far "
                                          f"are stored: fix the cluster, then run the same "
                                          f"command again to grade the rest)")
                if "error" in answer:
                    yield grade.grader_error(unit, *args, answer["error"])
                else:
                    grade.write_result(out, unit, answer["result"], answer["page"],
                                       answer["notebook"])
                    yield answer["result"]
                if time.monotonic() - checked > 10:
                    checked, window = time.monotonic(), self._window()
        finally:
            if running:
                self.client.cancel(list(running))

    owned = True  # whether the client is ours to close

    def close(self):
        if self.owned:
            self.client.close()


async def _identify(address):
    """The server's type at `address` ("Scheduler" for a scheduler); raises if unreachable."""
    from distributed.core import rpc
    async with rpc(address, timeout=CONNECT_TIMEOUT) as server:
        identity = await asyncio.wait_for(server.identity(), CONNECT_TIMEOUT)
    return identity.get("type") if isinstance(identity, dict) else None


def connect(scheduler, allow_no_sandbox=False, quiet=False, workers=None):
    """A Cluster for the scheduler at the address `scheduler` (or a connected
    distributed.Client, e.g. dask-gateway's), grading on `workers` only if given (a list of
    worker addresses); InstructorError within seconds, naming the address, if it is not a
    reachable Dask scheduler, or if a worker refuses to grade."""
    try:
        import cloudpickle
        from distributed import Client
    except ImportError:
        raise InstructorError("--scheduler needs Dask's `distributed` package: pip install -e "
                              f"'{grade.REPO}[cluster]' (on this machine and on every "
                              f"worker)") from None
    if isinstance(scheduler, str):
        client = _client(scheduler, Client)
    else:  # a connected Client: its caller closes it
        client = scheduler
    # The scheduler unpickles each task: it gets this function's code, and needs no course.
    cloudpickle.register_pickle_by_value(cluster_call)
    cluster = Cluster(client, client.scheduler.address, allow_no_sandbox, quiet, workers)
    cluster.owned = isinstance(scheduler, str)
    try:
        cluster.check_workers()
    except BaseException:
        cluster.close()
        raise
    if not quiet:
        print(f"grading on the Dask cluster at {cluster.address}; dashboard: "
              f"{client.dashboard_link}", file=sys.stderr, flush=True)
    return cluster


def _client(address, Client):
    """A Client of the scheduler at `address`, or InstructorError within seconds naming it."""
    if not re.fullmatch(r"(tcp|tls|ws|wss)://[^/\s]+:\d+", address):
        raise InstructorError(f"--scheduler: expected a Dask scheduler address such as "
                              f"tcp://HOST:8786, got {address!r}")
    try:
        kind = asyncio.run(asyncio.wait_for(_identify(address), CONNECT_TIMEOUT + 1))
    except BaseException as exc:  # the comm raises anything at all for a server that is no Dask
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise InstructorError(f"could not reach a Dask scheduler at {address} within "
                              f"{CONNECT_TIMEOUT} s ({type(exc).__name__}: {str(exc)[:200]}): "
                              f"check the address (`dask scheduler` prints it) and that this "
                              f"machine can reach its port; nothing was graded") from None
    if kind != "Scheduler":
        raise InstructorError(f"{address} is a Dask {kind or 'server of unknown type'}, not a "
                              f"scheduler: give the scheduler's address (`dask scheduler` "
                              f"prints it); nothing was graded")
    return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)


def grade_class(submitted, out, course, scheduler, allow_no_sandbox=False, quiet=False,
                **options):
    """grade.grade_class on the cluster of `scheduler` (an address or a connected Client);
    nothing is written if it cannot be used."""
    cluster = connect(scheduler, allow_no_sandbox, quiet)
    try:
        return grade.grade_class(submitted, out, course, quiet=quiet, run=cluster, **options)
    finally:
        cluster.close()


@contextlib.contextmanager
def loopback(folder, workers=2, env=None, preload=()):
    """A scheduler and `workers` grading workers (one thread each, behind a nanny) on this
    machine's loopback, started as the `dask scheduler` and `dask worker` commands start them,
    logging into `folder`; yields the scheduler's address, and stops them all on exit. For the
    tests and the benchmark; `env` is the workers' environment, `preload` more preloads."""
    from distributed import Client
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = folder / "scheduler.json"

    def start(name, *args, env=None):
        with open(folder / f"{name}.log", "w") as log:
            return subprocess.Popen([sys.executable, "-m", *map(str, args)], stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    cwd=folder, env=env)
    # A task is retried once after its worker died (the default, 3, costs more restarts)
    processes = [start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                       "--port", "0", "--dashboard-address", "127.0.0.1:0",
                       "--scheduler-file", info, env={
                           **os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"})]
    try:
        deadline = time.monotonic() + 120
        address = None
        while address is None and time.monotonic() < deadline:
            try:  # the scheduler writes the file after creating it: read it once it parses
                address = json.loads(info.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        if address is None:
            raise RuntimeError(f"the loopback scheduler wrote no address within 120 s (its log: "
                               f"{folder / 'scheduler.log'})")
        for i in range(workers):
            preloads = ["tfcourse_instructor.dask_worker", *preload]
            processes.append(start(f"worker{i}", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--name", f"w{i}", "--no-dashboard",
                                   *[a for p in preloads for a in ("--preload", p)], env=env))
        with Client(address, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(processes):  # each is the leader of its own process group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
